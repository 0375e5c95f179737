package bus

import (
	"encoding/json"
	"fmt"
	"time"
)

// FailureRecord is what Lambda sends to an asynchronous invocation's
// on-failure destination when the retries are exhausted: the request, its
// context and the function's last error.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
type FailureRecord struct {
	Version         string          `json:"version"`
	Timestamp       string          `json:"timestamp"`
	RequestContext  RequestContext  `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext ResponseContext `json:"responseContext"`
	ResponsePayload ResponsePayload `json:"responsePayload"`
}

// RequestContext says which invocation failed and why it stopped.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"` // RetriesExhausted, EventAgeExceeded
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is the last attempt's response.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError"`
}

// ResponsePayload is the error the function returned.
type ResponsePayload struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// NewFailureRecord builds the record of an event whose attempts all
// failed; the last error is lastErr.
func NewFailureRecord(at time.Time, requestID, functionARN string, attempts int, event []byte, lastErr string) ([]byte, error) {
	payload := json.RawMessage(event)
	if !json.Valid(event) {
		// The record is JSON; an event that is not is carried as a string.
		s, err := json.Marshal(string(event))
		if err != nil {
			return nil, fmt.Errorf("encode failed event: %w", err)
		}
		payload = s
	}
	rec := FailureRecord{
		Version:   "1.0",
		Timestamp: at.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: RequestContext{
			RequestID: requestID, FunctionARN: functionARN + ":$LATEST",
			Condition: "RetriesExhausted", ApproximateInvokeCount: attempts,
		},
		RequestPayload:  payload,
		ResponseContext: ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		ResponsePayload: ResponsePayload{ErrorMessage: lastErr, ErrorType: "errorString"},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode failure record: %w", err)
	}
	return b, nil
}
