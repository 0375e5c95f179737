package rebalance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

const groupType = "AWS::AutoScaling::AutoScalingGroup"

// report notifies every action, skip, restore and breaker change of the
// plan, in one message, and tells the boundary what happened. A failed
// execution is reported too (its actions FAILED) before its error goes back
// for a retry.
func (p *Processor) report(ctx context.Context, env events.EventBridgeEvent, plan Plan, res result, execErr error) (handler.Outcome, error) {
	actions := p.actions(plan, res)
	out := handler.Outcome{
		Decision: decision(plan, res),
		Actions:  res.writes,
		Attrs: []slog.Attr{
			slog.String("signal", plan.Signal.Key),
			slog.String("effect", string(plan.Signal.Effect)),
			slog.String("azs", strings.Join(plan.Signal.AZs, ",")),
			slog.Bool("dryRun", plan.DryRun),
		},
	}
	if plan.DryRun {
		for _, gp := range plan.Groups {
			if gp.InScope {
				out.Actions += plannedWrites(gp)
			}
		}
	}
	if len(actions) == 0 {
		return out, execErr
	}
	r, err := p.notifier.Report(ctx, notify.Message{
		Kind: notify.KindRemediation, Function: p.function, EventType: env.DetailType, EventID: env.ID,
		Account: env.AccountID, Region: p.region, Time: p.now(), DryRun: plan.DryRun, Actions: actions,
	})
	out.Notified = len(r.Sent)
	if err != nil {
		err = &publishError{err}
	}
	return out, errors.Join(execErr, err)
}

// intend keeps, before any write, the report the plan will give once
// executed: if the process dies between its writes and its report, the
// retry finds nothing left to do, and the boundary sends this instead. A
// plan that writes nothing (dry-run, skips only) needs no intent: its
// report is computed again on the retry.
func (p *Processor) intend(ctx context.Context, env events.EventBridgeEvent, plan Plan) (notify.Intent, error) {
	if plan.DryRun || len(plan.NeedRefresh) > 0 {
		return notify.Intent{}, nil
	}
	done := result{groups: map[string]*groupResult{},
		breakerOpened: plan.Breaker.Change == BreakerOpen, breakerClosed: plan.Breaker.Change == BreakerClose}
	writes := 0
	for _, gp := range plan.Groups {
		if gp.InScope {
			done.groups[gp.Group] = &groupResult{done: true}
			writes += plannedWrites(gp)
		}
	}
	if writes == 0 && plan.Breaker.Change == "" {
		return notify.Intent{}, nil
	}
	intent, err := p.notifier.Intend(ctx, notify.Message{
		Kind: notify.KindRemediation, Function: p.function, EventType: env.DetailType, EventID: env.ID,
		Account: env.AccountID, Region: p.region, Time: p.now(), Actions: p.actions(plan, done),
	})
	if err != nil {
		return notify.Intent{}, fmt.Errorf("keep the report before acting: %w", err)
	}
	return intent, nil
}

// settle drops the intent once the invocation has reported what really
// happened, or kept that report for the retry itself. Only when neither
// happened does the intent stay, for the retry to send.
func (p *Processor) settle(ctx context.Context, intent notify.Intent, out *handler.Outcome, reportErr error) error {
	var execOnly bool
	if reportErr != nil {
		var pub *publishError
		execOnly = !errors.As(reportErr, &pub)
	}
	if reportErr == nil || execOnly || errors.Is(reportErr, notify.ErrKeptForRetry) {
		if err := p.notifier.Forget(ctx, intent); err != nil {
			// A stale intent is only ever sent if this event is retried;
			// the report above already went out or is kept.
			out.Attrs = append(out.Attrs, slog.String("intentNotDropped", err.Error()))
		}
	}
	return reportErr
}

// publishError marks a report that could not be published.
type publishError struct{ err error }

func (e *publishError) Error() string { return e.err.Error() }
func (e *publishError) Unwrap() error { return e.err }

