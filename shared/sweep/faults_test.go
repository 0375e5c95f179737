package sweep_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/sweep"
)

// smallAccount has a little of everything in two regions, some of it
// failing: enough calls of every kind for faults to land on.
func smallAccount(h *harness) {
	h.t.Helper()
	drVault := h.vault(dr, "dr", &lockSpec{min: 7, max: 365, compliance: true})
	for i := range 6 {
		lock := &lockSpec{min: 7, max: 365, compliance: true}
		if i%3 == 0 {
			lock = nil
		}
		h.vault(home, fmt.Sprintf("vault-%d", i), lock)
	}
	var tables []string
	for i := range 12 {
		name := fmt.Sprintf("table-%02d", i)
		tables = append(tables, h.table(home, name))
		if i%4 != 0 {
			h.pitr(home, name, 35)
		}
		if i < 2 {
			h.table(dr, name)
		}
	}
	for i, tbl := range tables {
		h.backupNow(home, fmt.Sprintf("vault-%d", i%6), tbl, 35)
	}
	h.plan(home, "daily", ruleSpec{name: "daily", vault: "vault-1", schedule: "cron(0 5 ? * * *)", keep: 35, copyTo: drVault})
	h.plan(home, "weekly", ruleSpec{name: "weekly", vault: "vault-1", schedule: "cron(0 5 ? * SUN *)", keep: 35})
	h.db(home, "payments", "mysql", 7)
	h.db(home, "reports", "postgres", 0)
	for i := range 8 {
		in := h.groupInput(home, fmt.Sprintf("group-%d", i), 3, azs(home, 1+i%3)...)
		h.group(home, in)
	}
	h.group(dr, h.groupInput(dr, "dr-group", 2, azs(dr, 2)...))
	h.sim.Settle(30 * time.Minute)
}

// findingSet is every finding the sweep published, as check, resource and
// status: what a subscriber learnt.
func findingSet(h *harness) []string {
	var out []string
	for _, s := range h.published() {
		for _, f := range s.Doc.Findings {
			out = append(out, fmt.Sprintf("%s %s %s %s", s.Doc.Kind, f.Check, f.Resource, f.Status))
		}
	}
	slices.Sort(out)
	return out
}

// A region that refuses access does not make a run fail or look clean: the
// other regions are reported, and the digest says what was not covered and
// which permission is missing.
func TestDeniedRegionIsNamedInAnIncompleteDigest(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), nil)
	smallAccount(h)
	h.sim.InjectFault(awssim.Fault{Region: dr, Code: "AccessDeniedException", Probability: 1})

	h.mustRun() // a gap is reported, not retried

	d := h.lastDigest()
	if d.Complete {
		t.Fatal("a run that could not read us-west-2 says it is complete")
	}
	for _, want := range []string{
		"us-west-2: backup vaults: not all listed: access denied (AccessDeniedException): allow backup:ListBackupVaults",
		"us-west-2: backup plans: not all listed: access denied (AccessDeniedException): allow backup:ListBackupPlans",
		"us-west-2: protected resources: not all listed: access denied (AccessDeniedException): allow backup:ListProtectedResources",
		"us-west-2: DynamoDB tables: not all listed: access denied (AccessDeniedException): allow dynamodb:ListTables",
		"us-west-2: RDS instances: not all listed: access denied (AccessDeniedException): allow rds:DescribeDBInstances",
		"us-west-2: Aurora clusters: not all listed: access denied (AccessDeniedException): allow rds:DescribeDBClusters",
		"us-west-2: Auto Scaling groups: not all listed: access denied (AccessDeniedException): allow autoscaling:DescribeAutoScalingGroups",
	} {
		if !slices.ContainsFunc(d.NotCovered, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("not covered does not say %q:\n%s", want, strings.Join(d.NotCovered, "\n"))
		}
	}
	for _, s := range d.NotCovered {
		if !strings.HasPrefix(s, "us-west-2: ") {
			t.Errorf("us-east-1 was readable, yet: %s", s)
		}
	}
	if !slices.ContainsFunc(d.Covered, func(s string) bool { return strings.HasPrefix(s, "us-east-1: 6 backup vaults, 12 recovery points") }) {
		t.Errorf("covered does not list us-east-1's reads: %v", d.Covered)
	}
	if slices.ContainsFunc(d.Covered, func(s string) bool { return strings.HasPrefix(s, "us-west-2") }) {
		t.Errorf("covered claims reads in the region that refused them: %v", d.Covered)
	}
	dg := h.digests()[0]
	if !strings.HasPrefix(dg.Subject, "[selfheal] INCOMPLETE sweep us-east-1, us-west-2: ") {
		t.Errorf("digest subject %q does not say the run is incomplete", dg.Subject)
	}
	if !strings.Contains(dg.Email, "INCOMPLETE RUN") || !strings.Contains(dg.Email, "not covered: us-west-2: backup vaults") {
		t.Errorf("digest e-mail does not say what was not covered:\n%s", dg.Email)
	}
	if dg.Doc.Status != notify.StatusFail && dg.Doc.Status != notify.StatusError {
		t.Errorf("an incomplete digest has status %s", dg.Doc.Status)
	}
	// What could be read was reported.
	if got := h.recorded(vaultARN("vault-0"))[compliance.CheckVaultLockPresent]; got != notify.StatusFail {
		t.Errorf("us-east-1's unlocked vault recorded as %q", got)
	}
}

