package sweep

import (
	"context"
	"errors"
	"time"
)

// Time budget of one run. Lambda ends an invocation at its deadline
// whatever it is doing, so the run plans backwards from it: the digest
// keeps the last digestReserve, notifying the findings gets a quarter of
// what is left before that (about two DynamoDB calls per resource, which
// is what an audit of list calls costs too), and the audit the rest. A part
// the audit could not read in its time is a gap in the digest, never a
// silent pass.
const digestReserve = 20 * time.Second

// errOutOfTime is why a read was not made: the audit's time was up.
var errOutOfTime = errors.New("stopped before the Lambda deadline")

// budget tells when each phase must stop. It runs on the function's clock
// (time.Now in Lambda, the simulated account's clock in tests), starting
// from the time the invocation has left, so the simulated latency of AWS
// calls counts as real latency does.
type budget struct {
	now         func() time.Time
	deadline    time.Time // the context's, on the wall clock; zero when none
	auditUntil  time.Time // on now's clock; zero when unbounded
	reportUntil time.Time
}

func newBudget(ctx context.Context, now func() time.Time) *budget {
	b := &budget{now: now}
	dl, ok := ctx.Deadline()
	if !ok {
		return b
	}
	b.deadline = dl
	start := now()
	left := max(time.Until(dl)-digestReserve, 0)
	b.auditUntil = start.Add(left * 3 / 4)
	b.reportUntil = start.Add(left)
	return b
}

// context is ctx with the digest's reserve kept free: calls still running
// then are abandoned.
func (b *budget) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if b.deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, b.deadline.Add(-digestReserve))
}

// auditOver reports whether the audit must stop reading.
func (b *budget) auditOver() bool {
	return !b.auditUntil.IsZero() && !b.now().Before(b.auditUntil)
}

// reportOver reports whether notifying must stop.
func (b *budget) reportOver() bool {
	return !b.reportUntil.IsZero() && !b.now().Before(b.reportUntil)
}
