package sweep_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/rebalance"
)

const (
	pass = notify.StatusPass
	fail = notify.StatusFail
	warn = notify.StatusWarn
	na   = notify.StatusNotApplicable
)

// want is one expectation: the status of a check on a resource.
type want map[string]notify.Status

// A well-kept and a badly-kept example of everything the sweep checks, in
// one simulated account: one run gives each check its PASS and its FAIL,
// through the real handler, the real SDK clients and the state table.
func TestEveryCheckOnTheSim(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), nil)

	// Vaults: compliance mode (immutable once its 3 days of grace are
	// over), none, governance mode, and a lock with too short a minimum.
	locked := h.vault(home, "locked", &lockSpec{min: 7, max: 365, compliance: true})
	open := h.vault(home, "open", nil)
	governance := h.vault(home, "governance", &lockSpec{min: 7})
	shortLock := h.vault(home, "short-lock", &lockSpec{min: 1, compliance: true})
	drVault := h.vault(dr, "dr", &lockSpec{min: 7, max: 365, compliance: true})

	// Tables: backed up and PITR on; backed up once, long ago, PITR off;
	// never backed up, PITR off; a 3-day window; logs that stop shipping.
	orders := h.table(home, "orders")
	h.pitr(home, "orders", 35)
	legacy := h.table(home, "legacy")
	unbacked := h.table(home, "unbacked")
	shortWindow := h.table(home, "short-window")
	h.pitr(home, "short-window", 3)
	stalled := h.table(home, "stalled")
	h.pitr(home, "stalled", 35)
	scratch := h.table(home, "scratch")
	h.pitr(home, "scratch", 35)

	// Databases: retention 7, retention 0, an Aurora cluster.
	payments := h.db(home, "payments", "mysql", 7)
	reports := h.db(home, "reports", "postgres", 0)
	ledger := h.db(home, "ledger", "aurora-postgresql", 14)

	// Plans: daily with a DR copy; weekly without.
	good := h.plan(home, "good", ruleSpec{name: "daily", vault: "locked", schedule: "cron(0 5 ? * * *)", keep: 35, copyTo: drVault}, orders)
	weekly := h.plan(home, "weekly", ruleSpec{name: "weekly", vault: "locked", schedule: "cron(0 5 ? * SUN *)", keep: 35})

	// Groups: one of each posture mistake, and one without any.
	three := azs(home, 3)
	wellKept := h.groupInput(home, "well-kept", 6, three...)
	wellKept.HealthCheckType = aws.String("ELB")
	wellKept.TargetGroupARNs = []string{"arn:aws:elasticloadbalancing:us-east-1:" + account + ":targetgroup/web/0123456789abcdef"}
	wellKept.AvailabilityZoneImpairmentPolicy = &astypes.AvailabilityZoneImpairmentPolicy{ZonalShiftEnabled: aws.Bool(true), ImpairedZoneHealthCheckBehavior: astypes.ImpairedZoneHealthCheckBehaviorIgnoreUnhealthy}
	gWell := h.group(home, wellKept)
	gSingle := h.group(home, h.groupInput(home, "single-az", 2, three[0]))
	full := h.groupInput(home, "full", 3, three...)
	full.MaxSize = aws.Int32(3)
	gFull := h.group(home, full)
	ec2Only := h.groupInput(home, "ec2-checks", 3, three...)
	ec2Only.TargetGroupARNs = wellKept.TargetGroupARNs
	gEC2 := h.group(home, ec2Only)
	noGrace := h.groupInput(home, "no-grace", 3, three...)
	noGrace.HealthCheckGracePeriod = aws.Int32(0)
	gNoGrace := h.group(home, noGrace)
	gSuspended := h.group(home, h.groupInput(home, "suspended", 3, three...))
	gEvacuated := h.group(home, h.groupInput(home, "evacuated", 4, three[:2]...))
	gUnbalanced := h.group(home, h.groupInput(home, "unbalanced", 6, three...))
	h.sim.Settle(30 * time.Minute)

	asg := autoscaling.NewFromConfig(h.sim.Config(home))
	for _, name := range []string{"suspended", "evacuated", "unbalanced"} {
		if _, err := asg.SuspendProcesses(bg, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(name), ScalingProcesses: []string{"AZRebalance"}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := asg.CreateOrUpdateTags(bg, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{{
		ResourceId: aws.String("evacuated"), ResourceType: aws.String("auto-scaling-group"),
		Key: aws.String(rebalance.TagEvacuatedFrom), Value: aws.String(three[2]),
	}}})
	if err != nil {
		t.Fatal(err)
	}

	// Backed up once now, then nothing for four days (the compliance
	// locks become immutable meanwhile, the plan backs orders up daily).
	h.backupNow(home, "open", legacy, 35)
	if err := h.sim.StallDynamoDBPITR(home, "stalled", true); err != nil {
		t.Fatal(err)
	}
	h.sim.Advance(4 * 24 * time.Hour)
	// A recovery point kept 3 days, below the policy's 7.
	shortRP := h.backupNow(home, "open", scratch, 3)
	// Two of unbalanced's instances in one AZ go, AZRebalance suspended.
	g, _ := h.sim.Group(home, "unbalanced")
	var inA []string
	for _, in := range g.Instances {
		if in.AZ == three[0] {
			inA = append(inA, in.ID)
		}
	}
	for _, id := range inA {
		if _, err := asg.TerminateInstanceInAutoScalingGroup(bg, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
			InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(true),
		}); err != nil {
			t.Fatal(err)
		}
	}
	h.sim.Settle(10 * time.Minute)
	h.sim.ClearFaults()

	h.mustRun()

	tests := []struct {
		name     string
		resource string
		want     want
	}{
		{"compliance-mode lock past its lock date", locked, want{
			compliance.CheckVaultLockPresent: pass, compliance.CheckVaultLockImmutable: pass, compliance.CheckVaultLockRetention: pass}},
		{"vault without a lock", open, want{
			compliance.CheckVaultLockPresent: fail, compliance.CheckVaultLockImmutable: na, compliance.CheckVaultLockRetention: na}},
		{"governance-mode lock", governance, want{
			compliance.CheckVaultLockPresent: pass, compliance.CheckVaultLockImmutable: warn, compliance.CheckVaultLockRetention: pass}},
		{"lock with a 1-day minimum", shortLock, want{
			compliance.CheckVaultLockPresent: pass, compliance.CheckVaultLockImmutable: pass, compliance.CheckVaultLockRetention: fail}},
		{"DR vault, read in its own region", drVault, want{
			compliance.CheckVaultLockPresent: pass, compliance.CheckVaultLockImmutable: pass, compliance.CheckVaultLockRetention: pass}},
		{"daily plan with a DR copy", good, want{
			compliance.CheckPlanMinFrequencyAndRetention: pass, compliance.CheckCrossRegionCopyConfigured: pass}},
		{"weekly plan without a copy", weekly, want{
			compliance.CheckPlanMinFrequencyAndRetention: fail, compliance.CheckCrossRegionCopyConfigured: fail}},
		{"recovery point kept 3 days", shortRP, want{
			compliance.CheckRecoveryPointRetention: fail, compliance.CheckRecoveryPointEncrypted: pass}},
		{"table backed up daily, PITR on", orders, want{
			compliance.CheckLastRecoveryPointCreated: pass,
			compliance.CheckPITREnabled:              pass, compliance.CheckPITRWindow: pass, compliance.CheckPITRFreshness: pass}},
		{"table backed up 4 days ago, PITR off", legacy, want{
			compliance.CheckLastRecoveryPointCreated: fail,
			compliance.CheckPITREnabled:              fail, compliance.CheckPITRWindow: na, compliance.CheckPITRFreshness: na}},
		{"table AWS Backup never touched, PITR off", unbacked, want{
			compliance.CheckPITREnabled: fail, compliance.CheckPITRWindow: na, compliance.CheckPITRFreshness: na}},
		{"table with a 3-day window", shortWindow, want{
			compliance.CheckPITREnabled: pass, compliance.CheckPITRWindow: fail, compliance.CheckPITRFreshness: pass}},
		{"table whose logs stopped", stalled, want{
			compliance.CheckPITREnabled: pass, compliance.CheckPITRWindow: pass, compliance.CheckPITRFreshness: fail}},
		{"RDS instance kept 7 days", payments, want{
			compliance.CheckPITREnabled: pass, compliance.CheckPITRWindow: pass, compliance.CheckPITRFreshness: pass}},
		{"RDS instance without automated backups", reports, want{
			compliance.CheckPITREnabled: fail, compliance.CheckPITRWindow: na, compliance.CheckPITRFreshness: na}},
		{"Aurora cluster kept 14 days", ledger, want{
			compliance.CheckPITREnabled: pass, compliance.CheckPITRWindow: pass, compliance.CheckPITRFreshness: pass}},
		{"well-kept group", gWell, want{
			compliance.CheckASGMultiAZ: pass, compliance.CheckASGAZBalance: pass, compliance.CheckASGHeadroom: pass,
			compliance.CheckASGELBHealthCheck: pass, compliance.CheckASGGracePeriod: pass, compliance.CheckASGAZRebalance: pass,
			compliance.CheckASGImpairmentPolicy: pass}},
		{"group in one AZ", gSingle, want{compliance.CheckASGMultiAZ: fail, compliance.CheckASGAZBalance: na}},
		{"group at its MaxSize", gFull, want{compliance.CheckASGHeadroom: fail}},
		{"group behind a target group on EC2 checks", gEC2, want{compliance.CheckASGELBHealthCheck: fail}},
		{"group without a grace period", gNoGrace, want{compliance.CheckASGGracePeriod: fail}},
		{"group with AZRebalance suspended", gSuspended, want{compliance.CheckASGAZRebalance: fail, compliance.CheckASGAZBalance: pass}},
		{"group evacuated by selfheal", gEvacuated, want{compliance.CheckASGAZRebalance: pass, compliance.CheckASGMultiAZ: pass}},
		{"group unbalanced, AZRebalance suspended", gUnbalanced, want{compliance.CheckASGAZBalance: fail}},
		{"group without an AZ impairment policy", gSingle, want{compliance.CheckASGImpairmentPolicy: na}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.recorded(tt.resource)
			for check, st := range tt.want {
				if got[check] != st {
					t.Errorf("%s on %s is %q, want %s", check, tt.resource, got[check], st)
				}
			}
		})
	}

	// One digest; its counts are the findings the state table recorded.
	d := h.lastDigest()
	if !d.Complete || len(d.NotCovered) > 0 {
		t.Errorf("digest incomplete: %v", d.NotCovered)
	}
	for _, tt := range tests {
		for check, st := range tt.want {
			if d.Counts[check][st] == 0 {
				t.Errorf("digest counts no %s %s", check, st)
			}
		}
	}
	// A message per region and resource type with problems, at most: the
	// FAILs above span vaults, plans, recovery points, tables, DB
	// instances and groups in us-east-1.
	var findingMsgs []sent
	for _, s := range h.published() {
		if s.Doc.Kind == notify.KindFindings {
			findingMsgs = append(findingMsgs, s)
		}
	}
	types := map[string]bool{}
	for _, m := range findingMsgs {
		for _, f := range m.Doc.Findings {
			types[m.Doc.Region+" "+f.ResourceType] = true
		}
	}
	if len(findingMsgs) != len(types) {
		t.Errorf("%d findings messages for %d region and resource type pairs", len(findingMsgs), len(types))
	}
	for _, m := range findingMsgs {
		if !strings.HasPrefix(m.Subject, "[selfheal] FAIL ") {
			t.Errorf("subject %q", m.Subject)
		}
	}
}

// The rebalancer's tag is the one the posture check reads.
func TestEvacuatedTagIsTheRebalancers(t *testing.T) {
	if diff := cmp.Diff(rebalance.TagEvacuatedFrom, compliance.EvacuatedFromTag); diff != "" {
		t.Error(diff)
	}
}
