package rebalance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/state"
)

// How long a signal that no longer holds anything is remembered: long
// enough that an old event delivered late (EventBridge retries for 24
// hours) cannot undo a newer state.
const signalMemory = 30 * 24 * time.Hour

// healthSignal reads a Health event. ok is false for events that are no
// AZ signal: not an issue, a service the policy does not count, or another
// region's.
func (p *Processor) healthSignal(ev eventbridge.Event, h *eventbridge.HealthEvent) (Signal, string) {
	switch {
	case h.EventTypeCategory != eventbridge.HealthCategoryIssue:
		return Signal{}, fmt.Sprintf("Health %s event is not an issue", h.EventTypeCategory)
	case !slices.Contains(p.policy.Rebalance.HealthServices, h.Service):
		return Signal{}, fmt.Sprintf("Health service %s is not one the policy counts (%s)", h.Service, strings.Join(p.policy.Rebalance.HealthServices, ", "))
	case h.EventRegion != "" && h.EventRegion != p.region:
		return Signal{}, fmt.Sprintf("Health event is about %s, not %s", h.EventRegion, p.region)
	}
	sig := Signal{
		Key: SignalKey(SourceHealth, h.EventARN), Source: SourceHealth, Effect: EffectImpair,
		At: firstTime(h.LastUpdatedTime, ev.Envelope.Time), EventID: ev.Envelope.ID,
		Title: fmt.Sprintf("AWS Health %s (%s)", h.EventTypeCode, h.StatusCode),
	}
	switch h.StatusCode {
	case eventbridge.HealthStatusOpen, eventbridge.HealthStatusUpcoming:
	case eventbridge.HealthStatusClosed:
		sig.Effect = EffectRecover
	default:
		return Signal{}, fmt.Sprintf("Health status %q is neither open, upcoming nor closed", h.StatusCode)
	}
	return sig, ""
}

// alarmSignal reads an alarm state change; whether the alarm is an AZ
// signal at all is decided by the caller from its tags.
func alarmSignal(ev eventbridge.Event, a *eventbridge.AlarmStateChange) (Signal, string) {
	id := a.AlarmARN
	if id == "" {
		id = a.AlarmName
	}
	sig := Signal{
		Key: SignalKey(SourceAlarm, id), Source: SourceAlarm, Effect: EffectImpair,
		At: firstTime(a.State.Timestamp, ev.Envelope.Time), EventID: ev.Envelope.ID,
		Title: fmt.Sprintf("CloudWatch alarm %s (%s)", a.AlarmName, a.State.Value),
	}
	switch a.State.Value {
	case eventbridge.AlarmStateAlarm:
	case eventbridge.AlarmStateOK:
		sig.Effect = EffectRecover
	default:
		return Signal{}, fmt.Sprintf("alarm state %s is no AZ signal", a.State.Value)
	}
	return sig, ""
}

// autoshiftSignal reads an ARC zonal autoshift.
// https://docs.aws.amazon.com/r53recovery/latest/dg/eventbridge-zonal-autoshift.html
func autoshiftSignal(ev eventbridge.Event, a *eventbridge.AutoshiftEvent) Signal {
	sig := Signal{
		Key: SignalKey(SourceAutoshift, a.AwayFrom), Source: SourceAutoshift, Effect: EffectImpair,
		At: ev.Envelope.Time, EventID: ev.Envelope.ID,
		Title: fmt.Sprintf("zonal autoshift away from %s (%s)", a.AwayFrom, a.Status),
	}
	if a.Status == eventbridge.AutoshiftCompleted {
		sig.Effect = EffectRecover
	}
	return sig
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// nextSignal applies sig to what was known of it. ok is false when sig is
// older than the newest change already applied: EventBridge does not keep
// order, and a late "open" must not undo a "closed".
func nextSignal(prev state.Signal, found bool, sig Signal) (next state.Signal, ok bool) {
	if found && sig.At.Before(prev.ObservedAt) {
		return prev, false
	}
	impaired := sig.Effect == EffectImpair
	next = prev
	next.Key = sig.Key
	if !found || prev.Impaired != impaired || prev.Since.IsZero() {
		next.Since = sig.At
	}
	next.Impaired = impaired
	next.ObservedAt = sig.At
	if impaired && len(sig.AZs) > 0 {
		next.AZs = slices.Clone(sig.AZs)
	}
	next.EventID = sig.EventID
	return next, true
}

// transition records sig's new state and returns it. found is false when
// nothing was known of the signal; applied is false when the event changes
// nothing (stale, or a recovery of a signal that never held anything). A
// recovery takes its AZs from the record.
//
// A recovery of an unknown signal is still remembered when remember is
// set, so that its start, delivered late, changes nothing.
func (p *Processor) transition(ctx context.Context, sig *Signal, remember bool) (next state.Signal, found, applied bool, err error) {
	prev, found, err := p.store.LoadSignal(ctx, sig.Key)
	if err != nil {
		return prev, false, false, err
	}
	next, ok := nextSignal(prev, found, *sig)
	if !ok {
		return prev, found, false, nil
	}
	sig.Repeat = repeats(prev, found, *sig)
	if sig.Effect == EffectRecover && !found {
		if remember {
			err = p.store.SaveSignal(ctx, next, p.now().Add(signalMemory))
		}
		return next, false, false, err
	}
	if sig.Effect == EffectRecover {
		sig.AZs = slices.Clone(next.AZs)
	}
	var expires time.Time
	if !next.Impaired {
		expires = p.now().Add(signalMemory)
	}
	if err := p.store.SaveSignal(ctx, next, expires); err != nil {
		return next, found, false, err
	}
	return next, found, true, nil
}

// repeats reports whether sig says again what an earlier event of the
// signal already said. A retry of the same event is no repeat: what it has
// to say may never have been said.
func repeats(prev state.Signal, found bool, sig Signal) bool {
	return found && prev.Impaired && sig.Effect == EffectImpair &&
		slices.Equal(prev.AZs, sig.AZs) && prev.EventID != sig.EventID
}

// launchTransition records launch-failure evidence against an AZ as a
// signal that holds the AZ until the failure window and the recovery
// hysteresis have passed since the last failure.
func (p *Processor) launchTransition(ctx context.Context, sig *Signal, last time.Time) (state.Signal, error) {
	prev, found, err := p.store.LoadSignal(ctx, sig.Key)
	if err != nil {
		return prev, err
	}
	sig.Repeat = repeats(prev, found, *sig)
	next := prev
	next.Key = sig.Key
	if !prev.Impaired || prev.Since.IsZero() {
		next.Since = sig.At
	}
	next.Impaired = true
	next.AZs = slices.Clone(sig.AZs)
	next.ObservedAt = sig.At
	if last.After(next.LastEvidence) {
		next.LastEvidence = last
	}
	next.EventID = sig.EventID
	r := p.policy.Rebalance
	expires := next.LastEvidence.Add(r.LaunchFailureWindow.Duration + r.RecoveryHysteresis.Duration + signalMemory)
	return next, p.store.SaveSignal(ctx, next, expires)
}
