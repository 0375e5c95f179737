package rebalance_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/rebalance"
	"github.com/selfheal/selfheal/shared/state"
)

var now = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

const (
	azA = "us-east-1a"
	azB = "us-east-1b"
	azC = "us-east-1c"
)

var subnetOf = map[string]string{azA: "subnet-a", azB: "subnet-b", azC: "subnet-c"}

const healthKey = "health#arn:aws:health:us-east-1::event/EC2/X/1"

// groupIn builds an opted-in group with one subnet per AZ and the given
// in-service instances per AZ; MaxSize = DesiredCapacity = the total, the
// seed's mistake.
func groupIn(name string, counts map[string]int) rebalance.Group {
	g := rebalance.Group{
		Name: name, ARN: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:" + name + ":autoScalingGroupName/" + name,
		Tags:    map[string]string{"selfheal:managed": "true"},
		Refresh: rebalance.RefreshNone,
	}
	var azs []string
	for az := range counts {
		azs = append(azs, az)
	}
	slices.Sort(azs)
	for _, az := range azs {
		g.AZs = append(g.AZs, az)
		g.Subnets = append(g.Subnets, rebalance.Subnet{ID: subnetOf[az], AZ: az})
		for i := range counts[az] {
			g.Instances = append(g.Instances, rebalance.Instance{ID: fmt.Sprintf("i-%s-%s-%d", name, az, i), AZ: az, Lifecycle: "InService", Healthy: true})
			g.DesiredCapacity++
		}
	}
	g.MaxSize = g.DesiredCapacity
	g.MinSize = g.DesiredCapacity
	return g
}

// with returns a changed copy of g; g itself is left as it was.
func with(g rebalance.Group, f func(*rebalance.Group)) rebalance.Group {
	g.Subnets, g.AZs, g.Instances = slices.Clone(g.Subnets), slices.Clone(g.AZs), slices.Clone(g.Instances)
	tags := make(map[string]string, len(g.Tags))
	for k, v := range g.Tags {
		tags[k] = v
	}
	g.Tags = tags
	f(&g)
	return g
}

// evacuated is g after selfheal moved it out of az for holder: the
// subnet gone, MaxSize raised to maxSize, the tag mirrored.
func evacuated(g rebalance.Group, az string, maxSize int32, holders ...string) (rebalance.Group, state.Evacuation) {
	rec := state.Evacuation{
		Group: g.Name, GroupARN: g.ARN, AZ: az, RemovedSubnets: []string{subnetOf[az]},
		OriginalSubnets: g.SubnetIDs(), OriginalMaxSize: g.MaxSize, MaxSize: maxSize,
		AZRebalanceSuspended: g.AZRebalanceSuspended, Holders: holders, EventID: "evt-0", CreatedAt: now.Add(-time.Hour),
	}
	g.Subnets = slices.DeleteFunc(slices.Clone(g.Subnets), func(s rebalance.Subnet) bool { return s.AZ == az })
	g.AZs = slices.DeleteFunc(slices.Clone(g.AZs), func(a string) bool { return a == az })
	var moved []rebalance.Instance
	for _, in := range g.Instances {
		if in.AZ == az {
			// Replaced in the remaining AZs, round robin.
			in.AZ = g.AZs[len(moved)%len(g.AZs)]
			moved = append(moved, in)
		}
	}
	g.Instances = slices.DeleteFunc(slices.Clone(g.Instances), func(in rebalance.Instance) bool { return in.AZ == az })
	g.Instances = append(g.Instances, moved...)
	g.MaxSize = maxSize
	g.Tags = map[string]string{"selfheal:managed": "true", rebalance.TagEvacuatedFrom: az}
	return g, rec
}

func impair(key string, azs ...string) rebalance.Signal {
	return rebalance.Signal{Key: key, Source: rebalance.SourceHealth, Effect: rebalance.EffectImpair, AZs: azs, At: now, EventID: "evt-1"}
}

func recoverSig(key string, azs ...string) rebalance.Signal {
	return rebalance.Signal{Key: key, Source: rebalance.SourceHealth, Effect: rebalance.EffectRecover, AZs: azs, At: now, EventID: "evt-2"}
}

