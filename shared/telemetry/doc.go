// Package telemetry gives every selfheal function the same two outputs on
// stdout, where Lambda ships them to CloudWatch Logs:
//
//   - a log/slog JSON logger carrying the fields operators search for:
//     function, request id (from the Lambda context), event id, source and
//     detail-type;
//   - a writer of CloudWatch embedded metric format (EMF) records in the
//     "selfheal" namespace, which CloudWatch turns into metrics without any
//     PutMetricData call.
//
// It does not decide what to log: handlers log once, at their boundary.
package telemetry
