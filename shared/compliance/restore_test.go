package compliance_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// restoreRig is an account whose orders table (4 items) is backed up
// daily at 05:00 into a locked vault and restore-tested daily at 06:00 by
// a restore testing plan with a 4-hour validation window.
type restoreRig struct {
	*harness
	table, plan string
	ddb         *dynamodb.Client
}

func newRestoreRig(t *testing.T, p config.Policy, tags map[string]string) restoreRig {
	t.Helper()
	h := newHarness(t, p, awssim.WithTick(time.Minute))
	return newRestoreRigOn(t, restoreRig{harness: h, ddb: dynamodb.NewFromConfig(h.sim.Config(region))}, tags)
}

func newRestoreRigOn(t testing.TB, r restoreRig, tags map[string]string) restoreRig {
	t.Helper()
	h := r.harness
	r.table = createTable(t, h.sim, "orders", 35)
	for i := range 4 {
		if _, err := r.ddb.PutItem(h.ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: map[string]ddbtypes.AttributeValue{
			"id": &ddbtypes.AttributeValueMemberS{Value: "order-" + string(rune('a'+i))},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range tags {
		if _, err := r.ddb.TagResource(h.ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String(r.table), Tags: []ddbtypes.Tag{{Key: aws.String(k), Value: aws.String(v)}}}); err != nil {
			t.Fatal(err)
		}
	}
	h.vault(region, "prod-vault", compliance3)
	h.plan(planSpec{vault: "prod-vault", resources: []string{r.table}})
	c := h.backupClient(region)
	out, err := c.CreateRestoreTestingPlan(h.ctx, &backup.CreateRestoreTestingPlanInput{RestoreTestingPlan: &backuptypes.RestoreTestingPlanForCreate{
		RestoreTestingPlanName: aws.String("daily_restore_test"), ScheduleExpression: aws.String("cron(0 6 ? * * *)"),
		RecoveryPointSelection: &backuptypes.RestoreTestingRecoveryPointSelection{
			Algorithm: backuptypes.RestoreTestingRecoveryPointSelectionAlgorithmLatestWithinWindow, IncludeVaults: []string{"*"},
			RecoveryPointTypes: []backuptypes.RestoreTestingRecoveryPointType{backuptypes.RestoreTestingRecoveryPointTypeSnapshot},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.plan = aws.ToString(out.RestoreTestingPlanArn)
	if _, err := c.CreateRestoreTestingSelection(h.ctx, &backup.CreateRestoreTestingSelectionInput{
		RestoreTestingPlanName: aws.String("daily_restore_test"),
		RestoreTestingSelection: &backuptypes.RestoreTestingSelectionForCreate{
			RestoreTestingSelectionName: aws.String("tables"), ProtectedResourceType: aws.String("DynamoDB"),
			IamRoleArn:            aws.String("arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"),
			ProtectedResourceArns: []string{"*"}, ValidationWindowHours: aws.Int32(4),
		},
	}); err != nil {
		t.Fatal(err)
	}
	h.settleLocks()
	h.runBackups()
	h.sim.DrainEvents() // the backup's own checks are other tests'
	return r
}

// restoreTest runs the restore testing plan now and delivers its events as
// they come, until the job has ended and its events are handled.
func (r restoreRig) restoreTest(t *testing.T) string {
	t.Helper()
	ids, err := r.sim.RunRestoreTestingPlan(region, "daily_restore_test")
	if err != nil || len(ids) != 1 {
		t.Fatalf("restore testing plan ran %v, %v", ids, err)
	}
	for range 600 {
		r.sim.Advance(time.Minute)
		r.deliverAll()
		job, err := r.backupClient(region).DescribeRestoreJob(r.ctx, &backup.DescribeRestoreJobInput{RestoreJobId: aws.String(ids[0])})
		if err != nil {
			t.Fatal(err)
		}
		switch job.Status {
		case backuptypes.RestoreJobStatusCompleted, backuptypes.RestoreJobStatusFailed, backuptypes.RestoreJobStatusAborted:
			return ids[0]
		}
	}
	t.Fatal("the restore job did not end in 10 hours")
	return ""
}

// store reads the deployment's state table.
func (r restoreRig) store() *state.Store {
	return state.New(dynamodb.NewFromConfig(r.sim.Config(region)), simenv.TableName, r.sim.Now)
}

func (r restoreRig) lastFindings(t *testing.T) []notify.Finding {
	t.Helper()
	msgs := r.published()
	if len(msgs) == 0 {
		t.Fatalf("no notification\nlogs:\n%s", r.logs.String())
	}
	return msgs[len(msgs)-1].Doc.Findings
}

// A restore test that restores the table with its items passes: AWS Backup
// is told SUCCESSFUL (and deletes the table), the test is recorded with
// its RTO and RPO, they are within the targets, and an EMF record per
// resource carries them.
func TestRestoreTestValidatedAndMeasured(t *testing.T) {
	p := config.DefaultPolicy()
	p.Notify.NotifyPass = true
	r := newRestoreRig(t, p, nil)
	job := r.restoreTest(t)

	status, msg, _ := r.sim.RestoreJobValidation(job)
	if status != backuptypes.RestoreValidationStatusSuccessful || !strings.Contains(msg, "4 items restored") {
		t.Errorf("validation put: %s %q, want SUCCESSFUL naming the 4 items", status, msg)
	}
	P := notify.StatusPass
	want := map[string]notify.Status{compliance.CheckRestoreTestFailed: P, compliance.CheckRestoreRTO: P, compliance.CheckRestoreRPO: P}
	fs := r.lastFindings(t)
	if diff := cmp.Diff(want, statuses(fs, r.table)); diff != "" {
		t.Errorf("findings about orders (-want +got):\n%s", diff)
	}
	for _, f := range fs {
		if f.ProtectedResource == nil || f.ProtectedResource.Name != "orders" {
			t.Errorf("%s does not lead with orders: %+v", f.Check, f.ProtectedResource)
		}
	}
	tests, err := r.store().RestoreTests(r.ctx, r.sim.Now().Add(-time.Hour))
	if err != nil || len(tests) != 1 {
		t.Fatalf("recorded tests %v, %v", tests, err)
	}
	rec := tests[0]
	// Running a minute after its creation, 10 minutes to restore a small
	// table, validated on the event's delivery; the backup was made at
	// 05:00, the test started at 05:03.
	if !rec.Succeeded || rec.RTO < 11*time.Minute || rec.RTO > 13*time.Minute || rec.RPO != 3*time.Minute {
		t.Errorf("recorded %+v, want success, RTO about 11m and RPO 3m", rec)
	}
	if rec.RTOTarget != 4*time.Hour || rec.RPOTarget != 26*time.Hour {
		t.Errorf("targets %s/%s, want the policy's 4h/26h", rec.RTOTarget, rec.RPOTarget)
	}
	emf := emfRecord(t, r.logs.String(), "RestoreRTO")
	if emf["Resource"] != "orders" || emf["ResourceType"] != "AWS::DynamoDB::Table" || emf["RestoreRTO"].(float64) != rec.RTO.Seconds() || emf["RestoreRPO"].(float64) != rec.RPO.Seconds() {
		t.Errorf("EMF record %v, want orders' RTO and RPO in seconds", emf)
	}
}

// emfRecord returns the EMF line of the output that carries metric.
func emfRecord(t *testing.T, out, metric string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["_aws"] != nil && m[metric] != nil {
			return m
		}
	}
	t.Fatalf("no EMF record with %s in:\n%s", metric, out)
	return nil
}

// What can go wrong with a restore test, and what selfheal says.
func TestRestoreTestFailures(t *testing.T) {
	tests := []struct {
		name    string
		fault   awssim.RestoreFault
		put     backuptypes.RestoreValidationStatus
		message string
	}{
		{"the job fails", awssim.RestoreFault{Mode: awssim.RestoreFail, Message: "The restore role cannot create tables."}, "",
			"restore job FAILED: The restore role cannot create tables."},
		{"the job is stopped", awssim.RestoreFault{Mode: awssim.RestoreAbort}, "", "restore job ABORTED: Restore job was stopped by user."},
		{"the restored table is empty", awssim.RestoreFault{Mode: awssim.RestoreBroken}, backuptypes.RestoreValidationStatusFailed, "is empty, but the backup held"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRestoreRig(t, config.DefaultPolicy(), nil)
			tt.fault.ResourceArn = r.table
			if _, err := r.sim.InjectRestoreFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			job := r.restoreTest(t)
			if status, _, _ := r.sim.RestoreJobValidation(job); status != tt.put {
				t.Errorf("validation put %q, want %q", status, tt.put)
			}
			var f notify.Finding
			for _, x := range r.lastFindings(t) {
				if x.Check == compliance.CheckRestoreTestFailed {
					f = x
				}
			}
			if f.Status != notify.StatusFail || !strings.Contains(f.Summary, tt.message) || f.Remediation == "" || f.Resource != r.table {
				t.Errorf("finding %+v, want a FAIL about orders saying %q", f, tt.message)
			}
			if got := r.failing(); len(got) != 1 {
				t.Errorf("failing %v, want only the restore test (no RTO or RPO of a failed test)", got)
			}
		})
	}
}

// A resource's tags set its targets; over the RTO target FAILs, within
// its last fifth WARNs; a bad tag falls back to the policy and says so.
func TestRestoreTargetsByTag(t *testing.T) {
	tests := []struct {
		tags     map[string]string
		rto, rpo notify.Status
		problem  bool
	}{
		{map[string]string{compliance.TagRTO: "5m"}, notify.StatusFail, notify.StatusPass, false},
		{map[string]string{compliance.TagRTO: "14m", compliance.TagRPO: "3m30s"}, notify.StatusWarn, notify.StatusWarn, false},
		{map[string]string{compliance.TagRPO: "2m"}, notify.StatusPass, notify.StatusFail, false},
		{map[string]string{compliance.TagRTO: "soon"}, notify.StatusPass, notify.StatusPass, true},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(cmp.Diff(nil, tt.tags), "\n", " "), func(t *testing.T) {
			p := config.DefaultPolicy()
			p.Notify.NotifyPass = true
			r := newRestoreRig(t, p, tt.tags)
			r.restoreTest(t)
			fs := r.lastFindings(t)
			got := statuses(fs, r.table)
			if got[compliance.CheckRestoreRTO] != tt.rto || got[compliance.CheckRestoreRPO] != tt.rpo {
				t.Errorf("RTO %s, RPO %s; want %s, %s\n%+v", got[compliance.CheckRestoreRTO], got[compliance.CheckRestoreRPO], tt.rto, tt.rpo, fs)
			}
			for _, f := range fs {
				if _, has := f.Observed["targetProblem"]; has != tt.problem {
					t.Errorf("%s targetProblem %q, want one: %v", f.Check, f.Observed["targetProblem"], tt.problem)
				}
			}
		})
	}
}

// Dry-run validates and reports but puts nothing to AWS Backup.
func TestRestoreTestDryRunPutsNothing(t *testing.T) {
	p := config.DefaultPolicy()
	p.DryRun, p.Notify.NotifyPass = true, true
	r := newRestoreRig(t, p, nil)
	job := r.restoreTest(t)
	if status, _, _ := r.sim.RestoreJobValidation(job); status != backuptypes.RestoreValidationStatusTimedOut && status != "" {
		t.Errorf("validation %q in dry-run, want none put", status)
	}
	for _, c := range r.sim.Calls() {
		if c.Operation == "PutRestoreValidationResult" {
			t.Errorf("dry-run called %s", c.Operation)
		}
	}
	if got := statuses(r.lastFindings(t), r.table); got[compliance.CheckRestoreTestFailed] != notify.StatusPass {
		t.Errorf("findings %v, want the validation reported all the same", got)
	}
}

// An event redelivered under a new id (EventBridge's at-least-once) finds
// the test recorded: the same measurements, nothing put twice.
func TestRestoreTestRecordedOnce(t *testing.T) {
	p := config.DefaultPolicy()
	p.Notify.NotifyPass = true
	r := newRestoreRig(t, p, nil)
	ids, _ := r.sim.RunRestoreTestingPlan(region, "daily_restore_test")
	var completed []byte
	for range 60 {
		r.sim.Advance(time.Minute)
		for _, d := range r.pending() {
			if strings.Contains(string(d.Raw), `"COMPLETED"`) {
				completed = d.Raw
			}
			r.mustDeliver(d.Raw)
		}
		if completed != nil {
			break
		}
	}
	first, _ := r.store().RestoreTests(r.ctx, time.Time{})
	r.sim.Advance(time.Hour)
	again := strings.Replace(string(completed), `"id":"`, `"id":"again-`, 1)
	r.mustDeliver([]byte(again))
	tests, _ := r.store().RestoreTests(r.ctx, time.Time{})
	if len(tests) != 1 || len(first) != 1 || tests[0].RTO != first[0].RTO {
		t.Errorf("tests after the redelivery %+v, want the first one only (%+v)", tests, first)
	}
	puts := 0
	for _, c := range r.sim.Calls() {
		if c.Operation == "PutRestoreValidationResult" && c.Err == nil {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("%d validation results put for job %s, want 1", puts, ids[0])
	}
	if !strings.Contains(r.lastLog().Decision, "recorded before") {
		t.Errorf("decision %q, want it to say the test was recorded before", r.lastLog().Decision)
	}
}

// A plan edited to lose its DR copy FAILs within the event; deleting it
// FAILs naming what it protected.
func TestPlanEventsRecheckAtOnce(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), awssim.WithTick(time.Minute))
	table := createTable(t, h.sim, "orders", 35)
	h.vault(region, "prod-vault", compliance3)
	dr := h.vault("us-west-2", "dr-vault", compliance3)
	ids := h.plan(planSpec{vault: "prod-vault", copyTo: []string{dr}, resources: []string{table}})
	h.settleLocks()
	h.runBackups()
	h.deliverAll()
	if got := h.failing(); len(got) != 0 {
		t.Fatalf("failing before the edit: %v", got)
	}
	c := h.backupClient(region)
	if _, err := c.UpdateBackupPlan(h.ctx, &backup.UpdateBackupPlanInput{BackupPlanId: aws.String(ids.id), BackupPlan: &backuptypes.BackupPlanInput{
		BackupPlanName: aws.String("prod"), Rules: []backuptypes.BackupRuleInput{{
			RuleName: aws.String("daily"), TargetBackupVaultName: aws.String("prod-vault"), ScheduleExpression: aws.String("cron(0 5 ? * * *)"),
			Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(35)},
		}},
	}}); err != nil {
		t.Fatal(err)
	}
	h.sim.Advance(time.Minute)
	h.deliverAll()
	want := map[string]notify.Status{compliance.CheckCrossRegionCopyConfigured + " " + ids.arn: notify.StatusFail}
	if diff := cmp.Diff(want, h.failing()); diff != "" {
		t.Errorf("after the edit (-want +got):\n%s", diff)
	}
	sels, _ := c.ListBackupSelections(h.ctx, &backup.ListBackupSelectionsInput{BackupPlanId: aws.String(ids.id)})
	for _, s := range sels.BackupSelectionsList {
		if _, err := c.DeleteBackupSelection(h.ctx, &backup.DeleteBackupSelectionInput{BackupPlanId: aws.String(ids.id), SelectionId: s.SelectionId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteBackupPlan(h.ctx, &backup.DeleteBackupPlanInput{BackupPlanId: aws.String(ids.id)}); err != nil {
		t.Fatal(err)
	}
	h.sim.Advance(time.Minute)
	h.deliverAll()
	want = map[string]notify.Status{compliance.CheckBackupPlanDeleted + " " + ids.arn: notify.StatusFail}
	if diff := cmp.Diff(want, h.failing()); diff != "" {
		t.Errorf("after the deletion (-want +got):\n%s", diff)
	}
	named := false
	for _, m := range h.published() {
		for _, f := range m.Doc.Findings {
			named = named || (f.Check == compliance.CheckBackupPlanDeleted && strings.Contains(f.Summary, "orders"))
		}
	}
	if !named {
		t.Error("the deletion's finding does not name orders")
	}
}

// Automated backups of a database turned off FAIL its PITR at once; on
// again, the failure resolves.
func TestRDSBackupEventsRecheckPITR(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), awssim.WithTick(time.Minute))
	db := rds.NewFromConfig(h.sim.Config(region))
	if _, err := db.CreateDBInstance(h.ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("payments"), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t4g.medium"),
		BackupRetentionPeriod: aws.Int32(7),
	}); err != nil {
		t.Fatal(err)
	}
	h.sim.Settle(time.Hour)
	h.sim.DrainEvents()
	arn := "arn:aws:rds:us-east-1:123456789012:db:payments"
	for _, step := range []struct {
		days int32
		want notify.Status
	}{{0, notify.StatusFail}, {7, notify.StatusPass}} {
		if _, err := db.ModifyDBInstance(h.ctx, &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String("payments"), BackupRetentionPeriod: aws.Int32(step.days), ApplyImmediately: aws.Bool(true),
		}); err != nil {
			t.Fatal(err)
		}
		if ds := h.deliverAll(); len(ds) != 1 {
			t.Fatalf("retention %d: %d events delivered, want the RDS event", step.days, len(ds))
		}
		if got := h.findings()[compliance.CheckPITREnabled+" "+arn]; got != step.want {
			t.Errorf("retention %d: PITR_ENABLED %s, want %s", step.days, got, step.want)
		}
	}
}

