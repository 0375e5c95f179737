package sweep_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// accountSpec is the size of a large account in one region. Every tenth
// vault is unlocked, every tenth table has PITR off, every tenth group has
// no room above its desired capacity, every fifth plan no DR copy: the
// expected digest follows from the spec.
type accountSpec struct {
	vaults         int
	tables         int
	pointsPerTable int // one backup, then copies into other vaults
	groups         int
	plans          int
}

// scale is the account of the sweep's goal (10,000 recovery points, 1,000
// groups, 500 tables, 200 vaults) times n.
func scale(n int) accountSpec {
	return accountSpec{vaults: 200 * n, tables: 500 * n, pointsPerTable: 20, groups: 1000 * n, plans: 20 * n}
}

func (s accountSpec) points() int { return s.tables * s.pointsPerTable }

func every10(n int) int { return (n + 9) / 10 }

// expected is the digest's counts for the spec: what the sweep must find.
func (s accountSpec) expected() map[string]map[notify.Status]int {
	unlocked, noPITR, full, noCopy := every10(s.vaults), every10(s.tables), every10(s.groups), (s.plans+4)/5
	return map[string]map[notify.Status]int{
		compliance.CheckVaultLockPresent:             {notify.StatusPass: s.vaults - unlocked, notify.StatusFail: unlocked},
		compliance.CheckVaultLockImmutable:           {notify.StatusPass: s.vaults - unlocked, notify.StatusNotApplicable: unlocked},
		compliance.CheckVaultLockRetention:           {notify.StatusPass: s.vaults - unlocked, notify.StatusNotApplicable: unlocked},
		compliance.CheckRecoveryPointRetention:       {notify.StatusPass: s.points()},
		compliance.CheckRecoveryPointEncrypted:       {notify.StatusPass: s.points()},
		compliance.CheckLastRecoveryPointCreated:     {notify.StatusPass: s.tables},
		compliance.CheckPlanMinFrequencyAndRetention: {notify.StatusPass: s.plans},
		compliance.CheckCrossRegionCopyConfigured:    {notify.StatusPass: s.plans - noCopy, notify.StatusFail: noCopy},
		// The state table has PITR on too.
		compliance.CheckPITREnabled:         {notify.StatusPass: s.tables - noPITR + 1, notify.StatusFail: noPITR},
		compliance.CheckPITRWindow:          {notify.StatusPass: s.tables - noPITR + 1, notify.StatusNotApplicable: noPITR},
		compliance.CheckPITRFreshness:       {notify.StatusPass: s.tables - noPITR + 1, notify.StatusNotApplicable: noPITR},
		compliance.CheckASGMultiAZ:          {notify.StatusPass: s.groups},
		compliance.CheckASGAZBalance:        {notify.StatusPass: s.groups},
		compliance.CheckASGHeadroom:         {notify.StatusPass: s.groups - full, notify.StatusFail: full},
		compliance.CheckASGELBHealthCheck:   {notify.StatusNotApplicable: s.groups},
		compliance.CheckASGGracePeriod:      {notify.StatusPass: s.groups},
		compliance.CheckASGAZRebalance:      {notify.StatusPass: s.groups},
		compliance.CheckASGImpairmentPolicy: {notify.StatusNotApplicable: s.groups},
	}
}

