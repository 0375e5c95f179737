package rebalance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/rebalance"
	"github.com/selfheal/selfheal/shared/state"
)

const region = "us-east-1"

var ctx = context.Background()

// rig is one selfheal deployment of the asg-rebalancer on a simulated
// account, run through the real Lambda boundary, with a local event bus
// that delivers what the account emits to the function when one of its
// rules matches.
type rig struct {
	t        testing.TB
	sim      *awssim.Sim
	env      *simenv.Env
	p        *rebalance.Processor
	boundary *handler.Boundary
	store    *state.Store
	log      bytes.Buffer
	rules    []*eventbridge.Pattern
	// errs are the errors the function returned for bus deliveries.
	errs []error
}

func newRig(t testing.TB, policy func(*config.Policy)) *rig {
	t.Helper()
	sim := awssim.New(awssim.WithSeed(42))
	pol := config.DefaultPolicy()
	if policy != nil {
		policy(&pol)
	}
	env, err := simenv.New(ctx, sim, region, pol)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, sim: sim, env: env}
	deps := env.Deps("asg-rebalancer", &r.log)
	r.p = rebalance.New(deps)
	r.boundary = deps.Boundary(r.p, rebalance.Kinds...)
	r.boundary.Account = sim.AccountID()
	r.store = state.New(dynamodb.NewFromConfig(sim.Config(region)), env.Config.TableName, sim.Now, state.WithSleep(sim.Sleep))
	r.rules = rebalancerRules(t)
	sim.DrainEvents()
	return r
}

// rebalancerRules are the asg-rebalancer's EventBridge rules.
func rebalancerRules(t testing.TB) []*eventbridge.Pattern {
	t.Helper()
	patterns, err := events.Patterns()
	if err != nil {
		t.Fatal(err)
	}
	var rules []*eventbridge.Pattern
	for _, p := range patterns {
		if p.Function != "asg-rebalancer" {
			continue
		}
		c, err := eventbridge.CompilePattern(p.JSON)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, c)
	}
	return rules
}

// group seeds an Auto Scaling group with one subnet in each AZ and lets it
// launch its instances. Tags are key=value pairs; the default is the
// opt-in tag.
func (r *rig) group(name string, minSize, maxSize, desired int32, azs []string, tags ...string) {
	r.t.Helper()
	var subnets []string
	for _, az := range azs {
		subnets = append(subnets, r.sim.SubnetIn(region, az))
	}
	if tags == nil {
		tags = []string{"selfheal:managed=true"}
	}
	var ts []astypes.Tag
	for _, kv := range tags {
		k, v, _ := strings.Cut(kv, "=")
		ts = append(ts, astypes.Tag{Key: aws.String(k), Value: aws.String(v), PropagateAtLaunch: aws.Bool(false)})
	}
	err := r.sim.CreateGroup(region, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name),
		MinSize:              aws.Int32(minSize), MaxSize: aws.Int32(maxSize), DesiredCapacity: aws.Int32(desired),
		VPCZoneIdentifier: aws.String(strings.Join(subnets, ",")),
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name), Version: aws.String("$Latest")},
		Tags:              ts,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.sim.Settle(30 * time.Minute)
	r.sim.DrainEvents() // the launches happened before the story starts
}

// deliver hands one raw event to the function, as Lambda would.
func (r *rig) deliver(raw []byte) error {
	return r.boundary.Handle(ctx, raw)
}

// pump delivers every event the account emitted since the last pump that
// one of the function's rules matches, in order, and returns how many.
func (r *rig) pump() int {
	r.t.Helper()
	n := 0
	for _, e := range r.sim.DrainEvents() {
		if !r.matches(e.JSON) {
			continue
		}
		n++
		if err := r.deliver(e.JSON); err != nil {
			r.errs = append(r.errs, err)
		}
	}
	return n
}

func (r *rig) matches(raw []byte) bool {
	for _, rule := range r.rules {
		if ok, err := rule.Matches(raw); err == nil && ok {
			return true
		}
	}
	return false
}

// lastEvent returns the last emitted event of a detail-type (not drained).
func (r *rig) lastEvent(detailType string) []byte {
	r.t.Helper()
	all := r.sim.Emitted()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].DetailType == detailType {
			return all[i].JSON
		}
	}
	r.t.Fatalf("no %q event emitted", detailType)
	return nil
}