func input(sig rebalance.Signal, groups ...rebalance.Group) rebalance.Input {
	in := rebalance.Input{
		Now: now, Policy: config.DefaultPolicy(), Signal: sig, Groups: groups,
		Ledger:  map[string][]state.Evacuation{},
		Signals: map[string]state.Signal{},
		Breaker: state.Breaker{Status: state.BreakerClosed, Exists: true},
	}
	in.Signals[sig.Key] = state.Signal{Key: sig.Key, Impaired: sig.Effect == rebalance.EffectImpair, AZs: sig.AZs, Since: now, ObservedAt: now}
	return in
}

// skipsOf returns the skip reasons of the plan, by group.
func skipsOf(p rebalance.Plan) map[string][]rebalance.SkipReason {
	out := map[string][]rebalance.SkipReason{}
	for _, g := range p.Groups {
		for _, s := range g.Skips {
			out[g.Group] = append(out[g.Group], s.Reason)
		}
	}
	return out
}

func groupPlan(t *testing.T, p rebalance.Plan, name string) rebalance.GroupPlan {
	t.Helper()
	for _, g := range p.Groups {
		if g.Group == name {
			return g
		}
	}
	t.Fatalf("no plan for group %s in %+v", name, p.Groups)
	return rebalance.GroupPlan{}
}

func TestEvacuateTheSeedsGroup(t *testing.T) {
	web := groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2})
	p := rebalance.Build(input(impair(healthKey, azA), web))

	gp := groupPlan(t, p, "web")
	want := rebalance.GroupPlan{
		Group: "web", ARN: web.ARN, InScope: true,
		Current:  rebalance.Config{Subnets: []string{"subnet-a", "subnet-b", "subnet-c"}, MaxSize: 6},
		Target:   rebalance.Config{Subnets: []string{"subnet-b", "subnet-c"}, MaxSize: 8, EvacuatedTag: azA},
		Evacuate: []string{azA},
		Moving:   2,
		Record: []state.Evacuation{{
			Group: "web", GroupARN: web.ARN, AZ: azA, RemovedSubnets: []string{"subnet-a"},
			OriginalSubnets: []string{"subnet-a", "subnet-b", "subnet-c"}, OriginalMaxSize: 6, MaxSize: 8,
			Holders: []string{healthKey}, EventID: "evt-1", CreatedAt: now,
		}},
		Count: []state.BreakerEvacuation{{At: now, Group: "web", AZ: azA}},
	}
	if diff := cmp.Diff(want, gp, cmpopts.IgnoreUnexported(state.Evacuation{})); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if p.Breaker.Change != rebalance.BreakerKeep || p.Breaker.Blocked {
		t.Errorf("breaker = %+v, want untouched", p.Breaker)
	}
}

func TestEvacuateKeepsAMaxSizeThatHasRoom(t *testing.T) {
	web := with(groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2}), func(g *rebalance.Group) { g.MaxSize = 12 })
	gp := groupPlan(t, rebalance.Build(input(impair(healthKey, azA), web)), "web")
	if gp.Target.MaxSize != 12 {
		t.Errorf("MaxSize = %d, want 12 (enough room already)", gp.Target.MaxSize)
	}
	if gp.Record[0].OriginalMaxSize != 12 || gp.Record[0].MaxSize != 12 {
		t.Errorf("record MaxSize %d → %d, want 12 → 12", gp.Record[0].OriginalMaxSize, gp.Record[0].MaxSize)
	}
}

