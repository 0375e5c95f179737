package notify

import (
	"time"

	"github.com/selfheal/selfheal/shared/state"
)

// Verdict is what to do with one finding given what was notified before.
type Verdict int

// Verdicts.
const (
	// Record: nothing to send; remember the status.
	Record Verdict = iota
	// Send: new bad news, a change, or a reminder after the dedupe window.
	Send
	// Suppress: the same news was sent within the dedupe window.
	Suppress
	// Resolve: a notified problem is gone; send a "resolved" message.
	Resolve
)

// Decide is the dedupe rule, pure so it can be tested exhaustively: the
// same (check, resource, status) is not sent again within window; bad news
// is sent when new, changed, or due for a reminder; a notified problem that
// turns good is resolved; good news is sent only when notifyPass asks, once
// per window.
func Decide(prev state.CheckState, known bool, cur Status, now time.Time, window time.Duration, notifyPass bool) Verdict {
	same := known && prev.Status == string(cur)
	recent := !prev.NotifiedAt.IsZero() && now.Sub(prev.NotifiedAt) < window
	switch {
	case cur.Bad() && same && recent:
		return Suppress
	case cur.Bad():
		return Send
	case known && Status(prev.Status).Bad() && !prev.NotifiedAt.IsZero():
		return Resolve
	case notifyPass && !(same && recent):
		return Send
	}
	return Record
}

// Next is the check state to store after a verdict on f. A bad status is
// an open failure (it is notified, now or within the window) and keeps
// what a digest says of it: when it turned bad, how often it was notified,
// and its severity and summary as last notified.
func Next(prev state.CheckState, known bool, f Finding, v Verdict, now time.Time) state.CheckState {
	cur := f.Status
	next := state.CheckState{Status: string(cur), Since: now}
	if known && prev.Status == string(cur) {
		next.Since = prev.Since
		next.NotifiedAt = prev.NotifiedAt
	}
	if v == Send || v == Resolve {
		next.NotifiedAt = now
	}
	if !cur.Bad() {
		return next
	}
	next.Open = true
	wasOpen := known && prev.Open
	switch {
	case wasOpen:
		next.First, next.Notified = prev.First, prev.Notified
	case known && Status(prev.Status).Bad():
		// Notified before states kept open failures: it has been bad since
		// its status was first seen.
		next.First, next.Notified = prev.Since, 1
	default:
		next.First = now
	}
	if v == Send {
		next.Notified++
	}
	if v == Send || !wasOpen {
		next.Severity, next.Summary = string(f.Severity), f.Summary
	} else {
		next.Severity, next.Summary = prev.Severity, prev.Summary
	}
	return next
}