// unresolved reports a signal whose AZ is not known for sure, and does
// nothing else.
func (p *Processor) unresolved(ctx context.Context, env events.EventBridgeEvent, sig Signal, resource, resourceType, why string) (handler.Outcome, error) {
	a := notify.Action{
		Kind: notify.ActionUnresolved, Outcome: notify.OutcomeSkipped, Severity: notify.SeverityHigh,
		Resource: resource, ResourceType: resourceType,
		Summary: fmt.Sprintf("%s: could not tell which Availability Zone is impaired, so nothing was changed", sig.Title),
		Reason:  why,
		Details: map[string]string{"signal": sig.Key},
	}
	r, err := p.notifier.Report(ctx, notify.Message{
		Kind: notify.KindRemediation, Function: p.function, EventType: env.DetailType, EventID: env.ID,
		Account: env.AccountID, Region: p.region, Time: p.now(), DryRun: p.policy.DryRun, Actions: []notify.Action{a},
	})
	return handler.Outcome{
		Decision: "AZ unresolved, nothing changed: " + why,
		Notified: len(r.Sent),
		Attrs:    []slog.Attr{slog.String("signal", sig.Key)},
	}, err
}

func (p *Processor) actions(plan Plan, res result) []notify.Action {
	var out []notify.Action
	outcome := func(gp GroupPlan) notify.ActionOutcome {
		gr := res.groups[gp.Group]
		switch {
		case plan.DryRun:
			return notify.OutcomePlanned
		case gr == nil || !gr.done && !gr.acted:
			return notify.OutcomeFailed
		}
		return notify.OutcomeDone
	}
	failure := func(gp GroupPlan) map[string]string {
		if gr := res.groups[gp.Group]; gr != nil && gr.err != nil {
			return map[string]string{"error": gr.err.Error()}
		}
		return nil
	}
	breakerRes := fmt.Sprintf("%s circuit breaker (%s)", p.function, p.region)
	switch {
	case plan.Breaker.Change == BreakerClose && (res.breakerClosed || plan.DryRun):
		out = append(out, notify.Action{
			Kind: notify.ActionBreakerClosed, Outcome: doneOrPlanned(plan.DryRun), Severity: notify.SeverityMedium,
			Resource: breakerRes, ResourceType: "Selfheal::Rebalancer::Breaker",
			Summary: "circuit breaker closed: its time is up, Auto Scaling writes resume",
		})
	case plan.Breaker.Change == BreakerOpen && (res.breakerOpened || plan.DryRun):
		out = append(out, notify.Action{
			Kind: notify.ActionBreakerOpen, Outcome: doneOrPlanned(plan.DryRun), Severity: notify.SeverityCritical,
			Resource: breakerRes, ResourceType: "Selfheal::Rebalancer::Breaker",
			Summary: fmt.Sprintf("circuit breaker opened: no Auto Scaling writes until %s, or until someone closes it by deleting "+
				"the item pk=breaker, sk=state from the state table", plan.Breaker.Until.UTC().Format(time.RFC3339)),
			Reason: plan.Breaker.Reason,
		})
	}
	sig := plan.Signal
	var skips []skipped
	for _, gp := range plan.Groups {
		base := notify.Action{Resource: gp.ARN, ResourceType: groupType}
		if base.Resource == "" {
			base.Resource = gp.Group
		}
		shifted := gp.shiftOps(ShiftStart, ShiftAdopt)
		// A restore that changes nothing (the group is already as it was, its
		// shift already ended) only clears the ledger: the retry finishing
		// one whose record could not be cleared, or a group someone put back
		// by hand. It is logged, not notified again.
		if len(gp.Restore) > 0 && (gp.Changes() || len(gp.shiftOps(ShiftCancel)) > 0) {
			a := base
			a.Kind, a.Outcome, a.Severity = notify.ActionRestore, outcome(gp), notify.SeverityMedium
			a.AZ = strings.Join(gp.Restore, ",")
			a.Summary = fmt.Sprintf("%s back into %s: %s", gp.Group, a.AZ, restoreChanges(gp))
			a.Reason = "no signal holds the AZ impaired any more"
			a.Details = merge(configDetails(gp), map[string]string{"signal": sig.Key}, shiftDetails(gp, res, ShiftCancel), failure(gp))
			if gp.MaxSizeKept != "" {
				a.Details["maxSizeKept"] = gp.MaxSizeKept
			}
			out = append(out, a)
		}
		if len(shifted) > 0 {
			a := base
			a.Kind, a.Outcome, a.Severity = notify.ActionZonalShift, outcome(gp), notify.SeverityHigh
			a.AZ = strings.Join(azsOf(shifted), ",")
			a.Summary = fmt.Sprintf("%s shifted away from %s by an ARC zonal shift (%s, extended while the signal holds)",
				gp.Group, a.AZ, p.policy.Rebalance.ZonalShift.ExpiresIn.Duration)
			a.Reason = sig.Title
			a.Details = merge(map[string]string{"signal": sig.Key, "method": string(state.MethodZonalShift),
				"impairedZoneHealthCheck": gp.ImpairedZoneHealthCheck}, shiftDetails(gp, res, ShiftStart, ShiftAdopt), failure(gp))
			out = append(out, a)
		}
		if ext := gp.shiftOps(ShiftExtend); len(ext) > 0 {
			a := base
			a.Kind, a.Outcome, a.Severity = notify.ActionZonalShiftExtend, outcome(gp), notify.SeverityInfo
			a.AZ = strings.Join(azsOf(ext), ",")
			a.Summary = fmt.Sprintf("%s: zonal shift away from %s extended by %s: the signal still holds",
				gp.Group, a.AZ, p.policy.Rebalance.ZonalShift.ExpiresIn.Duration)
			a.Details = merge(shiftDetails(gp, res, ShiftExtend), failure(gp))
			out = append(out, a)
		}
		if bySubnets := diff(gp.Evacuate, azsOf(shifted)); len(bySubnets) > 0 {
			a := base
			a.Kind, a.Outcome, a.Severity = notify.ActionEvacuate, outcome(gp), notify.SeverityHigh
			a.AZ = strings.Join(bySubnets, ",")
			a.Summary = fmt.Sprintf("%s out of %s: %s", gp.Group, a.AZ, changes(gp))
			a.Reason = sig.Title
			a.Details = merge(configDetails(gp), map[string]string{
				"signal": sig.Key, "replacing": strconv.Itoa(gp.Moving),
			}, failure(gp))
			out = append(out, a)
		}
		if im := gp.Imbalance; im != nil {
			a := base
			a.Severity = notify.SeverityMedium
			a.Details = map[string]string{"inServiceByAZ": countsText(im.Counts)}
			if im.Resume {
				a.Kind, a.Outcome = notify.ActionResumeBalance, outcome(gp)
				a.Summary = fmt.Sprintf("%s: AZRebalance resumed so the group evens out (in service per AZ %s)", gp.Group, countsText(im.Counts))
			} else {
				a.Kind, a.Outcome = notify.ActionReport, notify.OutcomeSkipped
				a.Summary = fmt.Sprintf("%s is uneven across AZs (in service %s) and AZRebalance is suspended by someone else", gp.Group, countsText(im.Counts))
				a.Reason = "policy rebalance.imbalanceAction is \"report\": resume AZRebalance on the group to even it out"
			}
			out = append(out, a)
		}
		if len(gp.Evacuate) == 0 && len(gp.Restore) == 0 && gp.Imbalance == nil && gp.InScope && gp.Changes() && len(gp.Shifts) == 0 {
			a := base
			a.Kind, a.Outcome, a.Severity = notify.ActionReport, outcome(gp), notify.SeverityInfo
			a.Summary = fmt.Sprintf("%s: %s tag brought in line with the ledger (%q)", gp.Group, TagEvacuatedFrom, gp.Target.EvacuatedTag)
			out = append(out, a)
		}
		if sig.Repeat {
			continue // its skips were notified with the first event that said them
		}
		for _, s := range gp.Skips {
			if !s.Quiet {
				skips = append(skips, skipped{gp: gp, Skip: s})
			}
		}
	}
	return append(out, skipActions(sig, skips)...)
}

