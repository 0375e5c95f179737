package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// awsMode is what `invoke --aws` may touch in the real account. Reads
// always go to the account; everything else is opt-in.
type awsMode struct {
	// DryRun: the function plans and reports its writes without making
	// them. Forced unless --apply; with --apply the policy decides.
	DryRun bool
	// Publish to SELFHEAL_TOPIC_ARN instead of printing the messages.
	Publish bool
	// RealState uses the deployment's state table (SELFHEAL_TABLE) for
	// event claims, dedupe and ledgers; otherwise a throwaway local table,
	// so that a dry run never marks a real event as processed.
	RealState bool
	// RealQueue sends quarantined events to SELFHEAL_DLQ_URL instead of
	// printing them.
	RealQueue bool
}

// planAWS decides the mode from --apply, the policy's own dryRun and the
// deployment's variables. Only --apply ever writes to the account.
func planAWS(apply, policyDryRun bool, getenv func(string) string) awsMode {
	set := func(k string) bool { return strings.TrimSpace(getenv(k)) != "" }
	return awsMode{
		DryRun:    !apply || policyDryRun,
		Publish:   apply && set(config.EnvTopicARN),
		RealState: apply && set(config.EnvTableName),
		RealQueue: apply && set(config.EnvQueueURL),
	}
}

func (m awsMode) String() string {
	say := func(real bool, yes, no string) string {
		if real {
			return yes
		}
		return no
	}
	return strings.Join([]string{
		say(m.DryRun, "dry run (no writes to your resources)", "APPLY: the function's writes are made"),
		say(m.Publish, "notifications published", "notifications printed, not published"),
		say(m.RealState, "state in "+config.EnvTableName, "state in a throwaway local table"),
		say(m.RealQueue, "quarantine to "+config.EnvQueueURL, "quarantine printed, not queued"),
	}, "; ")
}

// invokeAWS runs the function in process against the account of the
// standard credential chain. It is deliberately small and is not tested
// against the network; planAWS and the printing clients are.
func invokeAWS(ctx context.Context, fn gameday.Function, raw []byte, apply bool, getenv func(string) string, stdout, stderr io.Writer) (invokeResult, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return invokeResult{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return invokeResult{}, errors.New("no AWS region: set AWS_REGION or a region in your profile")
	}
	var calls atomic.Int64
	awsCfg.APIOptions = append(awsCfg.APIOptions, countCalls(&calls))
	policy := config.DefaultPolicy()
	if doc := getenv(config.EnvPolicy); strings.TrimSpace(doc) != "" {
		if policy, err = config.ParsePolicy([]byte(doc)); err != nil {
			return invokeResult{}, err
		}
	}
	mode := planAWS(apply, policy.DryRun, getenv)
	policy.DryRun = mode.DryRun
	fmt.Fprintf(stderr, "selfheal invoke --aws: %s in %s: %s\n", fn.Name, awsCfg.Region, mode)

	// selfheal's own resources: the deployment's when --apply names them,
	// else a throwaway local copy on the simulated account.
	sim := awssim.New(awssim.WithRegions(awsCfg.Region))
	local, err := simenv.New(ctx, sim, awsCfg.Region, policy)
	if err != nil {
		return invokeResult{}, err
	}
	cfg := local.Config
	cfg.Policy = policy
	if mode.RealState {
		cfg.TableName = getenv(config.EnvTableName)
	}
	out := &lineBuffer{}
	deps := handler.NewDeps(fn.Name, cfg, awsCfg, out, time.Now)
	if !mode.RealState {
		deps.Store = state.New(dynamodb.NewFromConfig(sim.Config(awsCfg.Region)), cfg.TableName, time.Now)
	}
	var publisher notify.SNSAPI = &printingPublisher{w: stdout}
	topic := "arn:aws:sns:" + awsCfg.Region + ":000000000000:printed"
	if mode.Publish {
		publisher, topic = sns.NewFromConfig(awsCfg), getenv(config.EnvTopicARN)
	}
	np := policy.Notify
	deps.Notifier = notify.New(publisher, topic, deps.Store, time.Now, np.DedupeWindow.Duration, np.NotifyPass)
	queue := &recordingQueue{}
	if mode.RealQueue {
		deps.Quarantine = handler.NewQuarantine(sqs.NewFromConfig(awsCfg), getenv(config.EnvQueueURL))
	} else {
		deps.Quarantine = handler.NewQuarantine(queue, "printed")
	}
	herr := deps.Boundary(fn.New(deps), fn.Kinds...).Handle(ctx, raw)
	inv := gameday.DecodeLogLine(out.bytes())
	inv.Function, inv.Attempt, inv.Calls = fn.Name, 1, int(calls.Load())
	if herr != nil {
		inv.Status, inv.Error = gameday.StatusError, herr.Error()
	}
	return invokeResult{Invocation: inv, DeadLetters: queue.letters()}, nil
}

// countCalls counts every operation the clients start.
func countCalls(n *atomic.Int64) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("selfheal-count-calls",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				n.Add(1)
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

// printingPublisher stands in for SNS: it prints each message's subject
// and e-mail text, which is what a subscriber would have received.
type printingPublisher struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

var _ notify.SNSAPI = (*printingPublisher)(nil)

func (p *printingPublisher) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	text := aws.ToString(in.Message)
	if aws.ToString(in.MessageStructure) == "json" {
		var parts map[string]string
		if json.Unmarshal([]byte(text), &parts) == nil {
			if email, ok := parts["email"]; ok {
				text = email
			} else {
				text = parts["default"]
			}
		}
	}
	_, err := fmt.Fprintf(p.w, "--- would publish (not sent): %s\n%s\n---\n", aws.ToString(in.Subject), strings.TrimRight(text, "\n"))
	if err != nil {
		return nil, fmt.Errorf("print notification: %w", err)
	}
	return &sns.PublishOutput{MessageId: aws.String(fmt.Sprintf("printed-%d", p.n))}, nil
}

// recordingQueue stands in for the dead-letter queue: it keeps what would
// have been quarantined, for the output.
type recordingQueue struct {
	mu   sync.Mutex
	sent []gameday.DeadLetter
}

var _ handler.SQSAPI = (*recordingQueue)(nil)

func (q *recordingQueue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	attr := func(k string) string { return aws.ToString(in.MessageAttributes[k].StringValue) }
	q.sent = append(q.sent, gameday.DeadLetter{
		Kind: attr("error_kind"), Reason: attr("reason"), Function: attr("function"),
		EventID: attr("event_id"), Source: attr("source"), DetailType: attr("detail_type"),
	})
	return &sqs.SendMessageOutput{MessageId: aws.String(fmt.Sprintf("printed-%d", len(q.sent)))}, nil
}

func (q *recordingQueue) letters() []gameday.DeadLetter {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]gameday.DeadLetter{}, q.sent...)
}

// lineBuffer collects a function's output (its log line and EMF record).
type lineBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lineBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}