// build creates the account on h's sim, through the SDK (groups through
// the sim's seeding control, which validates the same way).
func (s accountSpec) build(h *harness) {
	h.t.Helper()
	c := h.backupClient(home)
	vault := func(i int) string { return fmt.Sprintf("vault-%05d", i) }
	for i := range s.vaults {
		var lock *lockSpec
		if i%10 != 0 {
			lock = &lockSpec{min: 7, max: 365, compliance: true}
		}
		h.vault(home, vault(i), lock)
	}
	// The locks' grace time ends before anything else exists to
	// reconcile: a cheap way through three days.
	h.sim.Advance(3*24*time.Hour + time.Hour)

	rps := make([]string, s.tables)
	for i := range s.tables {
		name := fmt.Sprintf("table-%05d", i)
		arn := h.table(home, name)
		if i%10 != 0 {
			h.pitr(home, name, 35)
		}
		rps[i] = h.backupNow(home, vault(i%s.vaults), arn, 35)
	}
	h.sim.Settle(time.Hour)
	for i, rp := range rps {
		for k := 1; k < s.pointsPerTable; k++ {
			_, err := c.StartCopyJob(bg, &backup.StartCopyJobInput{
				RecoveryPointArn: aws.String(rp), SourceBackupVaultName: aws.String(vault(i % s.vaults)),
				DestinationBackupVaultArn: aws.String(vaultARN(vault((i + k) % s.vaults))),
				IamRoleArn:                aws.String("arn:aws:iam::" + account + ":role/backup"),
				Lifecycle:                 &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)},
			})
			if err != nil {
				h.t.Fatal(err)
			}
		}
	}
	h.sim.Settle(time.Hour)

	for i := range s.plans {
		rule := ruleSpec{name: "daily", vault: vault(i % s.vaults), schedule: "cron(0 5 ? * * *)", keep: 35}
		if i%5 != 0 {
			rule.copyTo = "arn:aws:backup:" + dr + ":" + account + ":backup-vault:dr"
		}
		h.plan(home, fmt.Sprintf("plan-%05d", i), rule)
	}
	three := azs(home, 3)
	var subnets []string
	for _, az := range three {
		subnets = append(subnets, h.sim.SubnetIn(home, az))
	}
	for i := range s.groups {
		maxSize := int32(6)
		if i%10 == 0 {
			maxSize = 3
		}
		err := h.sim.CreateGroup(home, &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(fmt.Sprintf("group-%05d", i)),
			MinSize:              aws.Int32(1), MaxSize: aws.Int32(maxSize), DesiredCapacity: aws.Int32(3),
			VPCZoneIdentifier:      aws.String(strings.Join(subnets, ",")),
			HealthCheckGracePeriod: aws.Int32(300),
			LaunchTemplate:         &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web"), Version: aws.String("$Latest")},
		})
		if err != nil {
			h.t.Fatal(err)
		}
	}
	h.sim.Settle(time.Hour)
}

// The sweep's goal account — 10,000 recovery points, 1,000 groups, 500
// tables, 200 vaults — is swept completely in one run, and the digest
// counts exactly what the account holds.
func TestLargeAccountDigestCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-recovery-point account")
	}
	spec := scale(1)
	h := newHarness(t, config.DefaultPolicy(), []string{home})
	spec.build(h)

	h.mustRun()

	d := h.lastDigest()
	if !d.Complete {
		t.Fatalf("incomplete: %v", d.NotCovered)
	}
	for check, want := range spec.expected() {
		for st, n := range want {
			if got := d.Counts[check][st]; got != n {
				t.Errorf("%s %s: digest counts %d, want %d", check, st, got, n)
			}
		}
		for st, n := range d.Counts[check] {
			if _, ok := want[st]; !ok {
				t.Errorf("%s %s: digest counts %d, want none", check, st, n)
			}
		}
	}
	wantCovered := fmt.Sprintf("us-east-1: %d backup vaults, %d recovery points, %d backup plans, %d protected resources, %d DynamoDB tables, 0 RDS instances, 0 Aurora clusters, %d Auto Scaling groups",
		spec.vaults, spec.points(), spec.plans, spec.tables, spec.tables+1, spec.groups)
	if len(d.Covered) != 1 || d.Covered[0] != wantCovered {
		t.Errorf("covered: %q\nwant %q", d.Covered, wantCovered)
	}
	if len(d.Worst) != 20 {
		t.Errorf("%d worst resources, want the 20 the digest lists", len(d.Worst))
	}
	// One findings message per resource type with problems: vaults,
	// plans, tables, groups.
	var msgs int
	for _, s := range h.published() {
		if s.Doc.Kind == notify.KindFindings {
			msgs++
		}
	}
	if msgs != 4 {
		t.Errorf("%d findings messages, want 4 (one per resource type with problems)", msgs)
	}
}