func vaultARN(name string) string {
	return "arn:aws:backup:" + home + ":" + account + ":backup-vault:" + name
}

// Throttling on every audited service (30 % of calls) costs retries, not
// findings: the run is complete and says the same as without it.
func TestThrottlingGivesTheSameFindings(t *testing.T) {
	clean := newHarness(t, config.DefaultPolicy(), nil, awssim.WithSeed(7))
	smallAccount(clean)
	clean.mustRun()

	throttled := newHarness(t, config.DefaultPolicy(), nil, awssim.WithSeed(7))
	smallAccount(throttled)
	before := throttled.sim.CallCount()
	for _, f := range []awssim.Fault{
		{Service: awssim.ServiceBackup, Code: "ThrottlingException", Probability: 0.3},
		{Service: awssim.ServiceAutoScaling, Code: "Throttling", Probability: 0.3},
		{Service: awssim.ServiceRDS, Code: "Throttling", Probability: 0.3},
		{Service: awssim.ServiceDynamoDB, Operation: "ListTables", Code: "ThrottlingException", Probability: 0.3},
		{Service: awssim.ServiceDynamoDB, Operation: "DescribeContinuousBackups", Code: "ThrottlingException", Probability: 0.3},
	} {
		throttled.sim.InjectFault(f)
	}
	throttled.mustRun()

	var throttles int
	for _, c := range throttled.sim.CallsSince(before) {
		if c.Err != nil && strings.Contains(fmt.Sprint(c.Err), "simulated Throttling") {
			throttles++
		}
	}
	if throttles < 10 {
		t.Fatalf("only %d calls were throttled: the test does not test throttling", throttles)
	}
	if d := throttled.lastDigest(); !d.Complete {
		t.Errorf("throttled run incomplete: %v", d.NotCovered)
	}
	if diff := cmp.Diff(findingSet(clean), findingSet(throttled)); diff != "" {
		t.Errorf("findings differ under throttling (-clean +throttled):\n%s", diff)
	}
	if diff := cmp.Diff(clean.lastDigest().Counts, throttled.lastDigest().Counts); diff != "" {
		t.Errorf("digest counts differ under throttling (-clean +throttled):\n%s", diff)
	}
}

// A run that would outlast its invocation stops reading in time, reports
// what it read, and publishes a digest that says it is incomplete and why:
// never a partial "all clear".
func TestRunOutOfTimeSaysWhatItDidNotCover(t *testing.T) {
	// Every call takes a second of sim time: the account needs minutes.
	h := newHarness(t, config.DefaultPolicy(), []string{home}, awssim.WithCallLatency(time.Second))
	for i := range 100 {
		h.table(home, fmt.Sprintf("table-%03d", i))
	}
	ctx, cancel := context.WithTimeout(bg, 100*time.Second) // on the wall clock: the test is much faster
	defer cancel()
	start := h.sim.Now()
	if err := h.run(ctx); err != nil {
		t.Fatalf("sweep returned %v", err)
	}
	d := h.lastDigest()
	if d.Complete {
		t.Fatalf("a run that could not read 100 tables in its time says it is complete: covered %v", d.Covered)
	}
	if !slices.ContainsFunc(d.NotCovered, func(s string) bool {
		return strings.HasPrefix(s, "us-east-1: DynamoDB tables: ") && strings.HasSuffix(s, "stopped before the Lambda deadline")
	}) {
		t.Errorf("not covered does not name the tables left out: %v", d.NotCovered)
	}
	if !strings.HasPrefix(h.digests()[0].Subject, "[selfheal] INCOMPLETE sweep") {
		t.Errorf("subject %q", h.digests()[0].Subject)
	}
	// The audit stopped at three quarters of the (100 s - 20 s) it had,
	// give or take the calls in flight then.
	if took := h.sim.Now().Sub(start); took > 10*time.Minute {
		t.Errorf("the run took %s of sim time", took)
	}
}