// The validation of a restored resource, judged on what was read.
func TestValidateRestore(t *testing.T) {
	job := compliance.RestoreJobState{CreatedResourceARN: "arn:aws:dynamodb:us-east-1:1:table/awsbackup-restore-test-1", BackupSizeInBytes: 100}
	tests := []struct {
		name string
		job  compliance.RestoreJobState
		r    compliance.RestoredState
		ok   bool
		msg  string
	}{
		{"table with items", job, compliance.RestoredState{ARN: job.CreatedResourceARN, Kind: compliance.RestoredTable, Status: "ACTIVE", Read: true, ItemRead: true, ItemCount: 12}, true, "ACTIVE and readable, 12 items restored"},
		{"table still creating", job, compliance.RestoredState{ARN: job.CreatedResourceARN, Kind: compliance.RestoredTable, Status: "CREATING"}, false, "is CREATING, not ACTIVE"},
		{"empty table of a non-empty backup", job, compliance.RestoredState{ARN: job.CreatedResourceARN, Kind: compliance.RestoredTable, Status: "ACTIVE", Read: true}, false, "is empty, but the backup held 100 bytes"},
		{"empty table of an empty backup", compliance.RestoreJobState{CreatedResourceARN: job.CreatedResourceARN}, compliance.RestoredState{ARN: job.CreatedResourceARN, Kind: compliance.RestoredTable, Status: "ACTIVE", Read: true}, true, "empty like its backup"},
		{"gone before validation", job, compliance.RestoredState{ARN: job.CreatedResourceARN, Kind: compliance.RestoredTable, NotFound: true}, false, "does not exist"},
		{"instance available", job, compliance.RestoredState{ARN: "arn:aws:rds:us-east-1:1:db:x", Kind: compliance.RestoredInstance, Status: "available"}, true, "DB instance x available"},
		{"instance broken", job, compliance.RestoredState{ARN: "arn:aws:rds:us-east-1:1:db:x", Kind: compliance.RestoredInstance, Status: "incompatible-restore"}, false, "is incompatible-restore, not available"},
		{"cluster available", job, compliance.RestoredState{ARN: "arn:aws:rds:us-east-1:1:cluster:x", Kind: compliance.RestoredCluster, Status: "available"}, true, "DB cluster x available"},
		{"S3 by the job", compliance.RestoreJobState{CreatedResourceARN: "arn:aws:s3:::awsbackup-restore-test-1", ResourceType: "S3"}, compliance.RestoredState{Kind: compliance.RestoredByJobOnly}, true, "validated by the restore job's outcome only"},
		{"nothing made", compliance.RestoreJobState{ResourceType: "EBS"}, compliance.RestoredState{Kind: compliance.RestoredByJobOnly}, false, "without naming a restored resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, msg := compliance.ValidateRestore(tt.job, tt.r)
			if ok != tt.ok || !strings.Contains(msg, tt.msg) {
				t.Errorf("ValidateRestore = %v %q, want %v containing %q", ok, msg, tt.ok, tt.msg)
			}
		})
	}
}

