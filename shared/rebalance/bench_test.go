package rebalance_test

import (
	"fmt"
	"testing"
	"time"

	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/rebalance"
)

// Per-event benchmarks: the whole Lambda handler (decode, claim, read,
// plan, write, notify, log) on the simulated account. ns/op and allocs/op
// include the sim answering under the real SDK clients, so they bound the
// function's own cost from above. The calls the event cost are reported
// per op: account-calls (Auto Scaling, EC2, Health, CloudWatch: what the
// customer's account sees), state-calls (the selfheal table) and
// sns-calls.
//
// Each op is one new event; what undoes it for the next op (the recovery,
// the clock moving on so that breaker counts and evidence expire) runs
// with the timer stopped.

// benchPolicy lets a benchmark evacuate as often as it likes: the breaker
// and the blast radius are not what is measured.
func benchPolicy(p *config.Policy) {
	p.Rebalance.Breaker = config.Breaker{MaxEvacuations: 1 << 30, Window: config.Dur(time.Minute)}
	p.Rebalance.MaxGroupsPerEvent = 1 << 30
	p.Rebalance.RecoveryHysteresis = config.Dur(0)
}

type callCounts struct{ account, state, sns, updates int }

func (c *callCounts) add(calls []awssim.Call) {
	for _, call := range calls {
		switch call.Service {
		case awssim.ServiceDynamoDB:
			c.state++
		case awssim.ServiceSNS:
			c.sns++
		case awssim.ServiceSQS:
		default:
			c.account++
			if call.Operation == "UpdateAutoScalingGroup" && call.Err == nil {
				c.updates++
			}
		}
	}
}

// benchEvents delivers next(i) to the function once per op, timed, and
// runs undo(i) untimed after it.
func benchEvents(b *testing.B, r *rig, next func(i int) []byte, undo func(i int)) callCounts {
	b.Helper()
	var c callCounts
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		raw := next(i)
		n := r.sim.CallCount()
		b.StartTimer()
		if err := r.deliver(raw); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c.add(r.sim.CallsSince(n))
		undo(i)
		b.StartTimer()
	}
	b.StopTimer()
	per := func(n int) float64 { return float64(n) / float64(b.N) }
	b.ReportMetric(per(c.account), "account-calls/op")
	b.ReportMetric(per(c.state), "state-calls/op")
	b.ReportMetric(per(c.sns), "sns-calls/op")
	return c
}

// BenchmarkHandleHealth: an AWS Health issue opens in us-east-1a and every
// group moves out (groups=N of them).
func BenchmarkHandleHealth(b *testing.B) {
	for _, groups := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			r := newRig(b, benchPolicy)
			for g := range groups {
				r.group(fmt.Sprintf("web-%02d", g), 6, 6, 6, abc)
			}
			var arn string
			c := benchEvents(b, r,
				func(i int) []byte {
					arn = r.sim.RaiseAZIssue(region, azA, "EC2")
					return r.lastEvent("AWS Health Event")
				},
				func(i int) {
					if err := r.sim.CloseHealthEvent(arn); err != nil {
						b.Fatal(err)
					}
					r.pump()
					r.sim.Advance(2 * time.Minute)
					r.sim.DrainEvents()
				})
			if c.updates != b.N*groups {
				b.Fatalf("%d group updates in %d ops of %d groups: not every op evacuated", c.updates, b.N, groups)
			}
		})
	}
}

// BenchmarkHandleHealthZonalShift: the same Health issue for one group
// enrolled in ARC zonal shift, evacuated with a zonal shift instead of by
// subnets: beside HandleHealth/groups=1, what the native way costs.
func BenchmarkHandleHealthZonalShift(b *testing.B) {
	r := newRig(b, benchPolicy)
	r.enrolled("web-00", 6, astypes.ImpairedZoneHealthCheckBehaviorReplaceUnhealthy)
	var arn string
	starts := 0
	benchEvents(b, r,
		func(i int) []byte {
			arn = r.sim.RaiseAZIssue(region, azA, "EC2")
			return r.lastEvent("AWS Health Event")
		},
		func(i int) {
			starts = len(r.arcWrites())
			if err := r.sim.CloseHealthEvent(arn); err != nil {
				b.Fatal(err)
			}
			r.pump()
			r.sim.Advance(2 * time.Minute)
			r.sim.DrainEvents()
		})
	if got := len(r.arcWrites()); got != 2*b.N || starts != 2*b.N-1 {
		b.Fatalf("%d ARC writes in %d ops: want a start and a cancel each", got, b.N)
	}
}

// BenchmarkHandleHealthClosed: the issue closes and the group is restored.
func BenchmarkHandleHealthClosed(b *testing.B) {
	r := newRig(b, benchPolicy)
	r.group("web", 6, 6, 6, abc)
	var arn string
	open := func() {
		arn = r.sim.RaiseAZIssue(region, azA, "EC2")
		r.pump()
	}
	open()
	c := benchEvents(b, r,
		func(i int) []byte {
			if err := r.sim.CloseHealthEvent(arn); err != nil {
				b.Fatal(err)
			}
			r.sim.DrainEvents()
			return r.lastEvent("AWS Health Event")
		},
		func(i int) {
			r.sim.Advance(2 * time.Minute)
			r.sim.DrainEvents()
			open()
		})
	if c.updates != b.N {
		b.Fatalf("%d group updates in %d ops: not every op restored", c.updates, b.N)
	}
}

