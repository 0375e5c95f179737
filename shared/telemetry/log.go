package telemetry

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Log attribute keys, stable so that CloudWatch Logs Insights queries keep
// working across versions.
const (
	KeyFunction   = "function"
	KeyRequestID  = "requestId"
	KeyEventID    = "eventId"
	KeySource     = "source"
	KeyDetailType = "detailType"
)

// NewLogger returns a JSON logger writing to w that names the function on
// every line. level is Lambda's AWS_LAMBDA_LOG_LEVEL ("DEBUG", "INFO",
// "WARN", "ERROR"); anything else means INFO.
func NewLogger(w io.Writer, function, level string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: parseLevel(level)})
	return slog.New(h).With(KeyFunction, function)
}

func parseLevel(s string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG", "TRACE":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// ForEvent returns logger with the invocation's request id (when ctx is a
// Lambda context) and the event's id, source and detail-type.
func ForEvent(ctx context.Context, logger *slog.Logger, eventID, source, detailType string) *slog.Logger {
	attrs := make([]any, 0, 8)
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		attrs = append(attrs, KeyRequestID, lc.AwsRequestID)
	}
	attrs = append(attrs, KeyEventID, eventID, KeySource, source, KeyDetailType, detailType)
	return logger.With(attrs...)
}