func TestSkips(t *testing.T) {
	three := groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2})
	tests := []struct {
		name   string
		in     rebalance.Input
		group  string
		reason rebalance.SkipReason
	}{
		{
			name:   "a group in one AZ cannot move",
			in:     input(impair(healthKey, azA), groupIn("solo", map[string]int{azA: 3})),
			group:  "solo",
			reason: rebalance.SkipSingleAZ,
		},
		{
			name:   "two impaired AZs would leave one healthy AZ, fewer than minHealthyAZs = 2",
			in:     input(impair(healthKey, azA, azB), three),
			group:  "web",
			reason: rebalance.SkipMinHealthyAZs,
		},
		{
			name:   "a two-AZ group would keep one AZ, fewer than minHealthyAZs = 2",
			in:     input(impair(healthKey, azA), groupIn("pair", map[string]int{azA: 2, azB: 2})),
			group:  "pair",
			reason: rebalance.SkipMinHealthyAZs,
		},
		{
			name:   "an instance refresh is in progress",
			in:     input(impair(healthKey, azA), with(three, func(g *rebalance.Group) { g.Refresh = rebalance.RefreshInProgress })),
			group:  "web",
			reason: rebalance.SkipRefreshInProgress,
		},
		{
			name:   "not opted in",
			in:     input(impair(healthKey, azA), with(three, func(g *rebalance.Group) { g.Tags = map[string]string{"team": "web"} })),
			group:  "web",
			reason: rebalance.SkipNotOptedIn,
		},
		{
			name:   "opted in with the wrong value",
			in:     input(impair(healthKey, azA), with(three, func(g *rebalance.Group) { g.Tags = map[string]string{"selfheal:managed": "false"} })),
			group:  "web",
			reason: rebalance.SkipNotOptedIn,
		},
		{
			name: "excluded wins over opted in",
			in: input(impair(healthKey, azA), with(three, func(g *rebalance.Group) {
				g.Tags = map[string]string{"selfheal:managed": "true", "selfheal:exclude": ""}
			})),
			group:  "web",
			reason: rebalance.SkipExcluded,
		},
		{
			name:   "a subnet's AZ is unknown",
			in:     input(impair(healthKey, azA), with(three, func(g *rebalance.Group) { g.Subnets[1].AZ = "" })),
			group:  "web",
			reason: rebalance.SkipSubnetAZUnknown,
		},
		{
			name: "the breaker is open",
			in: func() rebalance.Input {
				in := input(impair(healthKey, azA), three)
				in.Breaker = state.Breaker{Status: state.BreakerOpen, Exists: true, OpenedAt: now.Add(-time.Minute), OpenUntil: now.Add(time.Hour)}
				return in
			}(),
			group:  "web",
			reason: rebalance.SkipBreakerOpen,
		},
		{
			name: "one more AZ than maxEvacuatedAZs = 1",
			in: func() rebalance.Input {
				g, rec := evacuated(groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2}), azC, 8, "alarm#other")
				in := input(impair(healthKey, azA), g)
				in.Ledger["web"] = []state.Evacuation{rec}
				in.Signals["alarm#other"] = state.Signal{Key: "alarm#other", Impaired: true}
				in.Policy.Rebalance.MinHealthyAZs = 1
				return in
			}(),
			group:  "web",
			reason: rebalance.SkipMaxEvacuatedAZs,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := rebalance.Build(tt.in)
			if diff := cmp.Diff(map[string][]rebalance.SkipReason{tt.group: {tt.reason}}, skipsOf(p)); diff != "" {
				t.Errorf("skips (-want +got):\n%s", diff)
			}
			gp := groupPlan(t, p, tt.group)
			if gp.Changes() || len(gp.Record) > 0 || len(gp.Evacuate) > 0 || len(gp.Hold) > 0 {
				t.Errorf("a skipped group is changed: %+v", gp)
			}
			if gp.Skips[0].Detail == "" {
				t.Error("the skip does not say why in words")
			}
		})
	}
}

func TestOutOfScopeGroupsAwayFromTheAZAreNotMentioned(t *testing.T) {
	other := with(groupIn("batch", map[string]int{azB: 1, azC: 1}), func(g *rebalance.Group) { g.Tags = nil })
	p := rebalance.Build(input(impair(healthKey, azA), other))
	if len(p.Groups) != 0 {
		t.Errorf("plan mentions groups the signal does not touch: %+v", p.Groups)
	}
}

