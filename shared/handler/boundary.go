package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
	"github.com/selfheal/selfheal/shared/telemetry"
)

// Processor decides and acts on one decoded event.
type Processor interface {
	Process(ctx context.Context, ev eventbridge.Event) (Outcome, error)
}

// Outcome is what a processor tells the boundary to log and count.
type Outcome struct {
	// Decision is one line for the log: what was decided and done.
	Decision string
	Findings int // checks evaluated
	Failing  int // of which FAIL, WARN or ERROR
	Actions  int // writes made, or planned in dry-run
	Notified int // SNS messages published
	// Attrs are extra log fields.
	Attrs []slog.Attr
}

// UnprocessableError is an error no retry can fix: the boundary quarantines
// the event instead of returning the error.
type UnprocessableError struct {
	Reason string
	Err    error
}

func (e *UnprocessableError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

func (e *UnprocessableError) Unwrap() error { return e.Err }

// Unprocessable marks err as permanent.
func Unprocessable(reason string, err error) error {
	return &UnprocessableError{Reason: reason, Err: err}
}

// Outbox sends the messages an earlier delivery of an event kept.
type Outbox interface {
	FlushOutbox(ctx context.Context, eventID string) (int, error)
}

// Boundary runs one function's events.
type Boundary struct {
	Function string
	// Account and Region the function serves. Account may be empty: it is
	// then read from the invoked function's ARN in the Lambda context.
	Account string
	Region  string
	// Handles are the event kinds this function processes; others are
	// logged no-ops.
	Handles   []eventbridge.Kind
	Processor Processor
	// Members, in a hub deployment, makes the processor acting in the
	// member account an event comes from (nil for a single account: an
	// event of another account is foreign).
	Members *Members
	// Notifier reports whether a member account can be acted in.
	Notifier *notify.Notifier
	// Outbox sends what an earlier delivery of the event did but could
	// not report, once a retry has processed the event.
	Outbox     Outbox
	Claims     *state.Store
	Quarantine *Quarantine
	Logger     *slog.Logger
	// MetricsOut receives one EMF record per invocation (stdout in Lambda).
	MetricsOut io.Writer
	Now        func() time.Time
	// Lease is how long a claim keeps other invocations off an event when
	// the context has no deadline; in Lambda the invocation's deadline sets
	// it.
	Lease time.Duration
	// Exclusive says no two invocations of the function ever run at once
	// (reserved concurrency 1): a claim found in progress was left by one
	// that has ended, and is taken over at once instead of waited for.
	Exclusive bool
	// Sleep pauses while a duplicate waits for the delivery holding its
	// event (a timer in Lambda, the simulated clock in game days).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Handle is the Lambda handler.
func (b *Boundary) Handle(ctx context.Context, raw json.RawMessage) (err error) {
	start := b.Now()
	metrics := telemetry.NewMetrics(b.MetricsOut, b.Now, map[string]string{"Function": b.Function})
	metrics.Add("Invocations", 1, telemetry.UnitCount)
	var (
		ev      eventbridge.Event
		outcome Outcome
		status  = "processed"
		// notes are log fields from before the processor's outcome.
		notes []slog.Attr
	)
	defer func() {
		metrics.Add("Duration", float64(b.Now().Sub(start).Milliseconds()), telemetry.UnitMilliseconds)
		if err != nil {
			metrics.Add("Errors", 1, telemetry.UnitCount)
		}
		outcome.Attrs = append(notes, outcome.Attrs...)
		b.logOnce(ctx, ev, status, outcome, err)
		if ferr := metrics.Flush(); ferr != nil && err == nil {
			// Metrics are best effort; the log line above already has it all.
			b.Logger.Warn("metrics not written", "error", ferr.Error())
		}
	}()

	ev, err = eventbridge.Decode(raw)
	switch {
	case errors.Is(err, eventbridge.ErrUnknownKind):
		status = "ignored"
		outcome.Decision = "no-op: " + err.Error()
		metrics.Add("Ignored", 1, telemetry.UnitCount)
		return nil
	case err != nil:
		status = "quarantined"
		outcome.Decision = err.Error()
		metrics.Add("Quarantined", 1, telemetry.UnitCount)
		return b.quarantineOnce(ctx, &status, &outcome, ev, raw, KindMalformed, err.Error())
	}
	if !slices.Contains(b.Handles, ev.Kind) {
		status = "ignored"
		outcome.Decision = fmt.Sprintf("no-op: %s is not handled by %s", ev.Kind, b.Function)
		metrics.Add("Ignored", 1, telemetry.UnitCount)
		return nil
	}
	if reason := b.foreign(ctx, ev); reason != "" {
		status = "quarantined"
		outcome.Decision = reason
		metrics.Add("Quarantined", 1, telemetry.UnitCount)
		return b.quarantineOnce(ctx, &status, &outcome, ev, raw, KindForeign, reason)
	}

	claim, waited, err := b.claim(ctx, ev.Envelope.ID)
	if waited > 0 {
		notes = append(notes, slog.Duration("waitedForHolder", waited))
	}
	switch {
	case errors.Is(err, state.ErrAlreadyDone):
		status = "duplicate"
		outcome.Decision = "no-op: event already processed"
		metrics.Add("Duplicates", 1, telemetry.UnitCount)
		return nil
	case err != nil:
		status = "error"
		return err
	}

	proc := b.Processor
	if home := b.home(ctx); b.Members != nil && home != "" && ev.Envelope.AccountID != home {
		var done bool
		proc, done, err = b.member(ctx, ev, raw, claim, &status, &outcome, &notes)
		if done {
			metrics.Add("Quarantined", boolCount(status == "quarantined"), telemetry.UnitCount)
			return err
		}
	}

	outcome, err = b.process(ctx, proc, ev)
	var unprocessable *UnprocessableError
	switch {
	case errors.As(err, &unprocessable):
		status = "quarantined"
		metrics.Add("Quarantined", 1, telemetry.UnitCount)
		if qerr := b.quarantine(ctx, ev, raw, KindUnprocessed, err.Error()); qerr != nil {
			return errors.Join(qerr, b.release(ctx, claim))
		}
		return claim.Done(ctx)
	case err != nil:
		status = "error"
		return errors.Join(err, b.release(ctx, claim))
	}
	// What an earlier delivery did but could not report goes out once this
	// one has finished the work (a message kept before a crash may describe
	// steps this delivery completed).
	if b.Outbox != nil && claim.Retry {
		flushed, err := b.Outbox.FlushOutbox(ctx, ev.Envelope.ID)
		outcome.Notified += flushed
		if err != nil {
			status = "error"
			return errors.Join(err, b.release(ctx, claim))
		}
	}
	metrics.Add("Findings", float64(outcome.Findings), telemetry.UnitCount)
	metrics.Add("FailingFindings", float64(outcome.Failing), telemetry.UnitCount)
	metrics.Add("Actions", float64(outcome.Actions), telemetry.UnitCount)
	metrics.Add("Notifications", float64(outcome.Notified), telemetry.UnitCount)
	if err := claim.Done(ctx); err != nil {
		// The work is done and reported. Returning the error would only
		// make Lambda redeliver a handled event; the claim's lease ends
		// instead, and a duplicate waiting for it then finds the work done
		// (it is idempotent).
		outcome.Attrs = append(outcome.Attrs, slog.String("claimNotMarkedDone", err.Error()))
	}
	return nil
}

// How a duplicate waits for the delivery holding its event: polling with
// jittered, growing pauses, for at most half the time its invocation has
// (the other half is for doing the work if the hold lapses).
const (
	holdPollFirst = time.Second
	holdPollMax   = 10 * time.Second
)

// claim takes the event for this delivery. Another delivery's hold is
// taken over at once when the function is Exclusive (its holder has
// ended); otherwise this one waits for it to be marked done (a no-op
// then), released or lapsed (taken over then), within its wait budget.
// It returns how long it waited.
func (b *Boundary) claim(ctx context.Context, eventID string) (*state.Claim, time.Duration, error) {
	holder := requestID(ctx)
	lease := b.lease(ctx)
	c, err := b.Claims.ClaimEvent(ctx, b.Function, eventID, holder, lease)
	var held *state.HeldError
	if !errors.As(err, &held) {
		return c, 0, err
	}
	if b.Exclusive {
		c, err = b.Claims.TakeOver(ctx, b.Function, eventID, holder, held.Holder, lease)
		if !errors.As(err, &held) {
			return c, 0, err
		}
	}
	start := b.Now()
	until := start.Add(b.waitBudget(ctx))
	pause := holdPollFirst
	for attempt := 1; ; attempt++ {
		d := state.Jitter(pause, holder+eventID, attempt)
		if b.Sleep == nil || b.Now().Add(d).After(until) {
			return nil, b.Now().Sub(start), fmt.Errorf("event %s: %w", eventID, err)
		}
		if serr := b.Sleep(ctx, d); serr != nil {
			return nil, b.Now().Sub(start), fmt.Errorf("event %s: %w (stopped waiting: %w)", eventID, err, serr)
		}
		c, err = b.Claims.ClaimEvent(ctx, b.Function, eventID, holder, b.lease(ctx))
		if !errors.As(err, &held) {
			return c, b.Now().Sub(start), err
		}
		pause = min(2*pause, holdPollMax)
	}
}

// waitBudget is how long a duplicate may wait for the holder: half the
// time the invocation has left, none without a deadline.
func (b *Boundary) waitBudget(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return max(time.Until(deadline), 0) / 2
}

// requestID is Lambda's id of this invocation, which its retries keep.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// leaseMargin covers the clock difference between this invocation and the
// next one that may find its claim.
const leaseMargin = 5 * time.Second

// lease is how long this invocation may hold its event: until Lambda's
// deadline for it, after which it cannot be running any more. A process
// killed mid-event (timeout, out of memory) thus holds up Lambda's retries
// no longer than it could have run. Without a deadline (the CLI, tests),
// the configured Lease.
func (b *Boundary) lease(ctx context.Context) time.Duration {
	if deadline, ok := ctx.Deadline(); ok {
		return time.Until(deadline) + leaseMargin
	}
	return b.Lease
}

// process runs the processor, turning a panic into an error: a bug must
// not take the runtime down with the event.
func (b *Boundary) process(ctx context.Context, p Processor, ev eventbridge.Event) (out Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("processor panic: %v\n%s", r, debug.Stack())
		}
	}()
	return p.Process(ctx, ev)
}

