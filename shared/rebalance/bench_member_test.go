package rebalance_test

import (
	"testing"
	"time"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/rebalance"
)

const (
	benchMember = "111111111111"
	benchOrgID  = "o-a1b2c3d4e5"
)

// newMemberRig is the asg-rebalancer of an organization's hub acting in
// the member account benchMember through the member role: the rig's sim
// is the member (its groups, its events), the boundary the hub's. fresh
// builds the boundary of a new Lambda instance, whose credential cache is
// empty.
func newMemberRig(t testing.TB) (r *rig, hub *awssim.Sim, fresh func() *handler.Boundary) {
	t.Helper()
	hub = awssim.New(awssim.WithSeed(42))
	member := hub.AddMember(benchMember)
	hub.CreateOrganization(benchOrgID)
	member.CreateRole(config.DefaultMemberRoleName, awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(hub.AccountID())}, OrgID: benchOrgID})
	pol := config.DefaultPolicy()
	benchPolicy(&pol)
	env, err := simenv.New(ctx, hub, region, pol)
	if err != nil {
		t.Fatal(err)
	}
	org := config.DefaultOrganization()
	org.ID, org.MemberAccounts, org.Regions = benchOrgID, []string{benchMember}, []string{region}
	env.Config.Organization = &org
	r = &rig{t: t, sim: member, env: env, rules: rebalancerRules(t)}
	fresh = func() *handler.Boundary {
		b := env.Deps("asg-rebalancer", &r.log).BoundaryFor(func(d handler.Deps) handler.Processor { return rebalance.New(d) }, rebalance.Kinds...)
		b.Account = hub.AccountID() // in Lambda, the invoked function's ARN says it
		return b
	}
	r.boundary = fresh()
	hub.DrainEvents()
	return r, hub, fresh
}

// BenchmarkHandleHealthMember: HandleHealth/groups=1 in a member account,
// handled by the hub's function (issue #16). The member's calls are the
// account's; the hub's are the state table, SNS and STS. cold: every op
// is a new Lambda instance, whose first event of the account assumes the
// member role (sts:AssumeRole, and the member-role finding's dedupe read);
// warm: one instance, the role's credentials cached until they expire.
func BenchmarkHandleHealthMember(b *testing.B) {
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			r, hub, fresh := newMemberRig(b)
			r.group("web-00", 6, 6, 6, abc)
			var c callCounts
			sts := 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if mode == "cold" {
					r.boundary = fresh()
				}
				arn := r.sim.RaiseAZIssue(region, azA, "EC2")
				raw := r.lastEvent("AWS Health Event")
				nm, nh := r.sim.CallCount(), hub.CallCount()
				b.StartTimer()
				if err := r.deliver(raw); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				c.add(r.sim.CallsSince(nm))
				for _, call := range hub.CallsSince(nh) {
					switch call.Service {
					case awssim.ServiceSTS:
						sts++
					case awssim.ServiceDynamoDB:
						c.state++
					case awssim.ServiceSNS:
						c.sns++
					case awssim.ServiceSQS:
					default:
						b.Fatalf("the hub's own account called for a member's event: %s %s", call.Service, call.Operation)
					}
				}
				if err := r.sim.CloseHealthEvent(arn); err != nil {
					b.Fatal(err)
				}
				r.pump()
				r.sim.Advance(2 * time.Minute)
				r.sim.DrainEvents()
				b.StartTimer()
			}
			b.StopTimer()
			if c.updates != b.N {
				b.Fatalf("%d group updates in %d ops: not every op evacuated the member's group", c.updates, b.N)
			}
			per := func(n int) float64 { return float64(n) / float64(b.N) }
			b.ReportMetric(per(c.account), "account-calls/op")
			b.ReportMetric(per(c.state), "state-calls/op")
			b.ReportMetric(per(c.sns), "sns-calls/op")
			b.ReportMetric(per(sts), "sts-calls/op")
			b.ReportMetric(per(c.account+c.state+c.sns+sts), "calls/op")
		})
	}
}