func TestMaxGroupsPerEvent(t *testing.T) {
	in := input(impair(healthKey, azA),
		groupIn("c-web", map[string]int{azA: 1, azB: 1, azC: 1}),
		groupIn("a-api", map[string]int{azA: 1, azB: 1, azC: 1}),
		groupIn("b-jobs", map[string]int{azA: 1, azB: 1, azC: 1}),
	)
	in.Policy.Rebalance.MaxGroupsPerEvent = 2
	p := rebalance.Build(in)
	var evacuated []string
	for _, g := range p.Groups {
		if len(g.Evacuate) > 0 {
			evacuated = append(evacuated, g.Group)
		}
	}
	if diff := cmp.Diff([]string{"a-api", "b-jobs"}, evacuated); diff != "" {
		t.Errorf("evacuated groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]rebalance.SkipReason{"c-web": {rebalance.SkipBlastRadius}}, skipsOf(p)); diff != "" {
		t.Errorf("skips (-want +got):\n%s", diff)
	}
}

func TestBreaker(t *testing.T) {
	three := func(name string) rebalance.Group { return groupIn(name, map[string]int{azA: 1, azB: 1, azC: 1}) }
	recent := func(n int) []state.BreakerEvacuation {
		var out []state.BreakerEvacuation
		for i := range n {
			out = append(out, state.BreakerEvacuation{At: now.Add(-time.Duration(i+1) * time.Minute), Group: fmt.Sprintf("g%d", i), AZ: azB})
		}
		return out
	}
	t.Run("the evacuation past the limit opens it", func(t *testing.T) {
		in := input(impair(healthKey, azA), three("a"), three("b"))
		in.Breaker.Evacuations = recent(4) // limit 5: one more is allowed
		p := rebalance.Build(in)
		if got := groupPlan(t, p, "a"); len(got.Evacuate) != 1 {
			t.Errorf("group a: evacuate %v, want the fifth evacuation to go ahead", got.Evacuate)
		}
		if diff := cmp.Diff(map[string][]rebalance.SkipReason{"b": {rebalance.SkipBreakerOpen}}, skipsOf(p)); diff != "" {
			t.Errorf("skips (-want +got):\n%s", diff)
		}
		want := rebalance.BreakerPlan{Change: rebalance.BreakerOpen, Blocked: true, Until: now.Add(time.Hour)}
		if diff := cmp.Diff(want, p.Breaker, cmpopts.IgnoreFields(rebalance.BreakerPlan{}, "Reason")); diff != "" {
			t.Errorf("breaker (-want +got):\n%s", diff)
		}
	})
	t.Run("an open breaker blocks restores too", func(t *testing.T) {
		g, rec := evacuated(three("a"), azA, 4, healthKey)
		in := input(recoverSig(healthKey, azA), g)
		in.Ledger["a"] = []state.Evacuation{rec}
		in.Breaker = state.Breaker{Status: state.BreakerOpen, Exists: true, OpenUntil: now.Add(time.Minute)}
		p := rebalance.Build(in)
		gp := groupPlan(t, p, "a")
		if gp.Changes() || len(gp.Clear) > 0 {
			t.Errorf("restore planned under an open breaker: %+v", gp)
		}
		if diff := cmp.Diff(map[string][]rebalance.SkipReason{"a": {rebalance.SkipBreakerOpen}}, skipsOf(p)); diff != "" {
			t.Errorf("skips (-want +got):\n%s", diff)
		}
	})
	t.Run("an open breaker whose time is up closes and counts afresh", func(t *testing.T) {
		in := input(impair(healthKey, azA), three("a"))
		in.Breaker = state.Breaker{Status: state.BreakerOpen, Exists: true, OpenUntil: now.Add(-time.Second), Evacuations: recent(5)}
		p := rebalance.Build(in)
		if p.Breaker.Change != rebalance.BreakerClose || p.Breaker.Blocked {
			t.Errorf("breaker = %+v, want closed", p.Breaker)
		}
		if gp := groupPlan(t, p, "a"); len(gp.Evacuate) != 1 {
			t.Errorf("evacuate = %v after the breaker closed", gp.Evacuate)
		}
	})
	t.Run("a missing state item is created before counting", func(t *testing.T) {
		in := input(impair(healthKey, azA), three("a"))
		in.Breaker = state.Breaker{Status: state.BreakerClosed}
		if p := rebalance.Build(in); !p.Breaker.Create {
			t.Error("Create = false, want the state item created")
		}
	})
}

func TestAlreadyEvacuated(t *testing.T) {
	g, rec := evacuated(groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2}), azA, 8, healthKey)

	t.Run("the same signal again changes nothing and says nothing", func(t *testing.T) {
		in := input(impair(healthKey, azA), g)
		in.Ledger["web"] = []state.Evacuation{rec}
		if p := rebalance.Build(in); len(p.Groups) != 0 {
			t.Errorf("plan = %+v, want nothing", p.Groups)
		}
	})
	t.Run("another signal for the AZ holds it too", func(t *testing.T) {
		in := input(impair("alarm#web-1a", azA), g)
		in.Ledger["web"] = []state.Evacuation{rec}
		in.Signals[healthKey] = state.Signal{Key: healthKey, Impaired: true}
		p := rebalance.Build(in)
		gp := groupPlan(t, p, "web")
		if diff := cmp.Diff([]string{azA}, gp.Hold); diff != "" {
			t.Errorf("hold (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string][]rebalance.SkipReason{"web": {rebalance.SkipAlreadyEvacuated}}, skipsOf(p)); diff != "" {
			t.Errorf("skips (-want +got):\n%s", diff)
		}
		if gp.Changes() || len(gp.Record) > 0 {
			t.Errorf("an evacuated group is evacuated again: %+v", gp)
		}
	})
}

