package compliance_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

const swGroupARN = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:6f1e2d3c:autoScalingGroupName/web"

// swGroup is a group with good posture: three AZs, balanced, room to
// replace, ELB health checks behind a target group, a 5-minute grace
// period, AZRebalance active, zonal shift on.
func swGroup(mod func(*compliance.GroupState)) compliance.GroupState {
	g := compliance.GroupState{
		ARN: swGroupARN, Name: "web", MinSize: 3, MaxSize: 9, DesiredCapacity: 6,
		AZs:              []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		Instances:        map[string]int{"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2},
		HealthCheckTypes: []string{"EC2", "ELB"},
		GracePeriod:      5 * time.Minute,
		TargetGroups:     []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1"},
		Suspended:        map[string]string{},
		Tags:             map[string]string{},
		ImpairmentPolicy: &compliance.ImpairmentPolicy{ZonalShiftEnabled: true, ImpairedZoneHealthCheckBehavior: "IgnoreUnhealthy"},
	}
	if mod != nil {
		mod(&g)
	}
	return g
}

func swStatuses(fs []notify.Finding) map[string]notify.Status {
	out := map[string]notify.Status{}
	for _, f := range fs {
		out[f.Check] = f.Status
	}
	return out
}

// Each posture check passes on a well set-up group and fails on the
// mistake it is about, without touching the others' verdicts.
func TestASGPosture(t *testing.T) {
	posture := config.DefaultPolicy().Posture
	tests := []struct {
		name  string
		mod   func(*compliance.GroupState)
		check string
		want  notify.Status
		sev   notify.Severity
		says  string
		fix   string
	}{
		{"single AZ", func(g *compliance.GroupState) {
			g.AZs = []string{"us-east-1a"}
			g.Instances = map[string]int{"us-east-1a": 6}
		}, compliance.CheckASGMultiAZ, notify.StatusFail, notify.SeverityHigh, "launches into us-east-1a only", "--vpc-zone-identifier"},
		{"unbalanced while AZRebalance runs", func(g *compliance.GroupState) {
			g.Instances = map[string]int{"us-east-1a": 0, "us-east-1b": 3, "us-east-1c": 3}
		}, compliance.CheckASGAZBalance, notify.StatusWarn, notify.SeverityMedium, "us-east-1a=0,us-east-1b=3,us-east-1c=3", "describe-scaling-activities"},
		{"unbalanced with AZRebalance suspended", func(g *compliance.GroupState) {
			g.Instances = map[string]int{"us-east-1a": 0, "us-east-1b": 3, "us-east-1c": 3}
			g.Suspended = map[string]string{"AZRebalance": "User suspended at 2026-06-01T00:00:00Z"}
		}, compliance.CheckASGAZBalance, notify.StatusFail, notify.SeverityMedium, "nothing evens it out", "resume-processes"},
		{"max equals desired", func(g *compliance.GroupState) { g.MaxSize = 6 },
			compliance.CheckASGHeadroom, notify.StatusFail, notify.SeverityMedium, "MaxSize 6 is not above the desired 6", "--max-size 8"},
		{"target group with EC2 checks only", func(g *compliance.GroupState) { g.HealthCheckTypes = []string{"EC2"} },
			compliance.CheckASGELBHealthCheck, notify.StatusFail, notify.SeverityMedium, "EC2 status checks only", "--health-check-type ELB"},
		{"classic load balancer counts too", func(g *compliance.GroupState) {
			g.TargetGroups, g.LoadBalancers, g.HealthCheckTypes = nil, []string{"web-clb"}, []string{"EC2"}
		}, compliance.CheckASGELBHealthCheck, notify.StatusFail, notify.SeverityMedium, "load balancer", "--health-check-type ELB"},
		{"grace period zero", func(g *compliance.GroupState) { g.GracePeriod = 0 },
			compliance.CheckASGGracePeriod, notify.StatusFail, notify.SeverityLow, "below the policy's 1m0s", "--health-check-grace-period 300"},
		{"grace period an hour", func(g *compliance.GroupState) { g.GracePeriod = time.Hour },
			compliance.CheckASGGracePeriod, notify.StatusFail, notify.SeverityLow, "above the policy's 15m0s", "--health-check-grace-period 300"},
		{"AZRebalance suspended by someone", func(g *compliance.GroupState) {
			g.Suspended = map[string]string{"AZRebalance": "User suspended"}
		}, compliance.CheckASGAZRebalance, notify.StatusFail, notify.SeverityMedium, "AZRebalance is suspended", "resume-processes --auto-scaling-group-name web --scaling-processes AZRebalance --region us-east-1"},
		{"no impairment policy is reported, not failed", func(g *compliance.GroupState) { g.ImpairmentPolicy = nil },
			compliance.CheckASGImpairmentPolicy, notify.StatusNotApplicable, notify.SeverityInfo, "zonal shift is not enabled", ""},
	}
	healthy := swStatuses(compliance.ASGPosture(swGroup(nil), posture))
	for _, c := range compliance.SweepChecks() {
		if strings.HasPrefix(c, "ASG_") && healthy[c] != notify.StatusPass {
			t.Errorf("a well set-up group is %s on %s", healthy[c], c)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := compliance.ASGPosture(swGroup(tt.mod), posture)
			i := slices.IndexFunc(fs, func(f notify.Finding) bool { return f.Check == tt.check })
			if i < 0 {
				t.Fatalf("no %s finding", tt.check)
			}
			f := fs[i]
			if f.Status != tt.want || f.Severity != tt.sev {
				t.Fatalf("%s is %s %s, want %s %s: %s", tt.check, f.Status, f.Severity, tt.want, tt.sev, f.Summary)
			}
			if !strings.Contains(f.Summary, tt.says) {
				t.Errorf("summary %q does not say %q", f.Summary, tt.says)
			}
			if !strings.Contains(f.Remediation, tt.fix) {
				t.Errorf("remediation %q does not say %q", f.Remediation, tt.fix)
			}
			if f.Resource != swGroupARN || f.ResourceType != compliance.TypeAutoScalingGroup || f.Region != "us-east-1" || f.Account != "123456789012" {
				t.Errorf("finding about %s %s in %s/%s", f.ResourceType, f.Resource, f.Account, f.Region)
			}
			// The mistake is this check's alone (one AZ has nothing to
			// balance; a suspended AZRebalance is its own finding too).
			related := map[[2]string]bool{
				{compliance.CheckASGMultiAZ, compliance.CheckASGAZBalance}:     true,
				{compliance.CheckASGAZBalance, compliance.CheckASGAZRebalance}: true,
			}
			for check, st := range swStatuses(fs) {
				if check != tt.check && st != healthy[check] && !related[[2]string{tt.check, check}] {
					t.Errorf("%s changed %s from %s to %s", tt.name, check, healthy[check], st)
				}
			}
		})
	}
}