// The RTO and RPO checks on recorded tests: at the target passes, in its
// last fifth warns, over it fails; an unknown recovery point time is not
// measured.
func TestRestoreMeasures(t *testing.T) {
	base := state.RestoreTest{ResourceARN: "arn:aws:dynamodb:us-east-1:1:table/orders", ResourceType: "AWS::DynamoDB::Table", Succeeded: true,
		RTOTarget: time.Hour, RPOTarget: 10 * time.Hour, RecoveryPointCreated: time.Unix(1, 0)}
	for _, tt := range []struct {
		rto, rpo time.Duration
		want     [2]notify.Status
	}{
		{47 * time.Minute, 7 * time.Hour, [2]notify.Status{notify.StatusPass, notify.StatusPass}},
		{48 * time.Minute, 8 * time.Hour, [2]notify.Status{notify.StatusWarn, notify.StatusWarn}},
		{time.Hour, 10 * time.Hour, [2]notify.Status{notify.StatusWarn, notify.StatusWarn}},
		{61 * time.Minute, 11 * time.Hour, [2]notify.Status{notify.StatusFail, notify.StatusFail}},
	} {
		tc := base
		tc.RTO, tc.RPO = tt.rto, tt.rpo
		got := [2]notify.Status{compliance.RestoreRTO(tc, "policy").Status, compliance.RestoreRPO(tc, "policy").Status}
		if got != tt.want {
			t.Errorf("RTO %s / RPO %s: %v, want %v", tt.rto, tt.rpo, got, tt.want)
		}
	}
	unknown := base
	unknown.RecoveryPointCreated = time.Time{}
	if f := compliance.RestoreRPO(unknown, "policy"); f.Status != notify.StatusNotApplicable {
		t.Errorf("RPO of an unknown recovery point time: %s, want NOT_APPLICABLE", f.Status)
	}
}