func TestFinishAnEvacuationCutShort(t *testing.T) {
	web := groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2})
	_, rec := evacuated(web, azA, 8, healthKey)
	rec.EventID = "evt-1"

	t.Run("recorded but the group never changed", func(t *testing.T) {
		in := input(impair(healthKey, azA), web)
		in.Ledger["web"] = []state.Evacuation{rec}
		gp := groupPlan(t, rebalance.Build(in), "web")
		if len(gp.Record) != 0 {
			t.Errorf("records written again: %+v", gp.Record)
		}
		want := rebalance.Config{Subnets: []string{"subnet-b", "subnet-c"}, MaxSize: 8, EvacuatedTag: azA}
		if diff := cmp.Diff(want, gp.Target); diff != "" {
			t.Errorf("target (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{azA}, gp.Evacuate); diff != "" {
			t.Errorf("evacuate (-want +got):\n%s", diff)
		}
	})
	t.Run("the group changed but the tag was never written", func(t *testing.T) {
		g, _ := evacuated(web, azA, 8, healthKey)
		delete(g.Tags, rebalance.TagEvacuatedFrom)
		in := input(impair(healthKey, azA), g)
		in.Ledger["web"] = []state.Evacuation{rec}
		gp := groupPlan(t, rebalance.Build(in), "web")
		want := rebalance.Config{Subnets: []string{"subnet-b", "subnet-c"}, MaxSize: 8, EvacuatedTag: azA}
		if diff := cmp.Diff(want, gp.Target); diff != "" {
			t.Errorf("target (-want +got):\n%s", diff)
		}
		if len(gp.Record) != 0 || !slices.Equal(gp.Evacuate, []string{azA}) {
			t.Errorf("record %v evacuate %v, want no record and the evacuation reported", gp.Record, gp.Evacuate)
		}
	})
	t.Run("an AZ someone put back by hand is left alone", func(t *testing.T) {
		g := with(web, func(g *rebalance.Group) {
			g.Tags = map[string]string{"selfheal:managed": "true", rebalance.TagEvacuatedFrom: azA}
			g.MaxSize = 8
		})
		in := input(impair(healthKey, azA), g)
		in.Ledger["web"] = []state.Evacuation{rec}
		p := rebalance.Build(in)
		if diff := cmp.Diff(map[string][]rebalance.SkipReason{"web": {rebalance.SkipReAdded}}, skipsOf(p)); diff != "" {
			t.Errorf("skips (-want +got):\n%s", diff)
		}
		if gp := groupPlan(t, p, "web"); gp.Changes() {
			t.Errorf("the group is changed back: %+v", gp.Target)
		}
	})
}

