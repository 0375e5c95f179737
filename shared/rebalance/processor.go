package rebalance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/health"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// Kinds are the events the rebalancer handles: the four AZ-health signals,
// and the schedule that re-evaluates evacuations between them.
var Kinds = []eventbridge.Kind{
	eventbridge.KindHealth,
	eventbridge.KindAlarmStateChange,
	eventbridge.KindLaunchUnsuccessful,
	eventbridge.KindAutoshiftStarted,
	eventbridge.KindAutoshiftCompleted,
	eventbridge.KindScheduled,
	// Zonal shifts people (and ARC, and selfheal) start and end: not
	// signals, but reasons to look at the evacuations again.
	eventbridge.KindManualShiftStarted,
	eventbridge.KindManualShiftUpdated,
	eventbridge.KindManualShiftCanceled,
	eventbridge.KindPracticeRunStarted,
	eventbridge.KindPracticeRunSucceeded,
	eventbridge.KindPracticeRunFailed,
	eventbridge.KindPracticeRunInterrupted,
	eventbridge.KindFISAutoshiftStarted,
	eventbridge.KindFISAutoshiftCompleted,
	eventbridge.KindFISAutoshiftCanceled,
}

// Processor is the asg-rebalancer: it turns AZ-health signals into
// evacuations and restores of opted-in Auto Scaling groups.
type Processor struct {
	function string
	region   string
	policy   config.Policy
	now      func() time.Time
	store    *state.Store
	notifier *notify.Notifier

	asg    AutoScaling
	ec2    EC2
	health Health
	cw     CloudWatch
	arc    ZonalShift

	// What never changes in a region, kept for the life of the process.
	mu       sync.Mutex
	subnetAZ map[string]string // subnet id → AZ name
	zoneIDs  map[string]string // AZ name → AZ id; nil until loaded
	zoneByID map[string]string // AZ id → AZ name
}

// MaxAttempts is how many times the rebalancer's AWS clients try one
// operation (the functions' default is awsapi.MaxAttempts). An AZ event is
// when the control plane is busiest, and an invocation that gives up waits
// a minute for Lambda's retry while the AZ takes instances down with it:
// retrying inside the invocation (backoff capped at 20 s, within the
// function's deadline) is worth more here than failing fast.
const MaxAttempts = 8

// New builds the rebalancer from a function's dependencies.
func New(deps handler.Deps) *Processor {
	awsCfg := deps.AWS.Copy()
	awsCfg.RetryMaxAttempts = MaxAttempts
	healthCfg := awsCfg.Copy()
	healthCfg.Region = healthRegion(deps.Config.Region)
	return &Processor{
		function: deps.Function,
		region:   deps.Config.Region,
		policy:   deps.Config.Policy,
		now:      deps.Now,
		store:    deps.Store,
		notifier: deps.Notifier,
		asg:      autoscaling.NewFromConfig(awsCfg),
		ec2:      ec2.NewFromConfig(awsCfg),
		health:   health.NewFromConfig(healthCfg),
		cw:       cloudwatch.NewFromConfig(awsCfg),
		arc:      arczonalshift.NewFromConfig(awsCfg),
		subnetAZ: map[string]string{},
	}
}

// healthRegion is where the AWS Health API answers for the partition of
// region: its active endpoint in the aws partition is us-east-1.
// https://docs.aws.amazon.com/health/latest/ug/health-api.html
func healthRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "cn-northwest-1"
	case strings.HasPrefix(region, "us-gov-"):
		return "us-gov-west-1"
	}
	return "us-east-1"
}

// Process handles one event.
func (p *Processor) Process(ctx context.Context, ev eventbridge.Event) (handler.Outcome, error) {
	switch d := ev.Detail.(type) {
	case *eventbridge.HealthEvent:
		return p.onHealth(ctx, ev, d)
	case *eventbridge.AlarmStateChange:
		return p.onAlarm(ctx, ev, d)
	case *eventbridge.LaunchUnsuccessful:
		return p.onLaunchFailure(ctx, ev, d)
	case *eventbridge.AutoshiftEvent:
		return p.onAutoshift(ctx, ev, d)
	case *eventbridge.ScheduledEvent:
		return p.reconcile(ctx, ev.Envelope)
	}
	if what, ok := zonalShiftTitle(ev.Detail); ok {
		return p.onZonalShift(ctx, ev, what)
	}
	return handler.Outcome{}, handler.Unprocessable(fmt.Sprintf("%s is no AZ-health signal", ev.Kind), nil)
}

// reconcile looks again at every evacuation without a new signal, and
// restores those no signal holds any more: an alarm that has now been OK
// for the recovery hysteresis, launch failures that stopped. A schedule
// drives it in production (see the package documentation).
func (p *Processor) reconcile(ctx context.Context, env events.EventBridgeEvent) (handler.Outcome, error) {
	sig := Signal{
		Key: SignalKey(SourceSchedule, env.ID), Source: SourceSchedule, Effect: EffectNone,
		At: env.Time, EventID: env.ID, Title: "scheduled re-evaluation",
	}
	return p.decide(ctx, env, sig, nil, nil)
}

