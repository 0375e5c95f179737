// Package eventbridge turns raw EventBridge events into typed details, and
// matches events against EventBridge event patterns.
//
// # Decoding
//
// [Decode] reads the aws-lambda-go [events.EventBridgeEvent] envelope, then
// picks a decoder by {source, detail-type} ([Kind]; [Kinds] lists them):
//
//	aws.health          AWS Health Event                  *HealthEvent
//	aws.cloudwatch      CloudWatch Alarm State Change     *AlarmStateChange
//	aws.backup          Backup Job State Change           *BackupJobStateChange
//	aws.backup          Copy Job State Change             *CopyJobStateChange
//	aws.backup          Recovery Point State Change       *RecoveryPointStateChange
//	aws.backup          Backup Vault State Change         *BackupVaultStateChange
//	aws.backup          Backup Plan State Change          *BackupPlanStateChange
//	aws.backup          Restore Job State Change          *RestoreJobStateChange
//	aws.rds             RDS DB Instance Event             *RDSInstanceEvent
//	aws.autoscaling     EC2 Instance Launch Unsuccessful  *LaunchUnsuccessful
//	aws.arc-zonal-shift Autoshift In Progress / Completed *AutoshiftEvent
//	aws.arc-zonal-shift Manual Shift Started / Updated / Canceled
//	                                                      *ManualShiftEvent
//	aws.arc-zonal-shift Practice Run Started / Succeeded / Failed / Interrupted
//	                                                      *PracticeRunEvent
//	aws.arc-zonal-shift FIS Experiment Autoshift In Progress / Completed / Canceled
//	                                                      *FISAutoshiftEvent
//
// Typed details use Go names, time.Time for times and named string types for
// enums. Enum values the package does not list are kept as they are, so a
// new AWS state is seen by callers rather than rejected. Decoding absorbs the
// quirks real events have: numbers and booleans sent as strings
// (backupSizeInBytes, isEncrypted, page), "state" where the other events of
// a kind say "status" (a restore job's CREATED), {} where a string has no value yet,
// "" where an object has no value (ARC's data), RFC 1123 times with a
// one-digit day or a trailing newline (Health), ISO times with a -0700
// offset (CloudWatch), and missing optional keys, which read as zero values.
//
// Two errors tell callers what to do with an event that is not usable:
// [*UnknownKindError] (errors.Is [ErrUnknownKind]) for a kind the suite does
// not handle, a no-op to log; and [*MalformedError] (errors.Is
// [ErrMalformed]) for input that no retry can fix: over [MaxEventSize], not
// JSON, not an EventBridge envelope (for example the payload a CloudWatch
// alarm sends straight to Lambda), a value of the wrong type, an array over
// 4,096 items, or a missing required field, named in the error. Callers
// quarantine those. Decode never panics, whatever the input.
//
// # Pattern matching
//
// [CompilePattern] and [Pattern.Matches] implement this subset of the
// EventBridge pattern language
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html):
//
//   - exact strings, numbers (compared by value), booleans and null;
//   - arrays as OR: ["ALARM", "OK"];
//   - nested objects for nested fields: {"detail": {"state": {"value": [...]}}};
//   - {"prefix": "s"};
//   - {"anything-but": v}, {"anything-but": [v, ...]} (strings or numbers),
//     {"anything-but": {"prefix": "s"}};
//   - {"exists": true|false}, on leaf values only;
//   - {"numeric": [op, n]} and {"numeric": [">" or ">=", n, "<" or "<=", n]}.
//
// A field of the event holding an array matches if any element matches. A
// nested pattern over an array of objects must match within one element.
// suffix, equals-ignore-case, wildcard, cidr, $or and anything-but with
// those are outside the subset: CompilePattern returns an error for them, so
// the matcher never answers differently from EventBridge by ignoring a
// feature it does not know.
//
// The package does not decide anything about an event (that is
// shared/rebalance's and shared/compliance's job), call AWS, or log.
package eventbridge