// member is the processor acting in the member account of ev. When there
// is none to be had, it finishes the event itself (done): a member selfheal
// cannot act in is reported (once, through the dedupe) and the event is
// quarantined with the reason; any other failure is returned for Lambda to
// retry. The first time the role is assumed, a recovery is reported.
func (b *Boundary) member(ctx context.Context, ev eventbridge.Event, raw []byte, claim *state.Claim,
	status *string, outcome *Outcome, notes *[]slog.Attr) (p Processor, done bool, err error) {
	p, fresh, err := b.Members.Processor(ctx, ev.Envelope.AccountID)
	var na *awsapi.NotAssumableError
	switch {
	case errors.As(err, &na):
		*status, outcome.Decision = "quarantined", na.Error()
		if rerr := b.reportMemberRole(ctx, ev, err); rerr != nil {
			*status = "error"
			return nil, true, errors.Join(rerr, b.release(ctx, claim))
		}
		if qerr := b.quarantine(ctx, ev, raw, KindUnprocessed, na.Error()); qerr != nil {
			*status = "error"
			return nil, true, errors.Join(qerr, b.release(ctx, claim))
		}
		return nil, true, claim.Done(ctx)
	case err != nil:
		*status = "error"
		return nil, true, errors.Join(err, b.release(ctx, claim))
	case fresh:
		if rerr := b.reportMemberRole(ctx, ev, nil); rerr != nil {
			// The event can still be handled; the recovery is said on the
			// next cold start.
			*notes = append(*notes, slog.String("memberRoleNotReported", rerr.Error()))
		}
	}
	*notes = append(*notes, slog.String("account", ev.Envelope.AccountID))
	return p, false, nil
}