func noop(format string, args ...any) handler.Outcome {
	return handler.Outcome{Decision: "no-op: " + fmt.Sprintf(format, args...)}
}

func (p *Processor) onHealth(ctx context.Context, ev eventbridge.Event, h *eventbridge.HealthEvent) (handler.Outcome, error) {
	sig, why := p.healthSignal(ev, h)
	if why != "" {
		return noop("%s", why), nil
	}
	var groups []Group
	if sig.Effect == EffectImpair {
		var err error
		if groups, err = p.groups(ctx); err != nil {
			return handler.Outcome{}, err
		}
		azs, why, err := p.healthAZs(ctx, h, groups)
		if err != nil {
			return handler.Outcome{}, err
		}
		if why != "" {
			return p.unresolved(ctx, ev.Envelope, sig, h.EventARN, "AWS::Health::Event", string(why))
		}
		sig.AZs = azs
	}
	return p.signalled(ctx, ev.Envelope, sig, groups, true)
}

func (p *Processor) onAlarm(ctx context.Context, ev eventbridge.Event, a *eventbridge.AlarmStateChange) (handler.Outcome, error) {
	sig, why := alarmSignal(ev, a)
	if why != "" {
		return noop("%s", why), nil
	}
	r := p.policy.Rebalance
	named := r.AlarmNamePrefix != "" && strings.HasPrefix(a.AlarmName, r.AlarmNamePrefix)
	if sig.Effect == EffectRecover {
		// Only an alarm that impaired something before can recover it: its
		// record says so, and no tag needs reading.
		_, tagged := a.Tags[r.AlarmTagKey]
		if a.TagsStatus == "SUCCESS" && !tagged && !named {
			return noop("alarm %s is not an AZ signal (no %s tag)", a.AlarmName, r.AlarmTagKey), nil
		}
		return p.signalled(ctx, ev.Envelope, sig, nil, named || tagged)
	}
	var tags map[string]string
	if !named || len(a.AvailabilityZones()) == 0 {
		var err error
		tags, err = p.alarmTags(ctx, a)
		if errors.Is(err, errAlarmGone) {
			return noop("alarm %s no longer exists", a.AlarmName), nil
		}
		if err != nil {
			return handler.Outcome{}, err
		}
	}
	if _, tagged := tags[r.AlarmTagKey]; !named && !tagged {
		return noop("alarm %s is not an AZ signal (no %s tag)", a.AlarmName, r.AlarmTagKey), nil
	}
	azs, unsure, err := p.alarmAZ(ctx, a, tags)
	if err != nil {
		return handler.Outcome{}, err
	}
	if unsure != "" {
		return p.unresolved(ctx, ev.Envelope, sig, a.AlarmARN, "AWS::CloudWatch::Alarm", string(unsure))
	}
	sig.AZs = azs
	return p.signalled(ctx, ev.Envelope, sig, nil, true)
}

func (p *Processor) onAutoshift(ctx context.Context, ev eventbridge.Event, a *eventbridge.AutoshiftEvent) (handler.Outcome, error) {
	sig := autoshiftSignal(ev, a)
	if sig.Effect == EffectImpair {
		azs, why, err := p.zoneNames(ctx, []string{a.AwayFrom})
		if err != nil {
			return handler.Outcome{}, err
		}
		if why != "" {
			return p.unresolved(ctx, ev.Envelope, sig, a.AwayFrom, "AWS::EC2::AvailabilityZone", string(why))
		}
		sig.AZs = azs
	}
	return p.signalled(ctx, ev.Envelope, sig, nil, true)
}