// Findings are notified when they change, not every hour: a second run
// over the same account sends only its digest, and a fixed problem is
// resolved in a message and in the digest.
func TestRepeatRunsNotifyChangesOnly(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), []string{home})
	h.vault(home, "open", nil)
	g := h.group(home, h.groupInput(home, "web", 3, azs(home, 3)...))
	h.sim.Settle(30 * time.Minute)
	asg := autoscaling.NewFromConfig(h.sim.Config(home))
	if _, err := asg.SuspendProcesses(bg, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"AZRebalance"}}); err != nil {
		t.Fatal(err)
	}

	h.mustRun()
	first := len(h.published())
	if first != 3 { // vault findings, group findings, digest
		t.Fatalf("first run sent %d messages, want 3", first)
	}

	h.sim.Advance(time.Hour)
	h.mustRun()
	if got := h.published()[first:]; len(got) != 1 || got[0].Doc.Kind != notify.KindDigest {
		t.Fatalf("a run with nothing new sent %d messages: %v", len(got), kinds(got))
	}

	if _, err := asg.ResumeProcesses(bg, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"AZRebalance"}}); err != nil {
		t.Fatal(err)
	}
	h.sim.Advance(time.Hour)
	h.mustRun()
	got := h.published()[first+1:]
	if diff := cmp.Diff([]notify.Kind{notify.KindResolved, notify.KindDigest}, kinds(got)); diff != "" {
		t.Fatalf("messages after the fix (-want +got):\n%s", diff)
	}
	if r := got[0].Doc.Findings; len(r) != 1 || r[0].Check != compliance.CheckASGAZRebalance || r[0].Resource != g {
		t.Errorf("resolved message: %+v", r)
	}
	d := h.lastDigest()
	if len(d.Resolved) != 1 || d.Resolved[0].Check != compliance.CheckASGAZRebalance || d.Resolved[0].Previous != notify.StatusFail {
		t.Errorf("digest resolved: %+v", d.Resolved)
	}
}

func kinds(ss []sent) []notify.Kind {
	out := make([]notify.Kind, len(ss))
	for i, s := range ss {
		out[i] = s.Doc.Kind
	}
	return out
}

// The policy's scope tag limits the PITR checks to tagged tables and
// databases; without one, every table is checked and no tags are read.
func TestScopeTagLimitsPITR(t *testing.T) {
	p := config.DefaultPolicy()
	p.PITR.ScopeTag = config.Tag{Key: "backup", Value: "pitr"}
	h := newHarness(t, p, []string{home})
	in := h.table(home, "in-scope", ddbtypes.Tag{Key: aws.String("backup"), Value: aws.String("pitr")})
	out := h.table(home, "out-of-scope", ddbtypes.Tag{Key: aws.String("backup"), Value: aws.String("none")})
	dbIn := h.db(home, "db-in", "mysql", 0, rdstypes.Tag{Key: aws.String("backup"), Value: aws.String("pitr")})
	dbOut := h.db(home, "db-out", "mysql", 0)
	h.mustRun()

	if got := h.recorded(in)[compliance.CheckPITREnabled]; got != notify.StatusFail {
		t.Errorf("tagged table without PITR is %q", got)
	}
	if got := h.recorded(dbIn)[compliance.CheckPITREnabled]; got != notify.StatusFail {
		t.Errorf("tagged DB without automated backups is %q", got)
	}
	for _, r := range []string{out, dbOut} {
		if got := h.recorded(r); len(got) != 0 {
			t.Errorf("%s is out of scope, yet checked: %v", r, got)
		}
	}

	unscoped := newHarness(t, config.DefaultPolicy(), []string{home})
	unscoped.table(home, "any")
	before := unscoped.sim.CallCount()
	unscoped.mustRun()
	for _, c := range unscoped.sim.CallsSince(before) {
		if c.Operation == "ListTagsOfResource" {
			t.Fatal("tags were read without a scope tag in the policy")
		}
	}
}

