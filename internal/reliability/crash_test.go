package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
)

const (
	region = "us-east-1"
	azA    = "us-east-1a"
)

// errProcessDied is what every call of a dead process gets: nothing after
// the crash reaches AWS.
var errProcessDied = errors.New("the Lambda process died")

// crash kills the function's process right after its n-th successful
// write to AWS (any service: the state table, Auto Scaling, SNS), as a
// timeout or an out-of-memory kill would: every later call fails before
// it is sent. With after 0 it never fires and only records the writes.
type crash struct {
	after int

	mu     sync.Mutex
	writes []string
	dead   bool
}

func (c *crash) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("reliability.crash",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			dead := c.dead
			c.mu.Unlock()
			if dead {
				return middleware.InitializeOutput{}, middleware.Metadata{}, errProcessDied
			}
			out, md, err := next.HandleInitialize(ctx, in)
			call := awssim.Call{Service: awsmiddleware.GetServiceID(ctx), Operation: awsmiddleware.GetOperationName(ctx)}
			if err == nil && !call.IsRead() {
				c.mu.Lock()
				c.writes = append(c.writes, call.Service+" "+call.Operation)
				c.dead = len(c.writes) == c.after
				c.mu.Unlock()
			}
			return out, md, err
		}), middleware.Before)
}

// account is a simulated account with selfheal deployed and three groups
// over three AZs: two opted in (one with MaxSize = desired, the seed's
// mistake, one with room) and one not.
type account struct {
	t   *testing.T
	sim *awssim.Sim
	env *simenv.Env
}

func newAccount(t *testing.T) *account {
	t.Helper()
	sim := awssim.New(awssim.WithSeed(7))
	env, err := simenv.New(ctx, sim, region, config.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	a := &account{t: t, sim: sim, env: env}
	a.group("web", 6, 6, 6, true)
	a.group("api", 2, 6, 3, true)
	a.group("batch", 3, 3, 3, false)
	sim.Settle(30 * time.Minute)
	sim.DrainEvents()
	return a
}

func (a *account) group(name string, minSize, maxSize, desired int32, optIn bool) {
	a.t.Helper()
	var subnets []string
	for _, az := range a.sim.AZs(region) {
		subnets = append(subnets, a.sim.SubnetIn(region, az.Name))
	}
	var tags []astypes.Tag
	if optIn {
		tags = append(tags, astypes.Tag{Key: aws.String("selfheal:managed"), Value: aws.String("true"), PropagateAtLaunch: aws.Bool(false)})
	}
	err := a.sim.CreateGroup(region, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name),
		MinSize:              aws.Int32(minSize), MaxSize: aws.Int32(maxSize), DesiredCapacity: aws.Int32(desired),
		VPCZoneIdentifier: aws.String(strings.Join(subnets, ",")),
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name), Version: aws.String("$Latest")},
		Tags:              tags,
	})
	if err != nil {
		a.t.Fatal(err)
	}
}

// function builds a function as its Lambda main does, on the account, with
// the crash's middleware under its SDK clients when c is not nil: a new
// process, as Lambda starts after a crash. Its log and metrics are dropped.
func (a *account) function(name string, c *crash) *handler.Boundary {
	return a.functionLogging(name, c, io.Discard)
}

// functionLogging is function with its output (log line, EMF) to out.
func (a *account) functionLogging(name string, c *crash, out io.Writer) *handler.Boundary {
	a.t.Helper()
	fn, ok := gameday.Lookup(name)
	if !ok {
		a.t.Fatalf("no function %s", name)
	}
	cfg := a.sim.Config(region)
	if c != nil {
		cfg.APIOptions = append(cfg.APIOptions, c.middleware)
	}
	deps := handler.NewDeps(name, a.env.Config, cfg, out, a.sim.Now)
	return deps.Boundary(fn.New(deps), fn.Kinds...)
}

// invocation is the context Lambda gives one invocation of a function:
// the boundary reads the account it serves from the function's ARN, and the
// claim on the event lasts until the invocation's deadline (the
// rebalancer's timeout is two minutes, infra/functions.go).
func invocation(function, requestID string) context.Context {
	c := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       requestID,
		InvokedFunctionArn: "arn:aws:lambda:" + region + ":" + awssim.DefaultAccountID + ":function:selfheal-" + function,
	})
	return withDeadline{c, time.Now().Add(2 * time.Minute)}
}

// withDeadline carries an invocation's deadline without a timer: the sim
// answers at once, so only the deadline's value matters.
type withDeadline struct {
	context.Context
	deadline time.Time
}

