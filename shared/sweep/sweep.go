package sweep

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// Kinds are the events the sweep handles: its schedule firing.
var Kinds = []eventbridge.Kind{eventbridge.KindScheduled}

// EventType is the event type of the sweep's notifications.
const EventType = "Scheduled Sweep"

// MaxAttempts per read call of the audit, first try included. A sweep is
// one long batch: a throttled read is worth waiting for, where a gap in the
// audit is not (the event path keeps the SDK's shorter default).
const MaxAttempts = 10

// Processor is the compliance-sweep function: one run audits every region
// in scope and reports.
type Processor struct {
	function   string
	homeRegion string
	regions    []string
	policy     config.Policy
	store      *state.Store
	notifier   *notify.Notifier
	now        func() time.Time

	backup *awsapi.PerRegion[BackupAPI]
	ddb    *awsapi.PerRegion[DynamoDBAPI]
	rds    *awsapi.PerRegion[RDSAPI]
	asg    *awsapi.PerRegion[AutoScalingAPI]
}

var _ handler.Processor = (*Processor)(nil)

// New builds the sweep on the function's dependencies: one client per
// service and region, made on first use.
func New(deps handler.Deps) *Processor {
	regions := deps.Config.Regions
	if len(regions) == 0 {
		regions = []string{deps.Config.Region}
	}
	cfg := deps.AWS.Copy()
	cfg.RetryMaxAttempts = MaxAttempts
	return &Processor{
		function:   deps.Function,
		homeRegion: deps.Config.Region,
		regions:    regions,
		policy:     deps.Config.Policy,
		store:      deps.Store,
		notifier:   deps.Notifier,
		now:        deps.Now,
		backup:     awsapi.NewPerRegion(cfg, func(c aws.Config) BackupAPI { return backup.NewFromConfig(c) }),
		ddb:        awsapi.NewPerRegion(cfg, func(c aws.Config) DynamoDBAPI { return dynamodb.NewFromConfig(c) }),
		rds:        awsapi.NewPerRegion(cfg, func(c aws.Config) RDSAPI { return rds.NewFromConfig(c) }),
		asg:        awsapi.NewPerRegion(cfg, func(c aws.Config) AutoScalingAPI { return autoscaling.NewFromConfig(c) }),
	}
}

// Process runs one sweep (Sweep) and publishes its digest. Only a digest
// that cannot be published is an error: every other failure is a gap the
// digest names.
func (s *Processor) Process(ctx context.Context, ev eventbridge.Event) (handler.Outcome, error) {
	r := s.Sweep(ctx, ev)
	if _, err := s.notifier.Publish(ctx, r.Message); err != nil {
		return r.Outcome, fmt.Errorf("publish digest: %w", err)
	}
	r.Outcome.Notified++
	return r.Outcome, nil
}

// Result is one run: its digest, the message that publishes it, and what
// the boundary logs.
type Result struct {
	Digest  notify.Digest
	Message notify.Message
	Outcome handler.Outcome
}

// Sweep runs one sweep without publishing its digest: observe (reads
// only, bounded concurrency, within the time the invocation has) →
// evaluate (pure checks) → report every finding through the dedupe,
// grouped by region and resource type → the digest. The organization
// sweep runs it per account-region and writes one digest for them all.
func (s *Processor) Sweep(ctx context.Context, ev eventbridge.Event) Result {
	start := s.now()
	b := newBudget(ctx, s.now)
	work, cancel := b.context(ctx)
	defer cancel()
	account := ev.Envelope.AccountID
	led := newLedger()

	// Observe. What was open before the run tells which resources are
	// gone; without it they are only not resolved this run.
	openBefore, _ := s.store.OpenFailures(work)
	copies := s.outstandingCopies(work, b, led)
	scans := s.scan(work, b, led, account)
	restores := s.restores(work, led, scans, s.now())

	// Decide.
	findings := evaluate(evaluation{
		policy: s.policy, now: s.now(), account: account, copies: copies, regions: scans, open: openBefore, restores: restores,
	})

	// Report, then read where things stand: every failure still open,
	// whoever found it. The digest gets the whole context, not the work's:
	// its reserve is what the work's deadline kept free.
	rep := s.report(work, b, led, findings, ev, account)
	open, err := s.store.OpenFailures(ctx)
	if err != nil {
		led.unlisted(s.home(), partOpen, err)
	}
	d := buildDigest(findings, rep, open, led)
	d.Recovery = recoveryStats(restores, s.now())
	msg := notify.Message{
		Kind: notify.KindDigest, Function: s.function, EventType: EventType, EventID: ev.Envelope.ID,
		Account: account, Region: ev.Envelope.Region, Time: s.now(), Headline: headline(s.regions, d), Digest: &d,
	}
	out := handler.Outcome{
		Decision: decision(s.regions, d, len(findings)),
		Findings: len(findings),
		Failing:  countBad(findings),
		Notified: rep.sent,
		Attrs: []slog.Attr{
			slog.String("regions", strings.Join(s.regions, ",")),
			slog.Bool("complete", d.Complete),
			slog.Int("not_covered", len(d.NotCovered)),
			slog.Int("missing_copies", len(copies)),
			slog.Int("open", total(d.OpenCounts)),
			slog.Int("new", len(d.New)),
			slog.Int("resolved", len(rep.resolved)),
			slog.Duration("sweep_duration", s.now().Sub(start)),
		},
	}
	return Result{Digest: d, Message: msg, Outcome: out}
}

func countBad(fs []notify.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Status.Bad() {
			n++
		}
	}
	return n
}

// decision is the run's one log line.
func decision(regions []string, d notify.Digest, findings int) string {
	var fail, warn int
	for _, byStatus := range d.Counts {
		fail += byStatus[notify.StatusFail]
		warn += byStatus[notify.StatusWarn] + byStatus[notify.StatusError]
	}
	s := fmt.Sprintf("swept %s: %d findings, %d FAIL, %d WARN or ERROR; %d open, %d new",
		strings.Join(regions, ", "), findings, fail, warn, total(d.OpenCounts), len(d.New))
	if !d.Complete {
		s = "INCOMPLETE " + s + "; not covered: " + strings.Join(d.NotCovered, "; ")
	}
	return s
}