// AZRebalance suspended by selfheal during an evacuation is the
// rebalancer's doing, said so by its tag: no failure.
func TestASGEvacuatedGroup(t *testing.T) {
	g := swGroup(func(g *compliance.GroupState) {
		g.AZs = []string{"us-east-1b", "us-east-1c"}
		g.Instances = map[string]int{"us-east-1b": 3, "us-east-1c": 3}
		g.Suspended = map[string]string{"AZRebalance": "User suspended"}
		g.Tags = map[string]string{compliance.EvacuatedFromTag: "us-east-1a"}
	})
	got := swStatuses(compliance.ASGPosture(g, config.DefaultPolicy().Posture))
	if got[compliance.CheckASGAZRebalance] != notify.StatusPass || got[compliance.CheckASGAZBalance] != notify.StatusPass || got[compliance.CheckASGMultiAZ] != notify.StatusPass {
		t.Errorf("an evacuated group: %v", got)
	}
	f := compliance.ASGAZRebalance(g)
	if !strings.Contains(f.Summary, "evacuated from us-east-1a") {
		t.Errorf("summary %q does not say why AZRebalance is suspended", f.Summary)
	}
	// Unbalanced while evacuated: selfheal restores it, so a WARN.
	g.Instances = map[string]int{"us-east-1b": 1, "us-east-1c": 5}
	if f := compliance.ASGAZBalance(g); f.Status != notify.StatusWarn {
		t.Errorf("unbalanced evacuated group is %s", f.Status)
	}
}

// A group without capacity has nothing to balance or replace.
func TestASGEmptyGroup(t *testing.T) {
	g := swGroup(func(g *compliance.GroupState) {
		g.MinSize, g.MaxSize, g.DesiredCapacity = 0, 0, 0
		g.Instances = map[string]int{}
	})
	got := swStatuses(compliance.ASGPosture(g, config.DefaultPolicy().Posture))
	for _, c := range []string{compliance.CheckASGAZBalance, compliance.CheckASGHeadroom} {
		if got[c] != notify.StatusNotApplicable {
			t.Errorf("%s on an empty group is %s", c, got[c])
		}
	}
}