type skipped struct {
	gp GroupPlan
	Skip
}

// Past manySkips groups skipped alike, they are one action that lists
// them: an account can have hundreds of groups out of scope in an AZ, and
// one SNS message holds 256 KiB.
const (
	manySkips = 10
	maxListed = 100
)

func skipActions(sig Signal, skips []skipped) []notify.Action {
	type key struct {
		what   Skipped
		azs    string
		reason SkipReason
	}
	buckets := map[key][]skipped{}
	var order []key
	for _, s := range skips {
		k := key{s.What, strings.Join(s.AZs, ","), s.Reason}
		if _, ok := buckets[k]; !ok {
			order = append(order, k)
		}
		buckets[k] = append(buckets[k], s)
	}
	var out []notify.Action
	for _, k := range order {
		b := buckets[k]
		one := func(s skipped) notify.Action {
			a := notify.Action{
				Kind: notify.ActionSkip, Outcome: notify.OutcomeSkipped, Severity: skipSeverity[s.Reason],
				Resource: s.gp.ARN, ResourceType: groupType, AZ: k.azs,
				Summary: fmt.Sprintf("%s: did not %s %s: %s", s.gp.Group, s.What, k.azs, s.Reason),
				Reason:  s.Detail,
				Details: map[string]string{"signal": sig.Key, "reason": string(s.Reason)},
			}
			if a.Resource == "" {
				a.Resource = s.gp.Group
			}
			return a
		}
		if len(b) <= manySkips {
			for _, s := range b {
				out = append(out, one(s))
			}
			continue
		}
		a := one(b[0])
		names := make([]string, 0, min(len(b), maxListed))
		for _, s := range b[:min(len(b), maxListed)] {
			names = append(names, s.gp.Group)
		}
		list := strings.Join(names, ",")
		if len(b) > maxListed {
			list += fmt.Sprintf(" and %d more", len(b)-maxListed)
		}
		a.Resource = fmt.Sprintf("%d Auto Scaling groups", len(b))
		a.Summary = fmt.Sprintf("%d groups: did not %s %s: %s", len(b), k.what, k.azs, k.reason)
		a.Details["groups"] = list
		a.Details["count"] = strconv.Itoa(len(b))
		out = append(out, a)
	}
	return out
}