// The cost of one restore test's validation: the Restore Job State Change
// of a completed restore test of orders (4 items), through the real
// boundary, processor and SDK clients. Each iteration restores anew
// (untimed): a validated job's table is gone. calls/op counts every call
// of the delivery (the restore job, the table, one item, the tags, the
// validation result, the state table, SNS); account/op those to the
// account: four reads and the validation result.
func BenchmarkHandleRestoreJob(b *testing.B) {
	p := config.DefaultPolicy()
	h := newHarness(b, p, awssim.WithTick(time.Minute))
	r := restoreRig{harness: h, ddb: dynamodb.NewFromConfig(h.sim.Config(region))}
	rig := newRestoreRigOn(b, r, nil)
	var calls, account int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		raw := rig.nextCompleted(b)
		start := rig.sim.CallCount()
		b.StartTimer()
		if err := rig.deliver(raw); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		for _, c := range rig.sim.CallsSince(start) {
			calls++
			if c.Service == awssim.ServiceBackup || (c.Service == awssim.ServiceDynamoDB && c.Operation != "GetItem" && c.Operation != "PutItem" &&
				c.Operation != "UpdateItem" && c.Operation != "BatchGetItem" && c.Operation != "TransactWriteItems" && c.Operation != "Query") {
				account++
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(float64(account)/float64(b.N), "account/op")
}

// nextCompleted runs the restore testing plan and returns its job's
// COMPLETED event, the earlier ones delivered.
func (r restoreRig) nextCompleted(b *testing.B) []byte {
	if _, err := r.sim.RunRestoreTestingPlan(region, "daily_restore_test"); err != nil {
		b.Fatal(err)
	}
	for range 60 {
		r.sim.Advance(time.Minute)
		for _, d := range r.pending() {
			if strings.Contains(string(d.Raw), `"status":"COMPLETED"`) {
				return d.Raw
			}
		}
	}
	b.Fatal("no completed restore job")
	return nil
}

// The decision alone: a restore test judged on what was read.
func BenchmarkDecideRestoreTest(b *testing.B) {
	job := compliance.RestoreJobState{CreatedResourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/awsbackup-restore-test-1", BackupSizeInBytes: 36048}
	restored := compliance.RestoredState{ARN: job.CreatedResourceARN, Kind: compliance.RestoredTable, Status: "ACTIVE", Read: true, ItemRead: true, ItemCount: 25}
	targets := compliance.TargetsFor(map[string]string{compliance.TagRTO: "1h"}, config.DefaultPolicy().Recovery)
	t0 := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		ok, msg := compliance.ValidateRestore(job, restored)
		t := state.RestoreTest{ResourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/orders", ResourceType: "AWS::DynamoDB::Table",
			Succeeded: ok, Message: msg, JobCreated: t0, RecoveryPointCreated: t0.Add(-time.Hour), At: t0.Add(11 * time.Minute),
			RTO: 11 * time.Minute, RPO: time.Hour, RTOTarget: targets.RTO, RPOTarget: targets.RPO}
		fs := []notify.Finding{compliance.RestoreTestFailed(t), compliance.RestoreRTO(t, targets.RTOFrom), compliance.RestoreRPO(t, targets.RPOFrom)}
		if len(fs) != 3 || fs[1].Status != notify.StatusPass {
			b.Fatal(fs)
		}
	}
}

// A restore test's findings name the protected resource as the test
// recorded it: an EBS volume is a volume, though its ARN alone would not
// say so to the finding's subject.
func TestRestoreFindingsNameTheVolume(t *testing.T) {
	vol := "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc"
	rec := state.RestoreTest{ResourceARN: vol, ResourceType: compliance.ResourceType("EBS", vol), RestoreJobID: "J", Message: "restore job FAILED: quota"}
	f := compliance.RestoreTestFailed(rec)
	if p := f.ProtectedResource; p == nil || p.Type != "AWS::EC2::Volume" || p.Name != "vol-0abc" || f.Status != notify.StatusFail {
		t.Errorf("finding %+v about %+v, want a FAIL about volume vol-0abc", f, f.ProtectedResource)
	}
}