func (p *Processor) onLaunchFailure(ctx context.Context, ev eventbridge.Event, l *eventbridge.LaunchUnsuccessful) (handler.Outcome, error) {
	if !capacityFailure(l) {
		return noop("launch failure of %s is not for want of capacity", l.AutoScalingGroupName), nil
	}
	at := firstTime(l.EndTime, ev.Envelope.Time)
	sig := Signal{Source: SourceLaunchFailures, Effect: EffectImpair, At: at, EventID: ev.Envelope.ID}
	azs, why, err := p.launchAZ(ctx, l)
	if err != nil {
		return handler.Outcome{}, err
	}
	if why != "" {
		sig.Title = "capacity launch failures"
		return p.unresolved(ctx, ev.Envelope, sig, l.AutoScalingGroupARN, "AWS::AutoScaling::AutoScalingGroup", string(why))
	}
	az := azs[0]
	sig.Key, sig.AZs = SignalKey(SourceLaunchFailures, p.region+"#"+az), azs
	r := p.policy.Rebalance
	failures, err := p.store.AddLaunchFailure(ctx, p.region, az,
		state.LaunchFailure{EventID: ev.Envelope.ID, Group: l.AutoScalingGroupName, At: at}, r.LaunchFailureWindow.Duration)
	if err != nil {
		return handler.Outcome{}, err
	}
	sig.Title = fmt.Sprintf("%d capacity launch failures in %s within %s", len(failures), az, r.LaunchFailureWindow.Duration)
	if len(failures) < r.LaunchFailureThreshold {
		return handler.Outcome{
			Decision: fmt.Sprintf("evidence: %d of %d capacity launch failures in %s within %s", len(failures), r.LaunchFailureThreshold, az, r.LaunchFailureWindow.Duration),
			Attrs:    []slog.Attr{slog.String("az", az), slog.Int("launchFailures", len(failures))},
		}, nil
	}
	next, err := p.launchTransition(ctx, &sig, failures[len(failures)-1].At)
	if err != nil {
		return handler.Outcome{}, err
	}
	return p.decide(ctx, ev.Envelope, sig, nil, map[string]state.Signal{sig.Key: next})
}

// signalled records a signal's new state and decides what it means. known
// says the event surely is an AZ signal (not just maybe, as an OK of an
// alarm whose tags are not at hand): only then is a recovery of a signal
// never seen before worth remembering.
func (p *Processor) signalled(ctx context.Context, env events.EventBridgeEvent, sig Signal, groups []Group, known bool) (handler.Outcome, error) {
	next, found, applied, err := p.transition(ctx, &sig, known)
	if err != nil {
		return handler.Outcome{}, err
	}
	if !applied {
		if !found {
			return noop("%s: it never impaired anything", sig.Title), nil
		}
		return noop("%s is older than the state already recorded (%s)", sig.Title, next.ObservedAt.UTC().Format(time.RFC3339)), nil
	}
	return p.decide(ctx, env, sig, groups, map[string]state.Signal{sig.Key: next})
}

// decide gathers what the planner needs, plans, acts and reports.
func (p *Processor) decide(ctx context.Context, env events.EventBridgeEvent, sig Signal, groups []Group, signals map[string]state.Signal) (handler.Outcome, error) {
	if groups == nil {
		var err error
		if groups, err = p.groups(ctx); err != nil {
			return handler.Outcome{}, err
		}
	}
	in := Input{
		Now: p.now(), Policy: p.policy, Signal: sig, Groups: groups,
		Ledger: map[string][]state.Evacuation{}, Signals: map[string]state.Signal{},
	}
	for k, v := range signals {
		in.Signals[k] = v
	}
	var locate []int
	for i, g := range groups {
		if ScopeOf(g.Tags, p.policy) != InScope {
			continue
		}
		records, err := p.store.Evacuations(ctx, g.Name)
		if err != nil {
			return handler.Outcome{}, err
		}
		if len(records) > 0 {
			in.Ledger[g.Name] = records
		}
		if sig.Effect == EffectImpair && (len(intersect(g.AZs, sig.AZs)) > 0 ||
			slices.ContainsFunc(records, func(r state.Evacuation) bool { return slices.Contains(sig.AZs, r.AZ) })) {
			locate = append(locate, i)
		}
		for _, r := range records {
			for _, h := range r.Holders {
				if _, ok := in.Signals[h]; ok {
					continue
				}
				s, found, err := p.store.LoadSignal(ctx, h)
				if err != nil {
					return handler.Outcome{}, err
				}
				if found {
					in.Signals[h] = s
				}
			}
		}
	}
	if err := p.locateSubnets(ctx, groups, locate); err != nil {
		return handler.Outcome{}, err
	}
	if p.needShifts(sig, groups, in.Ledger) {
		var err error
		if in.Shifts, err = p.activeShifts(ctx); err != nil {
			return handler.Outcome{}, err
		}
		if in.ZoneIDs, err = p.zoneIDMap(ctx); err != nil {
			return handler.Outcome{}, err
		}
	}
	breaker, err := p.store.LoadBreaker(ctx, p.policy.Rebalance.Breaker.Window.Duration)
	if err != nil {
		return handler.Outcome{}, err
	}
	in.Breaker = breaker

	plan := Build(in)
	for len(plan.NeedRefresh) > 0 {
		for _, name := range plan.NeedRefresh {
			i := slices.IndexFunc(in.Groups, func(g Group) bool { return g.Name == name })
			st, err := p.refreshStatus(ctx, name)
			if err != nil {
				return handler.Outcome{}, err
			}
			in.Groups[i].Refresh = st
		}
		plan = Build(in)
	}
	intent, err := p.intend(ctx, env, plan)
	if err != nil {
		return handler.Outcome{}, err
	}
	res, execErr := p.execute(ctx, plan)
	out, err := p.report(ctx, env, plan, res, execErr)
	return out, p.settle(ctx, intent, &out, err)
}