// watch advances the clock tick by tick for up to d, delivering what the
// account emits and calling each after every tick; it stops early once
// done returns true.
func (r *rig) watch(d time.Duration, each func(), done func() bool) {
	r.t.Helper()
	for end := r.sim.Now().Add(d); r.sim.Now().Before(end); {
		r.sim.Advance(awssim.DefaultTick)
		r.pump()
		each()
		if done != nil && done() {
			return
		}
	}
	if done != nil {
		r.t.Fatalf("not done after %s", d)
	}
}

func (r *rig) snapshot(name string) awssim.Group {
	r.t.Helper()
	g, ok := r.sim.Group(region, name)
	if !ok {
		r.t.Fatalf("no group %s", name)
	}
	return g
}

func (r *rig) inService(name string) int {
	n := 0
	for _, c := range r.sim.GroupAZCounts(region, name) {
		n += c
	}
	return n
}

// settled reports whether a group has exactly the given InService counts
// per AZ and nothing launching or terminating.
func (r *rig) settled(name string, want map[string]int) bool {
	for _, in := range r.snapshot(name).Instances {
		if in.LifecycleState != astypes.LifecycleStateInService {
			return false
		}
	}
	got := r.sim.GroupAZCounts(region, name)
	for az, n := range want {
		if got[az] != n {
			return false
		}
	}
	return true
}

// asgWrites returns the successful Auto Scaling writes of the function
// (seeding makes none: it goes through sim controls).
func (r *rig) asgWrites(ops ...string) []awssim.Call {
	var out []awssim.Call
	for _, c := range r.sim.Writes(awssim.ServiceAutoScaling) {
		if len(ops) == 0 || slices.Contains(ops, c.Operation) {
			out = append(out, c)
		}
	}
	return out
}

// published is one remediation message as a machine subscriber reads it.
type published struct {
	Kind    notify.Kind     `json:"kind"`
	DryRun  bool            `json:"dryRun"`
	Actions []notify.Action `json:"actions"`
}

// messages returns the messages published to the topic, decoded.
func (r *rig) messages() []published {
	r.t.Helper()
	var out []published
	for _, m := range r.sim.Published() {
		var structure map[string]string
		if err := json.Unmarshal([]byte(m.Message), &structure); err != nil {
			r.t.Fatalf("message is not a JSON structure: %v", err)
		}
		var p published
		if err := json.Unmarshal([]byte(structure["default"]), &p); err != nil {
			r.t.Fatalf("message document: %v", err)
		}
		out = append(out, p)
	}
	return out
}

// actions returns every action published, in order.
func (r *rig) actions() []notify.Action {
	var out []notify.Action
	for _, m := range r.messages() {
		out = append(out, m.Actions...)
	}
	return out
}

// kinds summarizes actions as "KIND/OUTCOME reason" lines.
func kinds(as []notify.Action) []string {
	var out []string
	for _, a := range as {
		s := fmt.Sprintf("%s/%s", a.Kind, a.Outcome)
		if a.Kind == notify.ActionSkip {
			s += " " + a.Details["reason"]
		}
		out = append(out, s)
	}
	return out
}

// sample returns a catalogue event with its id replaced and strings
// swapped (old, new pairs).
func sample(t testing.TB, path, id string, swaps ...string) []byte {
	t.Helper()
	raw, err := events.Sample(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = id
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for i := 0; i+1 < len(swaps); i += 2 {
		s = strings.ReplaceAll(s, swaps[i], swaps[i+1])
	}
	return []byte(s)
}

// withID returns raw with its event id replaced: EventBridge gives every
// delivery of a new event a new id.
func withID(t testing.TB, raw []byte, id string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = id
	out, _ := json.Marshal(m)
	return out
}

// withTime returns raw as if sent at t: the envelope's time, and a launch
// failure's EndTime.
func withTime(t testing.TB, raw []byte, at time.Time) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["time"] = at.UTC().Format(time.RFC3339)
	if d, ok := m["detail"].(map[string]any); ok {
		if _, ok := d["EndTime"]; ok {
			d["EndTime"] = at.UTC().Format(time.RFC3339Nano)
		}
	}
	out, _ := json.Marshal(m)
	return out
}

// tick is the rebalancer's schedule firing now.
func (r *rig) tick(id string) []byte {
	r.t.Helper()
	raw := sample(r.t, "aws.events/scheduled-event.json", id, "selfheal-compliance-sweep", "selfheal-asg-rebalancer")
	return withTime(r.t, raw, r.sim.Now())
}
