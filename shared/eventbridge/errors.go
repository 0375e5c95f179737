package eventbridge

import (
	"errors"
	"fmt"
)

// ErrUnknownKind is matched (errors.Is) by every [UnknownKindError]: an event
// the suite does not handle. Callers log it and do nothing.
var ErrUnknownKind = errors.New("unknown event kind")

// ErrMalformed is matched (errors.Is) by every [MalformedError]: an event
// that can never be processed, however often it is retried. Callers
// quarantine it.
var ErrMalformed = errors.New("malformed event")

// UnknownKindError reports a well-formed EventBridge event whose
// {source, detail-type} has no decoder.
type UnknownKindError struct {
	Kind Kind
}

func (e *UnknownKindError) Error() string {
	return fmt.Sprintf("no decoder for %s", e.Kind)
}

// Is makes errors.Is(err, ErrUnknownKind) true.
func (e *UnknownKindError) Is(target error) bool { return target == ErrUnknownKind }

// MalformedError reports input that is not a usable event: not JSON, not an
// EventBridge envelope, too large, or a detail with wrong types or without a
// required field. Kind is empty when the envelope itself could not be read.
type MalformedError struct {
	Kind Kind
	// Reason says what is wrong in words an operator can act on, naming the
	// field where there is one (e.g. "missing required field detail.backupJobId").
	Reason string
	// Err is the underlying error, if any (e.g. a *json.SyntaxError).
	Err error
}

func (e *MalformedError) Error() string {
	msg := "malformed event"
	if e.Kind != (Kind{}) {
		msg = "malformed " + e.Kind.String() + " event"
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *MalformedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrMalformed) true.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }
