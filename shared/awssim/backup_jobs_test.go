package awssim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/eventbridge"
)

// planFixture adds to backupFixture a locked prod-vault in us-east-1, a
// locked dr-vault in us-west-2 and a daily plan (05:00 UTC) that backs up
// resources tagged backup=daily into prod-vault for 35 days and copies
// them to dr-vault.
type planFixture struct {
	backupFixture
	prodVault, drVault string
	planID, ruleID     string
	planArn, version   string
}

func newPlanFixture(t testing.TB, rule func(*backuptypes.BackupRuleInput)) planFixture {
	t.Helper()
	f := planFixture{backupFixture: newBackupFixture(t)}
	ctx := context.Background()
	f.prodVault = f.vault(t, f.east, "prod-vault")
	f.drVault = f.vault(t, f.west, "dr-vault")
	for _, c := range []*backup.Client{f.east, f.west} {
		name := "prod-vault"
		if c == f.west {
			name = "dr-vault"
		}
		if err := f.lock(c, name, aws.Int64(7), aws.Int64(365), aws.Int64(3)); err != nil {
			t.Fatal(err)
		}
	}
	r := backuptypes.BackupRuleInput{
		RuleName: aws.String("daily"), TargetBackupVaultName: aws.String("prod-vault"),
		ScheduleExpression: aws.String("cron(0 5 ? * * *)"),
		Lifecycle:          &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)},
		CopyActions: []backuptypes.CopyAction{{
			DestinationBackupVaultArn: aws.String(f.drVault), Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)},
		}},
	}
	if rule != nil {
		rule(&r)
	}
	plan, err := f.east.CreateBackupPlan(ctx, &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{
		BackupPlanName: aws.String("prod"), Rules: []backuptypes.BackupRuleInput{r},
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.planID, f.planArn, f.version = aws.ToString(plan.BackupPlanId), aws.ToString(plan.BackupPlanArn), aws.ToString(plan.VersionId)
	got, err := f.east.GetBackupPlan(ctx, &backup.GetBackupPlanInput{BackupPlanId: plan.BackupPlanId})
	if err != nil {
		t.Fatal(err)
	}
	f.ruleID = aws.ToString(got.BackupPlan.Rules[0].RuleId)
	if _, err := f.east.CreateBackupSelection(ctx, &backup.CreateBackupSelectionInput{BackupPlanId: plan.BackupPlanId, BackupSelection: &backuptypes.BackupSelection{
		SelectionName: aws.String("tagged"), IamRoleArn: aws.String(backupRole),
		ListOfTags: []backuptypes.Condition{{ConditionType: backuptypes.ConditionTypeStringequals, ConditionKey: aws.String("backup"), ConditionValue: aws.String("daily")}},
	}}); err != nil {
		t.Fatal(err)
	}
	f.sim.DrainEvents()
	return f
}

// firstRun moves the clock to the plan's first run, 05:00 on the start
// day, and lets the jobs and copies finish.
func (f planFixture) firstRun(t *testing.T) {
	t.Helper()
	f.sim.AdvanceTo(time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC))
	f.sim.Settle(6 * time.Hour)
}

// backupEvent is one emitted aws.backup event, read loosely.
type backupEvent struct {
	region, detailType string
	state              string // detail.state, or detail.status for recovery points
	resources          []string
	detail             map[string]any
	raw                []byte
}

func (e backupEvent) String() string { return e.region + " " + e.detailType + " " + e.state }

func drainBackupEvents(t *testing.T, sim *awssim.Sim) []backupEvent {
	t.Helper()
	var out []backupEvent
	for _, e := range sim.DrainEvents() {
		if e.Source != "aws.backup" {
			continue
		}
		// Every event must decode with the suite's own decoder.
		if _, err := eventbridge.Decode(e.JSON); err != nil {
			t.Errorf("shared/eventbridge cannot decode the sim's %s: %v\n%s", e.DetailType, err, e.JSON)
		}
		var env struct {
			Region    string         `json:"region"`
			Resources []string       `json:"resources"`
			Detail    map[string]any `json:"detail"`
		}
		if err := json.Unmarshal(e.JSON, &env); err != nil {
			t.Fatal(err)
		}
		state, _ := env.Detail["state"].(string)
		if state == "" {
			state, _ = env.Detail["status"].(string)
		}
		out = append(out, backupEvent{region: env.Region, detailType: e.DetailType, state: state, resources: env.Resources, detail: env.Detail, raw: e.JSON})
	}
	return out
}

func eventLines(evs []backupEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.String()
	}
	return out
}

func find(evs []backupEvent, line string) backupEvent {
	for _, e := range evs {
		if e.String() == line {
			return e
		}
	}
	return backupEvent{}
}

// detailKeys lists a detail's field names, nested ones as parent.child.
func detailKeys(m map[string]any, prefix string) []string {
	var out []string
	for k, v := range m {
		out = append(out, prefix+k)
		if sub, ok := v.(map[string]any); ok {
			out = append(out, detailKeys(sub, prefix+k+".")...)
		}
	}
	sort.Strings(out)
	return out
}

func sampleDetailKeys(t *testing.T, path string) []string {
	t.Helper()
	raw, err := events.Sample(path)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Detail map[string]any `json:"detail"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	return detailKeys(env.Detail, "")
}

func TestBackupPlanCrossRegionCopy(t *testing.T) {
	f := newPlanFixture(t, nil)
	ctx := context.Background()
	f.firstRun(t)
	evs := drainBackupEvents(t, f.sim)

	want := []string{
		"us-east-1 Backup Job State Change CREATED",
		"us-east-1 Backup Job State Change RUNNING",
		"us-east-1 Recovery Point State Change COMPLETED",
		"us-east-1 Backup Job State Change COMPLETED",
		"us-east-1 Copy Job State Change CREATED",
		"us-east-1 Copy Job State Change RUNNING",
		"us-west-2 Recovery Point State Change COMPLETED",
		"us-east-1 Copy Job State Change COMPLETED",
	}
	if diff := cmp.Diff(want, eventLines(evs)); diff != "" {
		t.Fatalf("events in order (-want +got):\n%s", diff)
	}

	// The backup job and its recovery point, through the API.
	jobs, err := f.east.ListBackupJobs(ctx, &backup.ListBackupJobsInput{ByResourceArn: aws.String(f.tableArn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.BackupJobs) != 1 || jobs.BackupJobs[0].State != backuptypes.BackupJobStateCompleted {
		t.Fatalf("backup jobs: %+v, want one COMPLETED", jobs.BackupJobs)
	}
	job := jobs.BackupJobs[0]
	wantCreator := backuptypes.RecoveryPointCreator{BackupPlanId: aws.String(f.planID), BackupPlanArn: aws.String(f.planArn), BackupPlanVersion: aws.String(f.version), BackupRuleId: aws.String(f.ruleID)}
	creatorOf := func(c *backuptypes.RecoveryPointCreator) backuptypes.RecoveryPointCreator {
		return backuptypes.RecoveryPointCreator{BackupPlanId: c.BackupPlanId, BackupPlanArn: c.BackupPlanArn, BackupPlanVersion: c.BackupPlanVersion, BackupRuleId: c.BackupRuleId}
	}
	if diff := cmp.Diff(wantCreator, creatorOf(job.CreatedBy), ddbCmp); diff != "" {
		t.Errorf("job CreatedBy (-want +got):\n%s", diff)
	}
	rp, err := f.east.DescribeRecoveryPoint(ctx, &backup.DescribeRecoveryPointInput{BackupVaultName: aws.String("prod-vault"), RecoveryPointArn: job.RecoveryPointArn})
	if err != nil {
		t.Fatal(err)
	}
	vault := f.describeVault(t, f.east, "prod-vault")
	if rp.Status != backuptypes.RecoveryPointStatusCompleted || !rp.IsEncrypted || aws.ToString(rp.EncryptionKeyArn) != aws.ToString(vault.EncryptionKeyArn) ||
		aws.ToInt64(rp.Lifecycle.DeleteAfterDays) != 35 || !rp.CalculatedLifecycle.DeleteAt.Equal(rp.CreationDate.Add(35*24*time.Hour)) {
		t.Errorf("recovery point: status %s encrypted %v key %s lifecycle %d deleteAt %v", rp.Status, rp.IsEncrypted,
			aws.ToString(rp.EncryptionKeyArn), aws.ToInt64(rp.Lifecycle.DeleteAfterDays), rp.CalculatedLifecycle.DeleteAt)
	}
	if diff := cmp.Diff(wantCreator, creatorOf(rp.CreatedBy), ddbCmp); diff != "" {
		t.Errorf("recovery point CreatedBy (-want +got):\n%s", diff)
	}

	// The copy job lives in the source region; its recovery point in the
	// destination's.
	copies, err := f.east.ListCopyJobs(ctx, &backup.ListCopyJobsInput{ByDestinationVaultArn: aws.String(f.drVault)})
	if err != nil {
		t.Fatal(err)
	}
	if len(copies.CopyJobs) != 1 || copies.CopyJobs[0].State != backuptypes.CopyJobStateCompleted {
		t.Fatalf("copy jobs in us-east-1: %+v, want one COMPLETED", copies.CopyJobs)
	}
	cj := copies.CopyJobs[0]
	if aws.ToString(cj.SourceRecoveryPointArn) != aws.ToString(job.RecoveryPointArn) || !strings.HasPrefix(aws.ToString(cj.DestinationRecoveryPointArn), "arn:aws:backup:us-west-2:") {
		t.Errorf("copy job: source %s destination %s", aws.ToString(cj.SourceRecoveryPointArn), aws.ToString(cj.DestinationRecoveryPointArn))
	}
	if west, err := f.west.ListCopyJobs(ctx, &backup.ListCopyJobsInput{}); err != nil || len(west.CopyJobs) != 0 {
		t.Errorf("copy jobs listed in the destination region: %d, %v; want none", len(west.CopyJobs), err)
	}
	dest, err := f.west.ListRecoveryPointsByBackupVault(ctx, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String("dr-vault")})
	if err != nil {
		t.Fatal(err)
	}
	if len(dest.RecoveryPoints) != 1 {
		t.Fatalf("recovery points in dr-vault: %d, want 1", len(dest.RecoveryPoints))
	}
	d := dest.RecoveryPoints[0]
	if aws.ToString(d.RecoveryPointArn) != aws.ToString(cj.DestinationRecoveryPointArn) || !d.CreationDate.Equal(*rp.CreationDate) ||
		aws.ToString(d.SourceBackupVaultArn) != f.prodVault {
		t.Errorf("copied recovery point: arn %s created %v source vault %s; want the copy job's, the source's creation date and prod-vault",
			aws.ToString(d.RecoveryPointArn), d.CreationDate, aws.ToString(d.SourceBackupVaultArn))
	}

	// The events carry what a handler needs, in the documented shapes.
	jobDone := find(evs, "us-east-1 Backup Job State Change COMPLETED")
	if !slices.Equal(jobDone.resources, []string{aws.ToString(job.RecoveryPointArn)}) {
		t.Errorf("job COMPLETED resources %v, want the recovery point", jobDone.resources)
	}
	copyDone := find(evs, "us-east-1 Copy Job State Change COMPLETED")
	if copyDone.detail["destinationRecoveryPointArn"] != aws.ToString(cj.DestinationRecoveryPointArn) ||
		copyDone.detail["destinationBackupVaultArn"] != f.drVault || copyDone.detail["copyJobId"] != aws.ToString(cj.CopyJobId) {
		t.Errorf("copy COMPLETED detail: %v", copyDone.detail)
	}
	if find(evs, "us-east-1 Copy Job State Change CREATED").detail["destinationRecoveryPointArn"] == nil {
		t.Error("copy CREATED has no destinationRecoveryPointArn ({} while there is none)")
	}
	for _, tc := range []struct{ line, sample string }{
		{"us-east-1 Backup Job State Change COMPLETED", "aws.backup/backup-job-state-change--completed.json"},
		{"us-east-1 Copy Job State Change COMPLETED", "aws.backup/copy-job-state-change--completed.json"},
		{"us-east-1 Recovery Point State Change COMPLETED", "aws.backup/recovery-point-state-change--completed.json"},
	} {
		if diff := cmp.Diff(sampleDetailKeys(t, tc.sample), detailKeys(find(evs, tc.line).detail, "")); diff != "" {
			t.Errorf("%s: detail fields differ from the catalogue's %s (-sample +sim):\n%s", tc.line, tc.sample, diff)
		}
	}
	decoded, err := eventbridge.Decode(copyDone.raw)
	if err != nil {
		t.Fatal(err)
	}
	c := decoded.Detail.(*eventbridge.CopyJobStateChange)
	if c.SourceRegion() != "us-east-1" || c.DestinationRegion() != "us-west-2" || c.CreatedBy.BackupRuleID != f.ruleID || c.SourceRecoveryPointARN != aws.ToString(job.RecoveryPointArn) {
		t.Errorf("decoded copy event: %+v", c)
	}

	protected, err := f.east.ListProtectedResources(ctx, &backup.ListProtectedResourcesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(protected.Results) != 1 || aws.ToString(protected.Results[0].ResourceArn) != f.tableArn || aws.ToString(protected.Results[0].LastRecoveryPointArn) != aws.ToString(job.RecoveryPointArn) {
		t.Errorf("protected resources: %+v", protected.Results)
	}
	byResource, err := f.east.ListRecoveryPointsByResource(ctx, &backup.ListRecoveryPointsByResourceInput{ResourceArn: aws.String(f.tableArn)})
	if err != nil || len(byResource.RecoveryPoints) != 1 {
		t.Errorf("recovery points of the table in us-east-1: %d, %v; want 1", len(byResource.RecoveryPoints), err)
	}
	plans, err := f.east.ListBackupPlans(ctx, &backup.ListBackupPlansInput{})
	if err != nil || len(plans.BackupPlansList) != 1 || plans.BackupPlansList[0].LastExecutionDate == nil {
		t.Errorf("ListBackupPlans: %+v, %v; want the plan with its last execution", plans, err)
	}
}

func TestBackupCopyFails(t *testing.T) {
	f := newPlanFixture(t, nil)
	ctx := context.Background()
	const message = "Access denied: the destination vault's KMS key is not accessible to the copy role"
	if _, err := f.sim.InjectCopyJobFault(awssim.CopyJobFault{DestinationVaultArn: f.drVault, Mode: awssim.CopyFail, StatusMessage: message}); err != nil {
		t.Fatal(err)
	}
	f.firstRun(t)
	evs := drainBackupEvents(t, f.sim)
	failed := find(evs, "us-east-1 Copy Job State Change FAILED")
	if failed.detail == nil {
		t.Fatalf("no FAILED copy event in %v", eventLines(evs))
	}
	if failed.detail["statusMessage"] != message || fmt.Sprint(failed.detail["destinationRecoveryPointArn"]) != "map[]" {
		t.Errorf("FAILED copy detail: statusMessage %v destinationRecoveryPointArn %v", failed.detail["statusMessage"], failed.detail["destinationRecoveryPointArn"])
	}
	if diff := cmp.Diff(sampleDetailKeys(t, "aws.backup/copy-job-state-change--failed.json"), detailKeys(failed.detail, "")); diff != "" {
		t.Errorf("FAILED copy fields differ from the catalogue's (-sample +sim):\n%s", diff)
	}
	if find(evs, "us-west-2 Recovery Point State Change COMPLETED").detail != nil {
		t.Error("a failed copy made a recovery point in the destination")
	}
	out, err := f.east.ListCopyJobs(ctx, &backup.ListCopyJobsInput{ByState: backuptypes.CopyJobStateFailed, ByResourceArn: aws.String(f.tableArn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CopyJobs) != 1 || aws.ToString(out.CopyJobs[0].StatusMessage) != message {
		t.Errorf("FAILED copy jobs: %+v, want one with the fault's message", out.CopyJobs)
	}
}

func TestBackupCopyNeverStarts(t *testing.T) {
	f := newPlanFixture(t, nil)
	ctx := context.Background()
	if _, err := f.sim.InjectCopyJobFault(awssim.CopyJobFault{ResourceArn: f.tableArn, Mode: awssim.CopyNeverStart}); err != nil {
		t.Fatal(err)
	}
	f.firstRun(t)
	evs := drainBackupEvents(t, f.sim)
	if find(evs, "us-east-1 Backup Job State Change COMPLETED").detail == nil {
		t.Fatalf("the backup itself did not complete: %v", eventLines(evs))
	}
	for _, e := range evs {
		if e.detailType == "Copy Job State Change" {
			t.Errorf("a copy that never starts emitted %s", e)
		}
	}
	out, err := f.east.ListCopyJobs(ctx, &backup.ListCopyJobsInput{})
	if err != nil || len(out.CopyJobs) != 0 {
		t.Errorf("copy jobs: %d, %v; want none at all", len(out.CopyJobs), err)
	}
	// The fault took one copy: the next day's copy happens.
	f.sim.AdvanceTo(time.Date(2026, 11, 3, 5, 0, 0, 0, time.UTC))
	f.sim.Settle(6 * time.Hour)
	out, err = f.east.ListCopyJobs(ctx, &backup.ListCopyJobsInput{ByState: backuptypes.CopyJobStateCompleted})
	if err != nil || len(out.CopyJobs) != 1 {
		t.Errorf("completed copies the next day: %d, %v; want 1", len(out.CopyJobs), err)
	}
}

func TestBackupCopyDelayed(t *testing.T) {
	f := newPlanFixture(t, nil)
	ctx := context.Background()
	if _, err := f.sim.InjectCopyJobFault(awssim.CopyJobFault{Mode: awssim.CopyDelay, Delay: 3 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	f.sim.AdvanceTo(time.Date(2026, 11, 2, 5, 10, 0, 0, time.UTC))
	state := func() backuptypes.CopyJobState {
		out, err := f.east.ListCopyJobs(ctx, &backup.ListCopyJobsInput{})
		if err != nil || len(out.CopyJobs) != 1 {
			t.Fatalf("copy jobs: %d, %v; want 1", len(out.CopyJobs), err)
		}
		return out.CopyJobs[0].State
	}
	if got := state(); got != backuptypes.CopyJobStateCreated {
		t.Errorf("10 minutes in: copy %s, want CREATED", got)
	}
	f.sim.AdvanceTo(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	if got := state(); got != backuptypes.CopyJobStateCreated {
		t.Errorf("3 hours in: copy %s, want still CREATED", got)
	}
	f.sim.Settle(time.Hour)
	if got := state(); got != backuptypes.CopyJobStateCompleted {
		t.Errorf("after the delay: copy %s, want COMPLETED", got)
	}
}

func TestBackupJobFaults(t *testing.T) {
	for _, tc := range []struct {
		outcome backuptypes.BackupJobState
		message string
		sample  string
	}{
		{backuptypes.BackupJobStateFailed, "Backup job failed because the IAM role is not authorized to perform dynamodb:CreateBackup.", ""},
		{backuptypes.BackupJobStateAborted, "Backup job was stopped by user.", "aws.backup/backup-job-state-change--aborted.json"},
		{backuptypes.BackupJobStateExpired, "", "aws.backup/backup-job-state-change--expired.json"},
	} {
		t.Run(string(tc.outcome), func(t *testing.T) {
			f := newPlanFixture(t, nil)
			wantMessage := tc.message
			if _, err := f.sim.InjectBackupJobFault(awssim.BackupJobFault{BackupPlanID: f.planID, Outcome: tc.outcome, StatusMessage: tc.message}); err != nil {
				t.Fatal(err)
			}
			if wantMessage == "" {
				wantMessage = "Backup job failed because there was a running job for the same resource."
			}
			f.sim.AdvanceTo(time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC))
			f.sim.Settle(10 * time.Hour) // an EXPIRED job waits out its 8-hour start window
			evs := drainBackupEvents(t, f.sim)
			end := find(evs, "us-east-1 Backup Job State Change "+string(tc.outcome))
			if end.detail == nil {
				t.Fatalf("no %s event in %v", tc.outcome, eventLines(evs))
			}
			if end.detail["statusMessage"] != `"`+wantMessage+`"` {
				t.Errorf("statusMessage %q, want the message in literal quotes as AWS sends it", end.detail["statusMessage"])
			}
			decoded, err := eventbridge.Decode(end.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := decoded.Detail.(*eventbridge.BackupJobStateChange).StatusMessage; got != wantMessage {
				t.Errorf("decoded statusMessage %q, want %q", got, wantMessage)
			}
			if tc.sample != "" {
				// The catalogue's ABORTED job was on demand (no createdBy);
				// these are plan jobs, so compare the rest.
				noCreator := func(keys []string) []string {
					return slices.DeleteFunc(keys, func(k string) bool { return strings.HasPrefix(k, "createdBy") })
				}
				if diff := cmp.Diff(noCreator(sampleDetailKeys(t, tc.sample)), noCreator(detailKeys(end.detail, ""))); diff != "" {
					t.Errorf("fields differ from the catalogue's %s (-sample +sim):\n%s", tc.sample, diff)
				}
			}
			if tc.outcome == backuptypes.BackupJobStateExpired {
				startBy, _ := time.Parse(time.RFC3339, end.detail["startBy"].(string))
				completed, _ := time.Parse(time.RFC3339, end.detail["completionDate"].(string))
				if completed.Before(startBy) {
					t.Errorf("expired at %v, before its StartBy %v", completed, startBy)
				}
			}
			for _, e := range evs {
				if e.detailType == "Copy Job State Change" || e.detailType == "Recovery Point State Change" {
					t.Errorf("a %s job led to %s", tc.outcome, e)
				}
			}
		})
	}
	sim := awssim.New()
	if _, err := sim.InjectBackupJobFault(awssim.BackupJobFault{Outcome: backuptypes.BackupJobStateCompleted}); err == nil {
		t.Error("a fault with outcome COMPLETED was accepted")
	}
}

func TestContinuousBackupStopsAndRestarts(t *testing.T) {
	f := newPlanFixture(t, func(r *backuptypes.BackupRuleInput) {
		r.EnableContinuousBackup = aws.Bool(true)
		r.Lifecycle = &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(14)}
		r.CopyActions = nil
	})
	ctx := context.Background()
	db := rds.NewFromConfig(f.sim.Config("us-east-1"))
	if _, err := db.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("payments"), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		Tags: []rdstypes.Tag{{Key: aws.String("backup"), Value: aws.String("daily")}},
	}); err != nil {
		t.Fatal(err)
	}
	f.firstRun(t)
	dbArn := "arn:aws:rds:us-east-1:123456789012:db:payments"
	points := func() []backuptypes.RecoveryPointByResource {
		out, err := f.east.ListRecoveryPointsByResource(ctx, &backup.ListRecoveryPointsByResourceInput{ResourceArn: aws.String(dbArn)})
		if err != nil {
			t.Fatal(err)
		}
		return out.RecoveryPoints
	}
	rps := points()
	if len(rps) != 1 || rps[0].Status != backuptypes.RecoveryPointStatusAvailable || !strings.Contains(aws.ToString(rps[0].RecoveryPointArn), ":recovery-point:continuous:") {
		t.Fatalf("continuous recovery points: %+v, want one AVAILABLE continuous one", rps)
	}
	first := aws.ToString(rps[0].RecoveryPointArn)
	f.sim.DrainEvents()

	if err := f.sim.StopContinuousBackup(first, "Continuous backup stopped: permissions removed."); err != nil {
		t.Fatal(err)
	}
	evs := drainBackupEvents(t, f.sim)
	stopped := find(evs, "us-east-1 Recovery Point State Change STOPPED")
	if stopped.detail == nil || stopped.detail["statusMessage"] != "Continuous backup stopped: permissions removed." || !slices.Equal(stopped.resources, []string{first}) {
		t.Fatalf("STOPPED event: %v in %v", stopped.detail, eventLines(evs))
	}
	if diff := cmp.Diff(sampleDetailKeys(t, "aws.backup/recovery-point-state-change--continuous-stopped.json"), detailKeys(stopped.detail, "")); diff != "" {
		t.Errorf("STOPPED fields differ from the catalogue's (-sample +sim):\n%s", diff)
	}

	// The next run starts a new continuous recovery point.
	f.sim.AdvanceTo(time.Date(2026, 11, 3, 5, 0, 0, 0, time.UTC))
	f.sim.Settle(time.Hour)
	var statuses []string
	for _, rp := range points() {
		statuses = append(statuses, string(rp.Status))
	}
	if diff := cmp.Diff([]string{"STOPPED", "AVAILABLE"}, statuses); diff != "" {
		t.Errorf("continuous recovery points after the next run (-want +got):\n%s", diff)
	}
	if err := f.sim.StopContinuousBackup(first, ""); err == nil {
		t.Error("stopping a STOPPED recovery point succeeded")
	}
}

func TestBackupScheduleRunsHourlyAndRefusesWhatItDoesNotModel(t *testing.T) {
	f := newPlanFixture(t, func(r *backuptypes.BackupRuleInput) {
		r.ScheduleExpression = aws.String("cron(15 0/6 ? * * *)")
		r.CopyActions = nil
	})
	ctx := context.Background()
	f.sim.SetBackupTimings(awssim.BackupTimings{JobDuration: time.Minute})
	f.sim.AdvanceTo(time.Date(2026, 11, 3, 3, 0, 0, 0, time.UTC))
	out, err := f.east.ListBackupJobs(ctx, &backup.ListBackupJobsInput{ByState: backuptypes.BackupJobStateCompleted})
	if err != nil {
		t.Fatal(err)
	}
	var hours []string
	for _, j := range out.BackupJobs {
		hours = append(hours, j.CreationDate.Format("02 15:04"))
	}
	if diff := cmp.Diff([]string{"02 06:15", "02 12:15", "02 18:15", "03 00:15"}, hours); diff != "" {
		t.Errorf("job times for cron(15 0/6 ? * * *) (-want +got):\n%s", diff)
	}
	since := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	filtered, err := f.east.ListBackupJobs(ctx, &backup.ListBackupJobsInput{ByCreatedAfter: &since, ByBackupVaultName: aws.String("prod-vault")})
	if err != nil || len(filtered.BackupJobs) != 3 {
		t.Errorf("jobs created after 12:00: %d, %v; want 3", len(filtered.BackupJobs), err)
	}

	for _, expr := range []string{
		"rate(1 hour)",            // not a cron expression
		"cron(0,30 * ? * * *)",    // more often than hourly
		"cron(0 5 1 * ? *)",       // a day of the month
		"cron(0 5 ? JAN * *)",     // a month
		"cron(0 5 * * * *)",       // neither day field is ?
		"cron(0 5 ? * MON#2 *)",   // nth weekday
		"cron(0 25 ? * * *)",      // no such hour
		"cron(0 5 ? * * * extra)", // seven fields
	} {
		_, err := f.east.CreateBackupPlan(ctx, &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{
			BackupPlanName: aws.String("bad"),
			Rules:          []backuptypes.BackupRuleInput{{RuleName: aws.String("r"), TargetBackupVaultName: aws.String("prod-vault"), ScheduleExpression: aws.String(expr)}},
		}})
		var invalid *backuptypes.InvalidParameterValueException
		if !errors.As(err, &invalid) || !strings.Contains(err.Error(), expr) {
			t.Errorf("%s: got %v, want InvalidParameterValueException naming it", expr, err)
		}
	}
	for _, expr := range []string{"cron(0 5 ? * MON-FRI *)", "cron(30 */12 ? * * *)", "cron(0 1,13 ? * SUN *)"} {
		_, err := f.east.CreateBackupPlan(ctx, &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{
			BackupPlanName: aws.String("ok-" + strings.NewReplacer("(", "", ")", "", " ", "-", "*", "x", "/", "s", ",", "c", "?", "q").Replace(expr)),
			Rules:          []backuptypes.BackupRuleInput{{RuleName: aws.String("r"), TargetBackupVaultName: aws.String("prod-vault"), ScheduleExpression: aws.String(expr)}},
		}})
		if err != nil {
			t.Errorf("%s: %v", expr, err)
		}
	}
}

func TestListCopyJobsFiltersAndPages(t *testing.T) {
	f := newPlanFixture(t, nil)
	ctx := context.Background()
	f.firstRun(t)
	// Three more on-demand copies of the same recovery point.
	rp, err := f.east.ListRecoveryPointsByBackupVault(ctx, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String("prod-vault")})
	if err != nil || len(rp.RecoveryPoints) != 1 {
		t.Fatalf("recovery points: %v, %v", rp, err)
	}
	local := f.vault(t, f.east, "local-vault")
	after := f.sim.Now().Add(-time.Second)
	var onDemand []string
	for i := range 3 {
		dest := f.drVault
		if i == 2 {
			dest = local
		}
		out, err := f.east.StartCopyJob(ctx, &backup.StartCopyJobInput{
			SourceBackupVaultName: aws.String("prod-vault"), RecoveryPointArn: rp.RecoveryPoints[0].RecoveryPointArn,
			DestinationBackupVaultArn: aws.String(dest), IamRoleArn: aws.String(backupRole),
			Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(30)},
		})
		if err != nil {
			t.Fatal(err)
		}
		onDemand = append(onDemand, aws.ToString(out.CopyJobId))
		f.sim.Advance(time.Minute)
	}
	f.sim.Settle(time.Hour)
	list := func(in *backup.ListCopyJobsInput) []string {
		t.Helper()
		var ids []string
		p := backup.NewListCopyJobsPaginator(f.east, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range out.CopyJobs {
				ids = append(ids, aws.ToString(c.CopyJobId))
			}
		}
		return ids
	}
	all := list(&backup.ListCopyJobsInput{MaxResults: aws.Int32(1)})
	if len(all) != 4 {
		t.Fatalf("all copy jobs, one per page: %d, want 4", len(all))
	}
	for _, tc := range []struct {
		name string
		in   *backup.ListCopyJobsInput
		want []string
	}{
		{"by destination", &backup.ListCopyJobsInput{ByDestinationVaultArn: aws.String(local)}, onDemand[2:]},
		{"by created after", &backup.ListCopyJobsInput{ByCreatedAfter: &after}, onDemand},
		{"by created before", &backup.ListCopyJobsInput{ByCreatedBefore: &after}, all[:1]},
		{"by resource", &backup.ListCopyJobsInput{ByResourceArn: aws.String(f.tableArn)}, all},
		{"by another resource", &backup.ListCopyJobsInput{ByResourceArn: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/other")}, nil},
		{"by state", &backup.ListCopyJobsInput{ByState: backuptypes.CopyJobStateCompleted}, all},
		{"by this account", &backup.ListCopyJobsInput{ByAccountId: aws.String("123456789012")}, all},
		{"by another account", &backup.ListCopyJobsInput{ByAccountId: aws.String("210987654321")}, nil},
	} {
		if diff := cmp.Diff(tc.want, list(tc.in)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	_, err = f.east.DescribeCopyJob(ctx, &backup.DescribeCopyJobInput{CopyJobId: aws.String("NOPE")})
	var notFound *backuptypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("unknown copy job: got %v, want ResourceNotFoundException", err)
	}
}