func TestRestore(t *testing.T) {
	web := groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2})
	g, rec := evacuated(web, azA, 8, healthKey)

	tests := []struct {
		name      string
		group     rebalance.Group
		rec       state.Evacuation
		policy    func(*config.Policy)
		want      rebalance.Config
		imbalance *rebalance.Imbalance
		maxKept   bool
	}{
		{
			name:  "exact subnets and MaxSize back",
			group: g, rec: rec,
			want: rebalance.Config{Subnets: []string{"subnet-a", "subnet-b", "subnet-c"}, MaxSize: 6},
		},
		{
			name:  "MaxSize changed by someone stays",
			group: with(g, func(g *rebalance.Group) { g.MaxSize = 20 }), rec: rec,
			want:    rebalance.Config{Subnets: []string{"subnet-a", "subnet-b", "subnet-c"}, MaxSize: 20},
			maxKept: true,
		},
		{
			name:  "desired capacity grew past the original MaxSize: MaxSize never below it",
			group: with(g, func(g *rebalance.Group) { g.DesiredCapacity = 7 }), rec: rec,
			want:    rebalance.Config{Subnets: []string{"subnet-a", "subnet-b", "subnet-c"}, MaxSize: 7},
			maxKept: true,
		},
		{
			name:  "AZRebalance suspended meanwhile is resumed",
			group: with(g, func(g *rebalance.Group) { g.AZRebalanceSuspended = true }), rec: rec,
			want: rebalance.Config{Subnets: []string{"subnet-a", "subnet-b", "subnet-c"}, MaxSize: 6},
		},
		{
			name:      "AZRebalance its owner suspended is reported (policy report)",
			group:     with(g, func(g *rebalance.Group) { g.AZRebalanceSuspended = true }),
			rec:       with2(rec, func(r *state.Evacuation) { r.AZRebalanceSuspended = true }),
			want:      rebalance.Config{Subnets: []string{"subnet-a", "subnet-b", "subnet-c"}, MaxSize: 6, AZRebalanceSuspended: true},
			imbalance: &rebalance.Imbalance{Counts: map[string]int{azA: 0, azB: 3, azC: 3}},
		},
		{
			name:      "AZRebalance its owner suspended is resumed (policy resume)",
			group:     with(g, func(g *rebalance.Group) { g.AZRebalanceSuspended = true }),
			rec:       with2(rec, func(r *state.Evacuation) { r.AZRebalanceSuspended = true }),
			policy:    func(p *config.Policy) { p.Rebalance.ImbalanceAction = config.ImbalanceResume },
			want:      rebalance.Config{Subnets: []string{"subnet-a", "subnet-b", "subnet-c"}, MaxSize: 6},
			imbalance: &rebalance.Imbalance{Counts: map[string]int{azA: 0, azB: 3, azC: 3}, Resume: true},
		},
		{
			name: "a subnet someone added meanwhile is kept",
			group: with(g, func(g *rebalance.Group) {
				g.Subnets = append(slices.Clone(g.Subnets), rebalance.Subnet{ID: "subnet-c2", AZ: azC})
			}),
			rec:  rec,
			want: rebalance.Config{Subnets: []string{"subnet-a", "subnet-b", "subnet-c", "subnet-c2"}, MaxSize: 6},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(recoverSig(healthKey, azA), tt.group)
			in.Ledger["web"] = []state.Evacuation{tt.rec}
			if tt.policy != nil {
				tt.policy(&in.Policy)
			}
			gp := groupPlan(t, rebalance.Build(in), "web")
			if diff := cmp.Diff(tt.want, gp.Target); diff != "" {
				t.Errorf("target (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{azA}, gp.Restore); diff != "" {
				t.Errorf("restore (-want +got):\n%s", diff)
			}
			if len(gp.Clear) != 1 || gp.Clear[0].AZ != azA {
				t.Errorf("clear = %+v, want the record of %s", gp.Clear, azA)
			}
			if diff := cmp.Diff(tt.imbalance, gp.Imbalance); diff != "" {
				t.Errorf("imbalance (-want +got):\n%s", diff)
			}
			if got := gp.MaxSizeKept != ""; got != tt.maxKept {
				t.Errorf("MaxSizeKept = %q, want explained: %v", gp.MaxSizeKept, tt.maxKept)
			}
		})
	}
}

