//go:build e2e

package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/state"
)

// shared/state on two DynamoDBs: the simulated account's and moto's, over
// HTTP. The same story of claims, ledger, breaker, findings (conditional
// puts, TransactWriteItems with the open-failures index, BatchGetItem),
// outbox and expected copies runs on both, on one clock of its own, and
// every outcome — which conditional write wins, which is refused, what a
// read returns — must be the same. A difference is a bug in one of them:
// the sim is fixed, or moto's divergence is pinned here.
func TestStateOnSimAndMoto(t *testing.T) {
	ctx := context.Background()
	const table = "e2e-state-differential"

	sim := awssim.New()
	if _, err := simenv.New(ctx, sim, region, config.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	onSim := storyOn(ctx, t, dynamodb.NewFromConfig(sim.Config(region)), simenv.TableName)

	db := dynamodb.NewFromConfig(harness())
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange},
		},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	onMoto := storyOn(ctx, t, db, table)

	differ := 0
	for i := range max(len(onSim), len(onMoto)) {
		if i >= len(onSim) || i >= len(onMoto) || onSim[i] != onMoto[i] {
			differ++
		}
	}
	if diff := cmp.Diff(onSim, onMoto); diff != "" {
		t.Errorf("shared/state's outcomes (-sim +moto):\n%s", diff)
	}
	for _, o := range onSim {
		if strings.Contains(o, ": error: ") {
			t.Errorf("the story itself failed on the sim: %s", o)
		}
	}
	t.Logf("outcomes on both:\n%s", strings.Join(onSim, "\n"))
	report.stateRan(stateRun{Backend: "the sim and moto's DynamoDB", Tests: len(onSim), Failed: differ, Took: time.Since(start)})
}