func (c withDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

// healthEvent is the last AWS Health event the account emitted.
func (a *account) healthEvent() []byte {
	a.t.Helper()
	var last []byte
	for _, e := range a.sim.DrainEvents() {
		if e.DetailType == "AWS Health Event" {
			last = e.JSON
		}
	}
	if last == nil {
		a.t.Fatal("no AWS Health event emitted")
	}
	return last
}

// end is what the rebalancer leaves behind.
type end struct {
	Groups []groupState
	Ledger []string
	// ASGWrites counts the successful Auto Scaling writes by operation.
	ASGWrites map[string]int
	// Done are the actions notified as done, by kind and group, each once
	// however often it was notified: a process that dies between its
	// publish and recording it sends that message again on the retry, as
	// any at-least-once delivery must; what may never happen is an action
	// not notified at all.
	Done []string
}

type groupState struct {
	Name               string
	Min, Max, Desired  int
	Subnets, Suspended []string
	EvacuatedFrom      string
	AZCounts           map[string]int
}

func (a *account) end(calls, published int) end {
	a.t.Helper()
	// Let Auto Scaling finish what it started, so placement compares too.
	a.sim.Settle(time.Hour)
	var e end
	for _, name := range []string{"api", "batch", "web"} {
		g, ok := a.sim.Group(region, name)
		if !ok {
			a.t.Fatalf("no group %s", name)
		}
		e.Groups = append(e.Groups, groupState{
			Name: name, Min: g.Min, Max: g.Max, Desired: g.Desired, Subnets: g.Subnets, Suspended: g.Suspended,
			EvacuatedFrom: g.Tags["selfheal:evacuated-from"], AZCounts: a.sim.GroupAZCounts(region, name),
		})
	}
	for _, it := range a.sim.DynamoDBItems(region, simenv.TableName) {
		if pk := attrString(it["pk"]); strings.HasPrefix(pk, "evac#") {
			e.Ledger = append(e.Ledger, pk+" "+attrString(it["sk"]))
		}
	}
	slices.Sort(e.Ledger)
	e.ASGWrites = map[string]int{}
	for _, c := range a.sim.CallsSince(calls) {
		if c.Service == awssim.ServiceAutoScaling && c.Err == nil && !c.IsRead() {
			e.ASGWrites[c.Operation]++
		}
	}
	for _, m := range a.sim.Published()[published:] {
		n := gameday.ParseNotification(m.Subject, m.Message, m.Structure == "json", m.Time)
		for _, act := range n.Actions {
			if act.Outcome == notify.OutcomeDone {
				e.Done = append(e.Done, string(act.Kind)+" "+act.Resource)
			}
		}
	}
	slices.Sort(e.Done)
	e.Done = slices.Compact(e.Done)
	return e
}

// phases of the rebalancer's work, each set up on a fresh account up to
// the event that starts it.
var phases = []struct {
	name    string
	prepare func(a *account) []byte
}{
	{"evacuation", func(a *account) []byte {
		a.sim.RaiseAZIssue(region, azA, "EC2")
		return a.healthEvent()
	}},
	{"restore", func(a *account) []byte {
		arn := a.sim.RaiseAZIssue(region, azA, "EC2")
		if err := a.function("asg-rebalancer", nil).Handle(invocation("asg-rebalancer", "evacuation"), a.healthEvent()); err != nil {
			a.t.Fatalf("evacuation: %v", err)
		}
		a.sim.Settle(30 * time.Minute)
		if err := a.sim.CloseHealthEvent(arn); err != nil {
			a.t.Fatal(err)
		}
		return a.healthEvent()
	}},
}

// The rebalancer's process dies right after each write of an evacuation
// and of a restore — the claim, the signal, the ledger record, the breaker
// count, each group's update and tag, the notification, the claim marked
// done — and the event is delivered again once the dead invocation's
// lease has passed. Each time the account ends as after an uninterrupted
// run: the same groups (configuration and placement), the same ledger,
// every Auto Scaling write made once, every action notified done once.
// A process that dies before its notification is out has not reported
// success.
func TestRebalancerCrashAfterEveryWrite(t *testing.T) {
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			a := newAccount(t)
			ev := ph.prepare(a)
			calls, published := a.sim.CallCount(), len(a.sim.Published())
			rec := &crash{}
			if err := a.function("asg-rebalancer", rec).Handle(invocation("asg-rebalancer", "uninterrupted"), ev); err != nil {
				t.Fatalf("uninterrupted run: %v", err)
			}
			a.sim.Advance(handler.DefaultLease + time.Minute)
			want := a.end(calls, published)
			if want.ASGWrites["UpdateAutoScalingGroup"] != 2 || len(want.Done) != 2 {
				t.Fatalf("the uninterrupted %s is not the story under test: %+v", ph.name, want)
			}
			t.Logf("%s: %d writes: %s", ph.name, len(rec.writes), strings.Join(rec.writes, ", "))
			// Once the notification is out, the work is done and reported;
			// only marking the claim done may be left.
			reported := slices.Index(rec.writes, "SNS Publish") + 1
			if reported == 0 {
				t.Fatal("the uninterrupted run published nothing")
			}

			for k := 1; k <= len(rec.writes); k++ {
				t.Run(fmt.Sprintf("dies after %d %s", k, rec.writes[k-1]), func(t *testing.T) {
					a := newAccount(t)
					ev := ph.prepare(a)
					calls, published := a.sim.CallCount(), len(a.sim.Published())
					err := a.function("asg-rebalancer", &crash{after: k}).Handle(invocation("asg-rebalancer", "dies"), ev)
					if k < reported && err == nil {
						t.Error("the invocation died before its notification was published and returned success: Lambda would not retry it")
					}
					// Lambda's retries come before the lease ends (see
					// TestLambdaRetryAfterCrash); EventBridge's next delivery
					// or a redrive from the dead-letter queue comes after.
					a.sim.Advance(handler.DefaultLease + time.Minute)
					again := a.function("asg-rebalancer", nil)
					if err := again.Handle(invocation("asg-rebalancer", "redelivery"), ev); err != nil {
						t.Fatalf("delivery after the crash: %v", err)
					}
					if err := again.Handle(invocation("asg-rebalancer", "duplicate"), ev); err != nil {
						t.Fatalf("a duplicate after that: %v", err)
					}
					got := a.end(calls, published)
					// MaxSize is raised by as many instances as are still to
					// move when the group is updated: the redelivery comes a
					// lease later, when Auto Scaling has replaced some of the
					// impaired AZ's instances itself. It must still leave room
					// (or, restored, be the original).
					for i, g := range got.Groups {
						w := want.Groups[i]
						if g.Max < g.Desired || (ph.name == "restore" && g.Max != w.Max) {
							t.Errorf("group %s: MaxSize %d with desired %d (uninterrupted: %d)", g.Name, g.Max, g.Desired, w.Max)
						}
					}
					if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(groupState{}, "Max")); diff != "" {
						t.Errorf("the account after the crash and the redelivery (-uninterrupted +crashed):\n%s", diff)
					}
				})
			}
		})
	}
}