func with2(r state.Evacuation, f func(*state.Evacuation)) state.Evacuation { f(&r); return r }

func TestRestoreWaitsForEveryHolder(t *testing.T) {
	const alarmKey = "alarm#arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-1a"
	g, rec := evacuated(groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2}), azA, 8, healthKey, alarmKey)
	tests := []struct {
		name    string
		sig     rebalance.Signal
		signals []state.Signal
		restore bool
	}{
		{
			name:    "Health closed while the alarm still fires",
			sig:     recoverSig(healthKey, azA),
			signals: []state.Signal{{Key: healthKey}, {Key: alarmKey, Impaired: true}},
		},
		{
			name:    "alarm OK for less than the hysteresis",
			sig:     recoverSig(healthKey, azA),
			signals: []state.Signal{{Key: healthKey}, {Key: alarmKey, Since: now.Add(-9 * time.Minute)}},
		},
		{
			name:    "alarm OK for the whole hysteresis",
			sig:     recoverSig(healthKey, azA),
			signals: []state.Signal{{Key: healthKey}, {Key: alarmKey, Since: now.Add(-10 * time.Minute)}},
			restore: true,
		},
		{
			name:    "a holder with no record counts as active",
			sig:     recoverSig(healthKey, azA),
			signals: []state.Signal{{Key: healthKey}},
		},
		{
			name:    "a scheduled look restores once every holder is gone",
			sig:     rebalance.Signal{Key: "schedule#tick", Source: rebalance.SourceSchedule, Effect: rebalance.EffectNone},
			signals: []state.Signal{{Key: healthKey}, {Key: alarmKey, Since: now.Add(-time.Hour)}},
			restore: true,
		},
		{
			name: "launch failures hold until window and hysteresis have passed",
			sig:  rebalance.Signal{Key: "schedule#tick", Source: rebalance.SourceSchedule, Effect: rebalance.EffectNone},
			signals: []state.Signal{{Key: healthKey}, {Key: alarmKey, Since: now.Add(-time.Hour)},
				{Key: "launchfail#us-east-1#us-east-1a", Impaired: true, LastEvidence: now.Add(-20 * time.Minute)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := rec
			if slices.ContainsFunc(tt.signals, func(s state.Signal) bool { return s.Key == "launchfail#us-east-1#us-east-1a" }) {
				rec.Holders = append(slices.Clone(rec.Holders), "launchfail#us-east-1#us-east-1a")
			}
			in := input(tt.sig, g)
			in.Ledger["web"] = []state.Evacuation{rec}
			for _, s := range tt.signals {
				in.Signals[s.Key] = s
			}
			p := rebalance.Build(in)
			restored := len(p.Groups) > 0 && len(groupPlan(t, p, "web").Restore) > 0
			if restored != tt.restore {
				t.Errorf("restored = %v, want %v (plan %+v)", restored, tt.restore, p.Groups)
			}
		})
	}
}

func TestFlappingAlarmEvacuatesOnce(t *testing.T) {
	const alarmKey = "alarm#web-1a"
	g, rec := evacuated(groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2}), azA, 8, alarmKey)
	// ALARM, then OK (held), then ALARM again within the hysteresis.
	in := input(rebalance.Signal{Key: alarmKey, Source: rebalance.SourceAlarm, Effect: rebalance.EffectImpair, AZs: []string{azA}, At: now, EventID: "evt-3"}, g)
	in.Ledger["web"] = []state.Evacuation{rec}
	if p := rebalance.Build(in); len(p.Groups) != 0 {
		t.Errorf("plan = %+v, want nothing: the group stays evacuated, once", p.Groups)
	}
}