func boolCount(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// release gives the event back so Lambda's retry can take it at once.
func (b *Boundary) release(ctx context.Context, c *state.Claim) error {
	if err := c.Release(ctx); err != nil {
		return fmt.Errorf("release claim (the retry waits for the lease): %w", err)
	}
	return nil
}

// foreign says why an event does not belong to this deployment, if it does
// not: rules only deliver the account's own events in the function's own
// region, so anything else was sent by hand or by a misrouted bus. A hub
// deployment also takes its members' events, forwarded to the hub bus
// (whose policy admits only the organization); an account it cannot act
// in is found when its role is assumed (member).
func (b *Boundary) foreign(ctx context.Context, ev eventbridge.Event) string {
	if b.Region != "" && ev.Envelope.Region != b.Region {
		return fmt.Sprintf("event from region %s delivered to %s in %s", ev.Envelope.Region, b.Function, b.Region)
	}
	account := b.home(ctx)
	if b.Members == nil && account != "" && ev.Envelope.AccountID != account {
		return fmt.Sprintf("event from account %s delivered to %s in account %s", ev.Envelope.AccountID, b.Function, account)
	}
	return ""
}

// home is the account the function runs in: Account, else the one in the
// invoked function's ARN.
func (b *Boundary) home(ctx context.Context) string {
	if b.Account != "" {
		return b.Account
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return accountOf(lc.InvokedFunctionArn)
	}
	return ""
}

// accountOf reads the account field of an ARN.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// quarantineOnce quarantines an event that was never claimed (malformed,
// foreign) once per event id: a redelivery of it is a no-op. An event
// whose id cannot be read is quarantined at each delivery.
func (b *Boundary) quarantineOnce(ctx context.Context, status *string, o *Outcome, ev eventbridge.Event, raw []byte, kind, reason string) error {
	id := ev.Envelope.ID
	if id == "" {
		id = idOf(raw)
	}
	if id == "" {
		return b.quarantine(ctx, ev, raw, kind, reason)
	}
	q, err := b.Claims.ClaimQuarantine(ctx, b.Function, id, requestID(ctx), b.lease(ctx))
	switch {
	case errors.Is(err, state.ErrAlreadyDone):
		*status = "duplicate"
		o.Decision = "no-op: already quarantined: " + reason
		return nil
	case err != nil:
		*status = "error"
		return err
	}
	if err := b.quarantine(ctx, ev, raw, kind, reason); err != nil {
		*status = "error"
		return errors.Join(err, b.release(ctx, q))
	}
	if err := q.Done(ctx); err != nil {
		// Queued: a redelivery may queue it once more, nothing is lost.
		o.Attrs = append(o.Attrs, slog.String("quarantineNotMarkedDone", err.Error()))
	}
	return nil
}

// idOf reads the id of an event too malformed to decode, if it has one.
func idOf(raw []byte) string {
	var env struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &env) != nil {
		return ""
	}
	id, _ := env.ID.(string)
	return strings.TrimSpace(id)
}

func (b *Boundary) quarantine(ctx context.Context, ev eventbridge.Event, raw []byte, kind, reason string) error {
	return b.Quarantine.Send(ctx, Letter{
		Function: b.Function, Kind: kind, Reason: reason, EventID: ev.Envelope.ID,
		Source: ev.Envelope.Source, DetailType: ev.Envelope.DetailType, Raw: raw,
	})
}

func (b *Boundary) logOnce(ctx context.Context, ev eventbridge.Event, status string, o Outcome, err error) {
	l := telemetry.ForEvent(ctx, b.Logger, ev.Envelope.ID, ev.Envelope.Source, ev.Envelope.DetailType)
	attrs := []slog.Attr{
		slog.String("status", status),
		slog.String("decision", o.Decision),
		slog.Int("findings", o.Findings),
		slog.Int("failing", o.Failing),
		slog.Int("actions", o.Actions),
		slog.Int("notified", o.Notified),
	}
	attrs = append(attrs, o.Attrs...)
	level := slog.LevelInfo
	switch {
	case err != nil:
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", err.Error()))
	case status == "quarantined":
		level = slog.LevelWarn
	}
	l.LogAttrs(ctx, level, "event "+status, attrs...)
}