// Reads are list calls that carry what the checks need: one call per page,
// plus one per plan and per table (no list carries those), and never a
// describe call per vault, recovery point, database or group.
func TestReadsAreListCalls(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), []string{home})
	smallAccount(h)
	before := h.sim.CallCount()
	h.mustRun()
	ops := map[string]int{}
	for _, c := range h.sim.CallsSince(before) {
		// The state table's own calls are not reads of the account
		// (BatchGetItem: notify.Report's batched dedupe reads).
		if c.Attempt == 1 && c.Service != awssim.ServiceSNS && !(c.Service == awssim.ServiceDynamoDB && slices.Contains([]string{"GetItem", "BatchGetItem", "PutItem", "UpdateItem", "Query", "TransactWriteItems"}, c.Operation)) {
			ops[c.Service+" "+c.Operation]++
		}
	}
	want := map[string]int{
		"Backup ListBackupVaults":                1,
		"Backup ListRecoveryPointsByBackupVault": 6, // one per vault
		"Backup ListBackupPlans":                 1,
		"Backup GetBackupPlan":                   2, // one per plan
		"Backup ListProtectedResources":          1,
		"DynamoDB ListTables":                    1,
		"DynamoDB DescribeContinuousBackups":     13, // one per table, the state table included
		"RDS DescribeDBInstances":                1,
		"RDS DescribeDBClusters":                 1,
		"Auto Scaling DescribeAutoScalingGroups": 1,
	}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("AWS calls of one run (-want +got):\n%s", diff)
	}
}

// When many resources of a type turn bad at once, someone on call gets a
// message per 500 of them, not one per resource, and none about the ones
// that pass.
func TestMassFailureComesInFewMessages(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), []string{home})
	three := azs(home, 3)
	for i := range 1200 {
		in := h.groupInput(home, fmt.Sprintf("group-%04d", i), 0, three...)
		in.MaxSize = aws.Int32(2)
		if i%2 == 0 && i < 1100 { // 550 in a single AZ
			in.VPCZoneIdentifier = aws.String(h.sim.SubnetIn(home, three[0]))
		}
		if err := h.sim.CreateGroup(home, in); err != nil {
			t.Fatal(err)
		}
	}
	h.mustRun()

	// Problems first: the 550 failing groups fill one chunk of 500 and
	// half of the next; the chunks that only pass send nothing.
	var msgs []sent
	for _, s := range h.published() {
		if s.Doc.Kind == notify.KindFindings {
			msgs = append(msgs, s)
		}
	}
	if len(msgs) != 2 {
		t.Fatalf("%d findings messages for 550 failing groups, want 2", len(msgs))
	}
	for _, m := range msgs {
		if !strings.HasPrefix(m.Subject, "[selfheal] FAIL Auto Scaling group ") {
			t.Errorf("subject %q", m.Subject)
		}
	}
	if got := h.lastDigest().Counts[compliance.CheckASGMultiAZ]; got[notify.StatusFail] != 550 || got[notify.StatusPass] != 650 {
		t.Errorf("digest counts %v", got)
	}
}

// Throttling that outlasts the retries leaves a gap the digest names, with
// the operation that was throttled; the rest of the run goes on.
func TestThrottlingBeyondRetriesIsAGap(t *testing.T) {
	h := newHarness(t, config.DefaultPolicy(), []string{home})
	h.table(home, "orders")
	h.vault(home, "open", nil)
	h.sim.InjectFault(awssim.Fault{Service: awssim.ServiceDynamoDB, Operation: "DescribeContinuousBackups", Code: "ThrottlingException", Probability: 1})
	h.mustRun()

	d := h.lastDigest()
	want := "us-east-1: DynamoDB tables: 2 tables not read (orders, selfheal-state): throttled beyond retries (ThrottlingException on dynamodb:DescribeContinuousBackups)"
	if diff := cmp.Diff([]string{want}, d.NotCovered); diff != "" {
		t.Errorf("not covered (-want +got):\n%s", diff)
	}
	if got := d.Counts[compliance.CheckVaultLockPresent][notify.StatusFail]; got != 1 {
		t.Errorf("the vault was not checked: %v", d.Counts)
	}
	var attempts int
	for _, c := range h.sim.Calls() {
		if in, ok := c.Input.(*dynamodb.DescribeContinuousBackupsInput); ok && aws.ToString(in.TableName) == "orders" {
			attempts++
		}
	}
	if attempts != sweep.MaxAttempts {
		t.Errorf("orders was tried %d times, want %d", attempts, sweep.MaxAttempts)
	}
}