func TestImbalance(t *testing.T) {
	lopsided := with(groupIn("web", map[string]int{azA: 1, azB: 1, azC: 4}), func(g *rebalance.Group) { g.AZRebalanceSuspended = true })
	tests := []struct {
		name   string
		group  rebalance.Group
		action config.ImbalanceAction
		want   *rebalance.Imbalance
		resume bool
	}{
		{name: "reported", group: lopsided, action: config.ImbalanceReport,
			want: &rebalance.Imbalance{Counts: map[string]int{azA: 1, azB: 1, azC: 4}}},
		{name: "resumed", group: lopsided, action: config.ImbalanceResume,
			want: &rebalance.Imbalance{Counts: map[string]int{azA: 1, azB: 1, azC: 4}, Resume: true}, resume: true},
		{name: "counts within one are fine", group: with(groupIn("web", map[string]int{azA: 1, azB: 2, azC: 2}), func(g *rebalance.Group) { g.AZRebalanceSuspended = true }),
			action: config.ImbalanceResume},
		{name: "not suspended: Auto Scaling evens it out itself", group: with(lopsided, func(g *rebalance.Group) { g.AZRebalanceSuspended = false }),
			action: config.ImbalanceResume},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(recoverSig(healthKey, azA), tt.group)
			in.Policy.Rebalance.ImbalanceAction = tt.action
			p := rebalance.Build(in)
			var got *rebalance.Imbalance
			var resumed bool
			for _, gp := range p.Groups {
				got = gp.Imbalance
				resumed = gp.Current.AZRebalanceSuspended && !gp.Target.AZRebalanceSuspended
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("imbalance (-want +got):\n%s", diff)
			}
			if resumed != tt.resume {
				t.Errorf("resumed = %v, want %v", resumed, tt.resume)
			}
		})
	}
}

func TestDryRunPlansTheSame(t *testing.T) {
	web := groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2})
	in := input(impair(healthKey, azA), web)
	real := rebalance.Build(in)
	in.Policy.DryRun = true
	dry := rebalance.Build(in)
	if !dry.DryRun {
		t.Error("DryRun not carried into the plan")
	}
	if diff := cmp.Diff(real.Groups, dry.Groups, cmpopts.IgnoreUnexported(state.Evacuation{})); diff != "" {
		t.Errorf("dry-run plan differs (-real +dry):\n%s", diff)
	}
}

func TestRecordsOfAnOlderGroupOfTheSameNameAreIgnored(t *testing.T) {
	web := groupIn("web", map[string]int{azA: 2, azB: 2, azC: 2})
	_, rec := evacuated(web, azA, 8, healthKey)
	rec.GroupARN = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:deleted:autoScalingGroupName/web"
	in := input(recoverSig(healthKey, azA), web)
	in.Ledger["web"] = []state.Evacuation{rec}
	if p := rebalance.Build(in); len(p.Groups) != 0 {
		t.Errorf("plan = %+v, want nothing for another group's record", p.Groups)
	}
}

func TestRefreshIsAskedOnlyForGroupsThePlanWouldChange(t *testing.T) {
	unknown := func(name string, counts map[string]int) rebalance.Group {
		return with(groupIn(name, counts), func(g *rebalance.Group) { g.Refresh = rebalance.RefreshUnknown })
	}
	in := input(impair(healthKey, azA),
		unknown("a", map[string]int{azA: 1, azB: 1, azC: 1}),
		unknown("b-solo", map[string]int{azA: 1}),
		unknown("c-elsewhere", map[string]int{azB: 1, azC: 1}),
		unknown("d", map[string]int{azA: 1, azB: 1, azC: 1}),
	)
	in.Policy.Rebalance.MaxGroupsPerEvent = 1
	p := rebalance.Build(in)
	if diff := cmp.Diff([]string{"a"}, p.NeedRefresh); diff != "" {
		t.Errorf("NeedRefresh (-want +got):\n%s", diff)
	}
}