// storyOn runs the story on one table and returns each step's outcome.
func storyOn(ctx context.Context, t *testing.T, db *dynamodb.Client, table string) []string {
	t.Helper()
	now := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	advance := func(d time.Duration) { now = now.Add(d) }
	noSleep := func(context.Context, time.Duration) error { return nil }
	s := state.New(db, table, clock, state.WithSleep(noSleep))
	var out []string
	step := func(name string, v any, err error) {
		out = append(out, fmt.Sprintf("%s: %s", name, outcome(v, err)))
	}

	// Claims: exactly-once processing.
	c1, err := s.ClaimEvent(ctx, "f", "e1", "req-1", time.Minute)
	step("claim e1", c1 != nil, err)
	_, err = s.ClaimEvent(ctx, "f", "e1", "req-2", time.Minute)
	step("claim e1 again while held", nil, err)
	if c1 != nil {
		step("mark e1 done", nil, c1.Done(ctx))
	}
	advance(2 * time.Minute)
	_, err = s.ClaimEvent(ctx, "f", "e1", "req-3", time.Minute)
	step("claim e1 after done, past the lease", nil, err)
	c2, err := s.ClaimEvent(ctx, "f", "e2", "req-4", time.Minute)
	step("claim e2", c2 != nil, err)
	advance(2 * time.Minute)
	c2b, err := s.ClaimEvent(ctx, "f", "e2", "req-5", time.Minute)
	step("claim e2 once its lease lapsed (retry?)", c2b != nil && c2b.Retry, err)
	if c2b != nil {
		step("release e2", nil, c2b.Release(ctx))
	}
	c2c, err := s.ClaimEvent(ctx, "f", "e2", "req-6", time.Minute)
	step("claim e2 after release (retry?)", c2c != nil && c2c.Retry, err)
	_, err = s.TakeOver(ctx, "f", "e2", "req-7", "req-6", time.Minute)
	step("take e2 over from its holder", nil, err)
	q1, err := s.ClaimQuarantine(ctx, "f", "e3", "req-8", time.Minute)
	step("quarantine e3", q1 != nil, err)
	if q1 != nil {
		step("quarantine e3 done", nil, q1.Done(ctx))
	}
	_, err = s.ClaimQuarantine(ctx, "f", "e3", "req-9", time.Minute)
	step("quarantine e3 again", nil, err)

	// The rebalancer's ledger.
	ev := state.Evacuation{Group: "web", GroupARN: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/web",
		AZ: "us-east-1a", RemovedSubnets: []string{"subnet-a"}, OriginalSubnets: []string{"subnet-a", "subnet-b", "subnet-c"},
		OriginalMaxSize: 6, MaxSize: 8, Holders: []string{"health#1"}, EventID: "e1", CreatedAt: now}
	rec, created, err := s.RecordEvacuation(ctx, ev)
	step("record evacuation", fmt.Sprint(created, " ", rec.MaxSize), err)
	_, created, err = s.RecordEvacuation(ctx, ev)
	step("record the same evacuation again", created, err)
	held, err := s.HoldEvacuation(ctx, "web", "us-east-1a", "alarm#2")
	step("hold it with a second signal", held, err)
	evs, err := s.Evacuations(ctx, "web")
	step("evacuations", ledgerOf(evs), err)
	if len(evs) == 1 {
		step("clear evacuation", nil, s.ClearEvacuation(ctx, evs[0]))
	}
	evs, err = s.Evacuations(ctx, "web")
	step("evacuations after clearing", ledgerOf(evs), err)

	// The breaker.
	step("ensure breaker", nil, s.EnsureBreaker(ctx, now))
	step("count an evacuation", nil, s.CountEvacuation(ctx, state.BreakerEvacuation{At: now, Group: "web", AZ: "us-east-1a"}, time.Hour))
	opened, err := s.OpenBreaker(ctx, now.Add(time.Hour), "3 evacuations in an hour")
	step("open breaker", opened, err)
	opened, err = s.OpenBreaker(ctx, now.Add(time.Hour), "again")
	step("open breaker again", opened, err)
	b, err := s.LoadBreaker(ctx, time.Hour)
	step("load breaker", fmt.Sprint(b.Status, " ", b.Reason, " ", len(b.Evacuations)), err)
	closed, err := s.CloseBreaker(ctx)
	step("close breaker", closed, err)

	// Findings: conditional puts, the open-failures index in a transaction,
	// BatchGetItem.
	rf, err := s.LoadFindings(ctx, "arn:r1")
	step("load findings of a new resource", len(rf.Checks), err)
	stale := rf
	rf.Checks = map[string]state.CheckState{"VAULT_LOCK_PRESENT": {Status: "FAIL", Since: now, NotifiedAt: now, Open: true, First: now, Notified: 1, Severity: "HIGH", Summary: "no lock"}}
	step("save a new open failure", nil, s.SaveFindings(ctx, rf))
	stale.Checks = map[string]state.CheckState{"VAULT_LOCK_PRESENT": {Status: "PASS", Since: now}}
	step("save over it from a stale read", nil, s.SaveFindings(ctx, stale))
	open, err := s.OpenFailures(ctx)
	step("open failures", openOf(open), err)
	batch, err := s.LoadFindingsBatch(ctx, []string{"arn:r1", "arn:r2"})
	step("load findings in a batch", batchOf(batch), err)
	rf, err = s.LoadFindings(ctx, "arn:r1")
	step("load findings again", len(rf.Checks), err)
	rf.Checks["VAULT_LOCK_PRESENT"] = state.CheckState{Status: "PASS", Since: now}
	step("resolve it", nil, s.SaveFindings(ctx, rf))
	open, err = s.OpenFailures(ctx)
	step("open failures after resolving", openOf(open), err)

	// The outbox.
	k1, err := s.StashMessage(ctx, "e9", "first")
	step("stash a message", k1 != "", err)
	advance(time.Second)
	_, err = s.StashMessage(ctx, "e9", "second")
	step("stash another", nil, err)
	kept, err := s.StashedMessages(ctx, "e9")
	step("stashed messages", payloadsOf(kept), err)
	step("drop the first", nil, s.DropStashed(ctx, "e9", k1))
	kept, err = s.StashedMessages(ctx, "e9")
	step("stashed messages after the drop", payloadsOf(kept), err)

	// Expected copies.
	cp := state.ExpectedCopy{SourceRecoveryPointARN: "arn:rp1", DestinationVaultARN: "arn:dr", ResourceARN: "arn:table/orders",
		BackupJobID: "job-1", BackedUpAt: now, Deadline: now.Add(4 * time.Hour), RecordedAt: now}
	got, err := s.ExpectCopy(ctx, cp)
	step("expect a copy", got.Status, err)
	got, err = s.ExpectCopy(ctx, cp)
	step("expect it again", got.Status, err)
	advance(5 * time.Hour)
	overdue, err := s.OverdueCopies(ctx)
	step("overdue copies", len(overdue), err)
	marked, err := s.MarkCopyOverdue(ctx, "arn:rp1", "arn:dr")
	step("mark it overdue", marked, err)
	marked, err = s.MarkCopyOverdue(ctx, "arn:rp1", "arn:dr")
	step("mark it overdue again", marked, err)
	prev, changed, err := s.CloseCopy(ctx, "arn:rp1", "arn:dr", state.CopyCompleted, "copy-1", "arn:rp1-dr")
	step("close it", fmt.Sprint(prev.Status, " ", changed), err)
	_, changed, err = s.CloseCopy(ctx, "arn:rp1", "arn:dr", state.CopyCompleted, "copy-1", "arn:rp1-dr")
	step("close it again", changed, err)
	outstanding, err := s.OutstandingCopies(ctx)
	step("outstanding copies", len(outstanding), err)
	return out
}

// outcome is a step's result as both backends must give it: the value, or
// the kind of refusal (never an error text, which names the endpoint).
func outcome(v any, err error) string {
	var held *state.HeldError
	switch {
	case err == nil:
		if v == nil {
			return "ok"
		}
		return fmt.Sprintf("ok %v", v)
	case errors.Is(err, state.ErrAlreadyDone):
		return "refused: already done"
	case errors.Is(err, state.ErrInProgress), errors.As(err, &held):
		return "refused: held"
	case errors.Is(err, state.ErrConflict):
		return "refused: conflict"
	}
	return "error: " + err.Error()
}

func ledgerOf(evs []state.Evacuation) string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s/%s max %d holders %v subnets %v", e.Group, e.AZ, e.MaxSize, e.Holders, e.OriginalSubnets))
	}
	return "[" + strings.Join(out, "; ") + "]"
}

func openOf(fs []state.OpenFailure) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Check+" "+f.Resource+" "+f.Status+" "+f.Severity)
	}
	slices.Sort(out)
	return "[" + strings.Join(out, "; ") + "]"
}

func batchOf(m map[string]state.ResourceFindings) string {
	var out []string
	for r, f := range m {
		var checks []string
		for c, st := range f.Checks {
			checks = append(checks, c+"="+st.Status)
		}
		slices.Sort(checks)
		out = append(out, r+" "+strings.Join(checks, ","))
	}
	slices.Sort(out)
	return "[" + strings.Join(out, "; ") + "]"
}

func payloadsOf(kept []state.Stashed) []string {
	var out []string
	for _, k := range kept {
		out = append(out, k.Payload)
	}
	return out
}
