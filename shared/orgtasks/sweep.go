package orgtasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/sweep"
)

// swept is the sweep task's answer to the map: small, as the map's output
// is discarded and its detail is in the run's records.
type swept struct {
	Item
	Coverage string `json:"coverage"`
	Findings int    `json:"findings"`
	Failing  int    `json:"failing"`
}

// sweep sweeps one account-region: the compliance sweep's run, acting in
// the account through its member role (the hub's own account with the
// function's role), its findings reported through the dedupe like any
// sweep's, its digest recorded for the aggregate instead of published. A
// member whose role cannot be assumed is recorded NOT_ASSUMABLE, not
// failed: no retry helps, and the digest says what to fix. Any other error
// is returned for Step Functions to retry.
func (h *Handler) sweep(ctx context.Context, p Payload) (any, outcome, error) {
	it := Item{Account: p.Account, Region: p.Region}
	start := h.deps.Now()
	proc, member, err := h.processor(ctx, it)
	var na *awsapi.NotAssumableError
	if errors.As(err, &na) {
		if err := h.reportMemberRole(ctx, p.Run, it, na); err != nil {
			return nil, outcome{}, err
		}
		r := result{Item: it, Coverage: CoverageNotAssumable, Reason: notAssumable(na), Started: start}
		if err := h.record(ctx, p.Run, r); err != nil {
			return nil, outcome{}, err
		}
		return swept{Item: it, Coverage: r.Coverage}, outcome{decision: "not swept: " + r.Reason,
			metrics: map[string]float64{"NotAssumable": 1}}, nil
	}
	if err != nil {
		return nil, outcome{}, err
	}
	if member {
		// Assumed afresh: a role that could not be assumed before is
		// reported resolved.
		if err := h.reportMemberRole(ctx, p.Run, it, nil); err != nil {
			return nil, outcome{}, err
		}
	}
	ev := eventbridge.Event{Kind: eventbridge.KindScheduled, Detail: &eventbridge.ScheduledEvent{}, Envelope: events.EventBridgeEvent{
		Version: "0", ID: p.Run + "/" + it.Account + "/" + it.Region, Source: "aws.events", DetailType: "Scheduled Event",
		AccountID: it.Account, Region: it.Region, Time: start,
	}}
	run := proc.Sweep(ctx, ev)
	r := resultOf(it, run, start, h.deps.Now())
	if err := h.record(ctx, p.Run, r); err != nil {
		return nil, outcome{}, err
	}
	res := outcome{
		decision: run.Outcome.Decision,
		attrs:    append([]slog.Attr{slog.Int("findings", r.Findings), slog.Int("failing", r.Failing)}, run.Outcome.Attrs...),
		metrics:  map[string]float64{"AccountSweeps": 1, "Findings": float64(r.Findings), "FailingFindings": float64(r.Failing)},
	}
	return swept{Item: it, Coverage: r.Coverage, Findings: r.Findings, Failing: r.Failing}, res, nil
}

// processor is the sweep acting in it's account and region, made once per
// process. Making it for a member assumes the member role first (member
// then reports it was just assumed).
func (h *Handler) processor(ctx context.Context, it Item) (p *sweep.Processor, member bool, err error) {
	h.mu.Lock()
	p, ok := h.sweeps[it]
	h.mu.Unlock()
	if ok {
		return p, false, nil
	}
	hub, err := hubAccount(ctx)
	if err != nil {
		return nil, false, err
	}
	d := h.deps
	if it.Account != hub {
		if err := d.Accounts.Check(ctx, it.Account); err != nil {
			return nil, false, err
		}
		d, member = d.ForAccount(it.Account), true
	}
	d.Config.Regions = []string{it.Region}
	p = sweep.New(d)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sweeps[it] = p
	return p, member, nil
}

// reportMemberRole says, through the dedupe as the event path does,
// whether the member role of it's account can be assumed: a failure once
// (then reminders), a recovery once, not at every sweep.
func (h *Handler) reportMemberRole(ctx context.Context, run string, it Item, err error) error {
	f := handler.MemberRoleFinding(h.deps.Accounts.RoleARN(it.Account), it.Account, it.Region, err)
	_, rerr := h.deps.Notifier.Report(ctx, notify.Message{
		Kind: notify.KindFindings, Function: h.deps.Function, EventType: EventType, EventID: run,
		Account: it.Account, Region: it.Region, Time: h.deps.Now(), Findings: []notify.Finding{f},
	})
	if rerr != nil {
		return fmt.Errorf("report the member role of %s: %w", it.Account, rerr)
	}
	return nil
}

// notAssumable says in a line why a member role cannot be assumed: the
// role and what STS answered.
func notAssumable(na *awsapi.NotAssumableError) string {
	why := na.Err.Error()
	var apiErr smithy.APIError
	if errors.As(na.Err, &apiErr) {
		why = apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return "member role " + na.RoleARN + " cannot be assumed: " + why
}

// resultOf keeps the part of a sweep's digest the organization digest
// uses.
func resultOf(it Item, run sweep.Result, start, end time.Time) result {
	d := run.Digest
	r := result{
		Item: it, Coverage: CoverageSwept, Counts: d.Counts, Covered: d.Covered, NotCovered: d.NotCovered,
		New: clip(d.New, resultNew), NewCount: len(d.New), Worst: clip(d.Worst, resultWorst),
		Resolved: clip(d.Resolved, resultResolved), Findings: run.Outcome.Findings, Failing: run.Outcome.Failing,
		Started: start, Took: end.Sub(start),
	}
	if !d.Complete {
		r.Coverage = CoverageIncomplete
	}
	return r
}

func clip(fs []notify.Finding, n int) []notify.Finding { return slices.Clone(fs[:min(len(fs), n)]) }

// failed records an account-region whose sweep failed after its retries
// (the child's Catch): the digest names it with its error.
func (h *Handler) failed(ctx context.Context, p Payload) (any, outcome, error) {
	it := Item{Account: p.Account, Region: p.Region}
	r := result{Item: it, Coverage: CoverageFailed, Reason: describeError(*p.Error), Started: h.deps.Now()}
	if err := h.record(ctx, p.Run, r); err != nil {
		return nil, outcome{}, err
	}
	return map[string]bool{"recorded": true}, outcome{decision: "recorded the failed sweep: " + r.Reason,
		metrics: map[string]float64{"FailedSweeps": 1}}, nil
}

// describeError says what a States error was: its name, and the function's
// own message when the cause is Lambda's error document.
func describeError(e StatesError) string {
	var doc struct {
		Message string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(e.Cause), &doc) == nil && doc.Message != "" {
		return e.Error + ": " + doc.Message
	}
	if e.Cause == "" {
		return e.Error
	}
	return e.Error + ": " + e.Cause
}

func (h *Handler) record(ctx context.Context, run string, r result) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode the result of %s %s: %w", r.Account, r.Region, err)
	}
	return h.deps.Store.PutRunRecord(ctx, run, resultName(r.Item), doc)
}