// A process that dies mid-evacuation (after the first group's update) is
// retried by Lambda one minute later, then two minutes after that
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):
// one of those retries finishes the evacuation. A timeout or a kill ends
// the invocation with the event's claim still held, so the claim must not
// keep Lambda's own retries out.
//
// Lambda's retries of an asynchronous invocation carry the request id of
// the first attempt (https://repost.aws/knowledge-center/lambda-function-duplicate-invocations),
// which EventBridge's duplicate deliveries do not: the test gives every
// attempt the same one.
func TestLambdaRetryAfterCrash(t *testing.T) {
	ctx := invocation("asg-rebalancer", "6f1e2d3c-0000-4000-8000-000000000001")
	a := newAccount(t)
	ev := phases[0].prepare(a)
	c := &crash{after: 7} // claim, signal, ledger, breaker ×2, the kept report, then api's update
	if err := a.function("asg-rebalancer", c).Handle(ctx, ev); err == nil {
		t.Fatal("the dead invocation returned success")
	}
	if got := c.writes[len(c.writes)-1]; got != "Auto Scaling UpdateAutoScalingGroup" {
		t.Fatalf("the process died after %s, want after the first group update (writes %v)", got, c.writes)
	}
	var errs []error
	for _, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		a.sim.Advance(wait)
		err := a.function("asg-rebalancer", nil).Handle(ctx, ev)
		if err == nil {
			break
		}
		errs = append(errs, err)
	}
	if len(errs) == 2 {
		t.Fatalf("both Lambda retries failed, the event goes to the dead-letter queue unprocessed: %v", errors.Join(errs...))
	}
	for _, name := range []string{"api", "web"} {
		if g, _ := a.sim.Group(region, name); g.Tags["selfheal:evacuated-from"] != azA || len(g.Subnets) != 2 {
			t.Errorf("group %s after the retries: subnets %v, tags %v", name, g.Subnets, g.Tags)
		}
	}
}