// BenchmarkHandleAlarm: an AZ-signal alarm goes to ALARM (tags in the
// event, AvailabilityZone dimension) and the group moves out.
func BenchmarkHandleAlarm(b *testing.B) {
	r := newRig(b, benchPolicy)
	r.group("web", 6, 6, 6, abc)
	const name = "web-unhealthy-hosts-us-east-1a"
	if err := r.sim.PutMetricAlarm(region, azAlarm(name, map[string]string{"AvailabilityZone": azA}, map[string]string{"selfheal:az-signal": "true"})); err != nil {
		b.Fatal(err)
	}
	set := func(st cwtypes.StateValue) {
		if err := r.sim.SetAlarmState(region, name, st, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	c := benchEvents(b, r,
		func(i int) []byte {
			set(cwtypes.StateValueAlarm)
			r.sim.DrainEvents()
			return r.lastEvent("CloudWatch Alarm State Change")
		},
		func(i int) {
			r.sim.Advance(time.Second)
			set(cwtypes.StateValueOk)
			r.pump()
			r.sim.Advance(2 * time.Minute)
			r.sim.DrainEvents()
		})
	if c.updates != b.N {
		b.Fatalf("%d group updates in %d ops: not every op evacuated", c.updates, b.N)
	}
}

// BenchmarkHandleAutoshift: a zonal autoshift away from us-east-1a's id.
func BenchmarkHandleAutoshift(b *testing.B) {
	r := newRig(b, benchPolicy)
	r.group("web", 6, 6, 6, abc)
	id := r.sim.AZs(region)[0].ID
	c := benchEvents(b, r,
		func(i int) []byte {
			r.sim.Advance(time.Second)
			raw := sample(b, "aws.arc-zonal-shift/autoshift-in-progress.json", fmt.Sprintf("in-%d", i), "use1-az1", id)
			return withTime(b, raw, r.sim.Now())
		},
		func(i int) {
			r.sim.Advance(time.Second)
			done := sample(b, "aws.arc-zonal-shift/autoshift-completed.json", fmt.Sprintf("done-%d", i), "use1-az1", id)
			done = withTime(b, done, r.sim.Now())
			if err := r.deliver(done); err != nil {
				b.Fatal(err)
			}
			r.sim.Advance(2 * time.Minute)
			r.sim.DrainEvents()
		})
	if c.updates != b.N {
		b.Fatalf("%d group updates in %d ops: not every op evacuated", c.updates, b.N)
	}
}

// BenchmarkHandleLaunchFailure: one capacity launch failure, counted as
// evidence below the threshold (the common case: most failures are not the
// one that crosses it).
func BenchmarkHandleLaunchFailure(b *testing.B) {
	r := newRig(b, func(p *config.Policy) {
		benchPolicy(p)
		p.Rebalance.LaunchFailureThreshold = 1 << 30
		p.Rebalance.LaunchFailureWindow = config.Dur(time.Minute)
	})
	r.group("web", 6, 6, 6, abc)
	benchEvents(b, r,
		func(i int) []byte {
			raw := sample(b, "aws.autoscaling/ec2-instance-launch-unsuccessful--insufficient-capacity.json", fmt.Sprintf("lf-%d", i))
			return withTime(b, raw, r.sim.Now())
		},
		func(i int) { r.sim.Advance(2 * time.Minute) })
}

// BenchmarkBuild is the planner alone, the rebalancer's own decision, for
// an account of N opted-in groups over three AZs.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("groups=%d", n), func(b *testing.B) {
			var groups []rebalance.Group
			for i := range n {
				groups = append(groups, groupIn(fmt.Sprintf("g%04d", i), map[string]int{azA: 2, azB: 2, azC: 2}))
			}
			in := input(impair(healthKey, azA), groups...)
			in.Policy.Rebalance.MaxGroupsPerEvent = n
			in.Policy.Rebalance.Breaker.MaxEvacuations = n
			b.ReportAllocs()
			for b.Loop() {
				if p := rebalance.Build(in); len(p.Groups) != n {
					b.Fatalf("planned %d groups", len(p.Groups))
				}
			}
		})
	}
}

// BenchmarkHandleScheduled: the periodic re-evaluation with nothing to
// restore, what the schedule costs every few minutes.
func BenchmarkHandleScheduled(b *testing.B) {
	r := newRig(b, benchPolicy)
	r.group("web", 6, 6, 6, abc)
	benchEvents(b, r,
		func(i int) []byte { return r.tick(fmt.Sprintf("tick-%d", i)) },
		func(i int) { r.sim.Advance(time.Minute) })
}

// BenchmarkHandleHealthAccount: the Health issue in accounts of growing
// size, one group in ten opted in: the cost grows with the opted-in groups
// (ledger reads, writes) and with the pages of groups (100 a call).
func BenchmarkHandleHealthAccount(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("groups=%d", n), func(b *testing.B) {
			r := newRig(b, benchPolicy)
			for g := range n {
				if g%10 == 0 {
					r.group(fmt.Sprintf("web-%04d", g), 3, 3, 3, abc)
				} else {
					r.group(fmt.Sprintf("other-%04d", g), 3, 3, 3, abc, "team=other")
				}
			}
			var arn string
			c := benchEvents(b, r,
				func(i int) []byte {
					arn = r.sim.RaiseAZIssue(region, azA, "EC2")
					return r.lastEvent("AWS Health Event")
				},
				func(i int) {
					if err := r.sim.CloseHealthEvent(arn); err != nil {
						b.Fatal(err)
					}
					r.pump()
					r.sim.Advance(2 * time.Minute)
					r.sim.DrainEvents()
				})
			if c.updates != b.N*(n/10) {
				b.Fatalf("%d group updates in %d ops: not every opted-in group evacuated", c.updates, b.N)
			}
		})
	}
}