var skipSeverity = map[SkipReason]notify.Severity{
	SkipNotOptedIn:        notify.SeverityLow,
	SkipExcluded:          notify.SeverityLow,
	SkipAlreadyEvacuated:  notify.SeverityInfo,
	SkipReAdded:           notify.SeverityMedium,
	SkipSingleAZ:          notify.SeverityHigh,
	SkipMinHealthyAZs:     notify.SeverityHigh,
	SkipMaxEvacuatedAZs:   notify.SeverityHigh,
	SkipRefreshInProgress: notify.SeverityHigh,
	SkipBlastRadius:       notify.SeverityHigh,
	SkipBreakerOpen:       notify.SeverityHigh,
	SkipSubnetAZUnknown:   notify.SeverityHigh,
	SkipHeldByZonalShift:  notify.SeverityMedium,
	SkipShiftEnded:        notify.SeverityMedium,
	SkipAZIDUnknown:       notify.SeverityHigh,
}

func doneOrPlanned(dryRun bool) notify.ActionOutcome {
	if dryRun {
		return notify.OutcomePlanned
	}
	return notify.OutcomeDone
}

// shiftOps returns the plan's zonal shift operations of the given kinds.
func (g GroupPlan) shiftOps(kinds ...ShiftOpKind) []ShiftOp {
	var out []ShiftOp
	for _, op := range g.Shifts {
		if slices.Contains(kinds, op.Op) {
			out = append(out, op)
		}
	}
	return out
}

func azsOf(ops []ShiftOp) []string {
	var out []string
	for _, op := range ops {
		if !slices.Contains(out, op.AZ) {
			out = append(out, op.AZ)
		}
	}
	slices.Sort(out)
	return out
}

// shiftDetails names the zonal shifts of some operations: their AZ ids, and
// their ids once known.
func shiftDetails(gp GroupPlan, res result, kinds ...ShiftOpKind) map[string]string {
	ops := gp.shiftOps(kinds...)
	if len(ops) == 0 {
		return nil
	}
	var ids, away []string
	for _, op := range ops {
		away = append(away, op.AZID)
		id := op.ID
		if gr := res.groups[gp.Group]; gr != nil && gr.shifts[op.AZ] != "" {
			id = gr.shifts[op.AZ]
		}
		if id != "" {
			ids = append(ids, id)
		}
	}
	out := map[string]string{"awayFrom": strings.Join(away, ",")}
	if len(ids) > 0 {
		out["zonalShiftId"] = strings.Join(ids, ",")
	}
	return out
}

