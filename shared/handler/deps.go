package handler

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
	"github.com/selfheal/selfheal/shared/telemetry"
)

// Deps is what every function is built from: its configuration, an AWS
// configuration (Lambda's, the CLI's, or the simulated account's), and the
// clients every function shares. Processors take what they need from it.
type Deps struct {
	Function   string
	Config     config.Config
	AWS        aws.Config
	Now        func() time.Time
	Logger     *slog.Logger
	Out        io.Writer // EMF records
	Store      *state.Store
	Notifier   *notify.Notifier
	Quarantine *Quarantine
	// Sleep pauses the function: a timer in Lambda, the simulated clock
	// in game days (see WithSleep).
	Sleep func(ctx context.Context, d time.Duration) error
	// Accounts reaches the member accounts of the organization a hub
	// deployment covers; nil for a single account.
	Accounts *awsapi.Accounts
}

// NewDeps builds the shared clients. now is the clock (time.Now in Lambda,
// the sim's clock in tests and game days); out receives logs and metrics.
func NewDeps(function string, cfg config.Config, awsCfg aws.Config, out io.Writer, now func() time.Time, opts ...Option) Deps {
	o := options{sleep: state.Sleep}
	for _, opt := range opts {
		opt(&o)
	}
	sleep := o.sleep
	store := state.New(dynamodb.NewFromConfig(awsCfg), cfg.TableName, now, state.WithSleep(sleep))
	p := cfg.Policy.Notify
	var accounts *awsapi.Accounts
	if org := cfg.Organization; org != nil {
		accounts = awsapi.NewAccounts(awsCfg, org.MemberRoleName, "selfheal-"+function, now)
	}
	return Deps{
		Accounts:   accounts,
		Sleep:      sleep,
		Function:   function,
		Config:     cfg,
		AWS:        awsCfg,
		Now:        now,
		Logger:     telemetry.NewLogger(out, function, os.Getenv("AWS_LAMBDA_LOG_LEVEL")),
		Out:        out,
		Store:      store,
		Notifier:   notify.New(sns.NewFromConfig(awsCfg), cfg.TopicARN, store, now, p.DedupeWindow.Duration, p.NotifyPass),
		Quarantine: NewQuarantine(sqs.NewFromConfig(awsCfg), cfg.QueueURL),
	}
}

// Option changes how a function's dependencies wait.
type Option func(*options)

type options struct {
	sleep func(context.Context, time.Duration) error
}

// WithSleep makes the function pause with sleep instead of a timer: a
// simulated account passes its clock, so that waiting takes sim time.
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(o *options) { o.sleep = sleep }
}

// ForAccount is d acting in a member account: AWS clients built from it
// act through the member role, and the records of what the function does
// and finds there are the account's own (state.Store.ForAccount), its
// notifications deduplicated against them. The topic, the quarantine and
// the event claims stay the hub's.
func (d Deps) ForAccount(account string) Deps {
	m := d
	m.AWS = d.Accounts.Config(account, d.Config.Region)
	m.Store = d.Store.ForAccount(account)
	p := d.Config.Policy.Notify
	m.Notifier = notify.New(sns.NewFromConfig(d.AWS), d.Config.TopicARN, m.Store, d.Now, p.DedupeWindow.Duration, p.NotifyPass)
	return m
}

// BoundaryFor is Boundary for the processor build makes, which in a hub
// deployment also makes one processor per member account, acting there.
func (d Deps) BoundaryFor(build func(Deps) Processor, kinds ...eventbridge.Kind) *Boundary {
	b := d.Boundary(build(d), kinds...)
	if d.Accounts != nil {
		b.Members = &Members{deps: d, build: build, processors: map[string]Processor{}}
	}
	return b
}

// DefaultLease keeps other invocations off an event for a little longer
// than the longest function timeout.
const DefaultLease = 16 * time.Minute

// Boundary wraps a processor of the given kinds in the shared boundary.
func (d Deps) Boundary(p Processor, kinds ...eventbridge.Kind) *Boundary {
	return &Boundary{
		Function: d.Function, Region: d.Config.Region, Handles: kinds, Processor: p, Outbox: d.Notifier,
		Claims: d.Store, Quarantine: d.Quarantine, Notifier: d.Notifier, Logger: d.Logger, MetricsOut: d.Out,
		Now: d.Now, Lease: DefaultLease, Exclusive: d.Config.ReservedConcurrency == 1, Sleep: d.Sleep,
	}
}