// restoreChanges says in words what a restore changes: the group's
// settings a subnet evacuation had changed, and the zonal shifts it
// cancels.
func restoreChanges(gp GroupPlan) string {
	c := changes(gp)
	shift := ""
	switch {
	case len(gp.shiftOps(ShiftCancel)) > 0:
		shift = "zonal shift cancelled"
	case slices.ContainsFunc(gp.Clear, state.Evacuation.ByZonalShift):
		shift = "its zonal shift had already ended"
	}
	switch {
	case shift == "":
		return c
	case c == "already as planned":
		return shift
	}
	return c + "; " + shift
}

// changes says in words what a group plan changes.
func changes(gp GroupPlan) string {
	var parts []string
	if !slices.Equal(gp.Current.Subnets, gp.Target.Subnets) {
		// The subnet ids are in the action's details; a count reads in a
		// subject line.
		parts = append(parts, fmt.Sprintf("subnets %d → %d", len(gp.Current.Subnets), len(gp.Target.Subnets)))
	}
	if gp.Current.MaxSize != gp.Target.MaxSize {
		parts = append(parts, fmt.Sprintf("MaxSize %d → %d", gp.Current.MaxSize, gp.Target.MaxSize))
	}
	if gp.Current.AZRebalanceSuspended && !gp.Target.AZRebalanceSuspended {
		parts = append(parts, "AZRebalance resumed")
	}
	if len(parts) == 0 {
		return "already as planned"
	}
	return strings.Join(parts, "; ")
}

func configDetails(gp GroupPlan) map[string]string {
	return map[string]string{
		"subnetsBefore": strings.Join(gp.Current.Subnets, ","), "subnetsAfter": strings.Join(gp.Target.Subnets, ","),
		"maxSizeBefore": strconv.Itoa(int(gp.Current.MaxSize)), "maxSizeAfter": strconv.Itoa(int(gp.Target.MaxSize)),
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func countsText(counts map[string]int) string {
	azs := make([]string, 0, len(counts))
	for az := range counts {
		azs = append(azs, az)
	}
	slices.Sort(azs)
	parts := make([]string, len(azs))
	for i, az := range azs {
		parts[i] = fmt.Sprintf("%s=%d", az, counts[az])
	}
	return strings.Join(parts, " ")
}

// decision is the log line's one-sentence account of the plan.
func decision(plan Plan, res result) string {
	var parts []string
	verb := func(done string) string {
		if plan.DryRun {
			return "would " + done
		}
		return done
	}
	var skips []string
	for _, gp := range plan.Groups {
		if shifted := azsOf(gp.shiftOps(ShiftStart, ShiftAdopt)); len(shifted) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s away from %s", verb("zonal-shift"), gp.Group, strings.Join(shifted, ",")))
		}
		if bySubnets := diff(gp.Evacuate, azsOf(gp.shiftOps(ShiftStart, ShiftAdopt))); len(bySubnets) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s from %s", verb("evacuate"), gp.Group, strings.Join(bySubnets, ",")))
		}
		if ext := azsOf(gp.shiftOps(ShiftExtend)); len(ext) > 0 {
			parts = append(parts, fmt.Sprintf("%s the zonal shift of %s away from %s", verb("extend"), gp.Group, strings.Join(ext, ",")))
		}
		if len(gp.Restore) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s to %s", verb("restore"), gp.Group, strings.Join(gp.Restore, ",")))
		}
		for _, s := range gp.Skips {
			skips = append(skips, fmt.Sprintf("%s (%s)", gp.Group, s.Reason))
		}
	}
	if len(skips) > maxListed {
		skips = append(skips[:maxListed], fmt.Sprintf("and %d more", len(skips)-maxListed))
	}
	if len(skips) > 0 {
		parts = append(parts, "skip "+strings.Join(skips, ", "))
	}
	switch {
	case res.breakerOpened:
		parts = append(parts, "breaker opened")
	case res.breakerClosed:
		parts = append(parts, "breaker closed")
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s: nothing to do", plan.Signal.Title)
	}
	return plan.Signal.Title + ": " + strings.Join(parts, "; ")
}
