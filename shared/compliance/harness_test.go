package compliance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
)

const (
	region  = "us-east-1"
	account = awssim.DefaultAccountID
)

// harness is the backup-compliance function deployed on a simulated
// account: the real boundary, the real processor, real SDK clients.
type harness struct {
	t        testing.TB
	sim      *awssim.Sim
	env      *simenv.Env
	boundary *handler.Boundary
	logs     bytes.Buffer
	ctx      context.Context
	seq      int // event ids handed out by benchmarks
}

func newHarness(t testing.TB, p config.Policy, opts ...awssim.Option) *harness {
	t.Helper()
	h := &harness{t: t, sim: awssim.New(opts...), ctx: context.Background()}
	env, err := simenv.New(h.ctx, h.sim, region, p)
	if err != nil {
		t.Fatal(err)
	}
	h.env = env
	deps := env.Deps("backup-compliance", &h.logs)
	h.boundary = deps.Boundary(compliance.New(deps), compliance.Kinds...)
	return h
}

// deliver hands one raw event to the Lambda handler, as EventBridge would.
func (h *harness) deliver(raw []byte) error {
	return h.boundary.Handle(h.ctx, json.RawMessage(raw))
}

// mustDeliver delivers and fails the test on a returned error.
func (h *harness) mustDeliver(raw []byte) {
	h.t.Helper()
	if err := h.deliver(raw); err != nil {
		h.t.Fatalf("handler returned %v\nlogs:\n%s", err, h.logs.String())
	}
}

// document is the JSON every machine subscriber gets.
type document struct {
	Kind     notify.Kind      `json:"kind"`
	Status   notify.Status    `json:"status"`
	EventID  string           `json:"eventId"`
	Findings []notify.Finding `json:"findings"`
}

type sent struct {
	Subject    string
	Doc        document
	Email      string
	Attributes map[string]awssim.MessageAttribute
}

// published returns the notifications published so far.
func (h *harness) published() []sent {
	h.t.Helper()
	var out []sent
	for _, m := range h.sim.Published() {
		var structure map[string]string
		if err := json.Unmarshal([]byte(m.Message), &structure); err != nil {
			h.t.Fatalf("message is not a MessageStructure=json body: %v", err)
		}
		var doc document
		if err := json.Unmarshal([]byte(structure["default"]), &doc); err != nil {
			h.t.Fatalf("default message is not the JSON document: %v", err)
		}
		out = append(out, sent{Subject: m.Subject, Doc: doc, Email: structure["email"], Attributes: m.Attributes})
	}
	return out
}

// quarantined returns the reasons of the events on the dead-letter queue.
func (h *harness) quarantined() []string {
	var out []string
	for _, m := range h.sim.QueueMessages(h.env.Config.QueueURL) {
		out = append(out, m.Attributes["error_kind"].StringValue+": "+m.Attributes["reason"].StringValue)
	}
	return out
}

// logLine is the boundary's one log line per invocation.
type logLine struct {
	Status   string `json:"status"`
	Decision string `json:"decision"`
	Findings int    `json:"findings"`
	Failing  int    `json:"failing"`
	Notified int    `json:"notified"`
	Error    string `json:"error"`
}

// lastLog returns the last invocation's log line.
func (h *harness) lastLog() logLine {
	h.t.Helper()
	lines := bytes.Split(bytes.TrimSpace(h.logs.Bytes()), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		var l logLine
		if json.Unmarshal(lines[i], &l) == nil && l.Status != "" {
			return l
		}
	}
	h.t.Fatalf("no log line in:\n%s", h.logs.String())
	return logLine{}
}

// statuses maps check → status over a message's findings, for findings
// about resource (all when empty).
func statuses(fs []notify.Finding, resource string) map[string]notify.Status {
	out := map[string]notify.Status{}
	for _, f := range fs {
		if resource == "" || f.Resource == resource {
			out[f.Check] = f.Status
		}
	}
	return out
}

// event builds an EventBridge envelope around a detail, in the harness's
// account and region.
func event(id, detailType string, at time.Time, resources []string, detail any) []byte {
	d, err := json.Marshal(detail)
	if err != nil {
		panic(err)
	}
	if resources == nil {
		resources = []string{}
	}
	raw, err := json.Marshal(map[string]any{
		"version": "0", "id": id, "detail-type": detailType, "source": "aws.backup", "account": account,
		"time": at.UTC().Format(time.RFC3339), "region": region, "resources": resources, "detail": json.RawMessage(d),
	})
	if err != nil {
		panic(err)
	}
	return raw
}

// ---- a workload on the simulated account ----

// lockSpec is how a test vault is locked.
type lockSpec int

const (
	unlocked    lockSpec = iota
	governance           // no ChangeableForDays: removable at any time
	compliance3          // compliance mode with a 3-day grace time
)

func (h *harness) backupClient(region string) *backup.Client {
	return backup.NewFromConfig(h.sim.Config(region))
}

// vault creates a vault with a lock of min 7, max 365 days.
func (h *harness) vault(region, name string, lock lockSpec) string {
	h.t.Helper()
	c := h.backupClient(region)
	out, err := c.CreateBackupVault(h.ctx, &backup.CreateBackupVaultInput{BackupVaultName: aws.String(name)})
	if err != nil {
		h.t.Fatal(err)
	}
	if lock != unlocked {
		in := &backup.PutBackupVaultLockConfigurationInput{BackupVaultName: aws.String(name), MinRetentionDays: aws.Int64(7), MaxRetentionDays: aws.Int64(365)}
		if lock == compliance3 {
			in.ChangeableForDays = aws.Int64(3)
		}
		if _, err := c.PutBackupVaultLockConfiguration(h.ctx, in); err != nil {
			h.t.Fatal(err)
		}
	}
	return aws.ToString(out.BackupVaultArn)
}

// planSpec is a one-rule daily plan (05:00 UTC) in the harness's region.
type planSpec struct {
	vault      string   // target vault name
	copyTo     []string // destination vault ARNs
	retention  int64    // DeleteAfterDays; 35 when 0
	continuous bool
	resources  []string
}

type planIDs struct{ id, arn, ruleID string }

func (h *harness) plan(s planSpec) planIDs {
	h.t.Helper()
	c := h.backupClient(region)
	if s.retention == 0 {
		s.retention = 35
	}
	rule := backuptypes.BackupRuleInput{
		RuleName: aws.String("daily"), TargetBackupVaultName: aws.String(s.vault),
		ScheduleExpression:     aws.String("cron(0 5 ? * * *)"),
		Lifecycle:              &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(s.retention)},
		EnableContinuousBackup: aws.Bool(s.continuous),
	}
	for _, d := range s.copyTo {
		rule.CopyActions = append(rule.CopyActions, backuptypes.CopyAction{
			DestinationBackupVaultArn: aws.String(d), Lifecycle: &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(s.retention)},
		})
	}
	out, err := c.CreateBackupPlan(h.ctx, &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{
		BackupPlanName: aws.String("prod"), Rules: []backuptypes.BackupRuleInput{rule},
	}})
	if err != nil {
		h.t.Fatal(err)
	}
	got, err := c.GetBackupPlan(h.ctx, &backup.GetBackupPlanInput{BackupPlanId: out.BackupPlanId})
	if err != nil {
		h.t.Fatal(err)
	}
	_, err = c.CreateBackupSelection(h.ctx, &backup.CreateBackupSelectionInput{BackupPlanId: out.BackupPlanId, BackupSelection: &backuptypes.BackupSelection{
		SelectionName: aws.String("these"), IamRoleArn: aws.String("arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"),
		Resources: s.resources,
	}})
	if err != nil {
		h.t.Fatal(err)
	}
	return planIDs{id: aws.ToString(out.BackupPlanId), arn: aws.ToString(out.BackupPlanArn), ruleID: aws.ToString(got.BackupPlan.Rules[0].RuleId)}
}

// settleLocks lets compliance-mode grace times pass (3 days), then forgets
// the setup's events: the function is deployed after the account was set up.
func (h *harness) settleLocks() {
	h.sim.Advance(3*24*time.Hour + time.Minute)
	h.sim.DrainEvents()
}

// runBackups moves the clock to the next 05:00 UTC, when the plans run,
// and until every job and copy has ended.
func (h *harness) runBackups() {
	now := h.sim.Now()
	next := time.Date(now.Year(), now.Month(), now.Day(), 5, 0, 0, 0, time.UTC)
	if !next.After(now) {
		next = next.Add(24 * time.Hour)
	}
	h.sim.AdvanceTo(next.Add(time.Minute))
	h.sim.Settle(6 * time.Hour)
}

// bus is the account's default event bus in the harness's region with the
// function's rules: it delivers, in order, the emitted events the rule
// matches. deliver returns an error for the handler to retry.
type delivery struct {
	DetailType string
	Raw        []byte
}

func (h *harness) pending() []delivery {
	h.t.Helper()
	var out []delivery
	for _, e := range h.sim.DrainEvents() {
		if e.Region != region {
			continue // a rule only sees its own region's bus
		}
		if h.matches(e.JSON) {
			out = append(out, delivery{DetailType: e.DetailType, Raw: e.JSON})
		}
	}
	return out
}

// matches reports whether one of the function's rules matches the event.
func (h *harness) matches(raw []byte) bool {
	h.t.Helper()
	ps, err := events.Patterns()
	if err != nil {
		h.t.Fatal(err)
	}
	rules := 0
	for _, p := range ps {
		if p.Function != "backup-compliance" {
			continue
		}
		rules++
		c, err := eventbridge.CompilePattern(p.JSON)
		if err != nil {
			h.t.Fatal(err)
		}
		ok, err := c.Matches(raw)
		if err != nil {
			h.t.Fatal(err)
		}
		if ok {
			return true
		}
	}
	if rules == 0 {
		h.t.Fatal("no backup-compliance pattern in the catalogue")
	}
	return false
}

// deliverAll delivers what the bus has, retrying an event the handler
// returned an error for as Lambda's asynchronous invocation does (two
// retries), and returns what it delivered.
func (h *harness) deliverAll() []delivery {
	h.t.Helper()
	ds := h.pending()
	for _, d := range ds {
		var err error
		for range 3 {
			if err = h.deliver(d.Raw); err == nil {
				break
			}
		}
		if err != nil {
			h.t.Fatalf("%s failed three times: %v\nlogs:\n%s", d.DetailType, err, h.logs.String())
		}
	}
	return ds
}

// findings returns the last status of every (check, resource) across the
// notifications published so far.
func (h *harness) findings() map[string]notify.Status {
	out := map[string]notify.Status{}
	for _, m := range h.published() {
		for _, f := range m.Doc.Findings {
			out[f.Check+" "+f.Resource] = f.Status
		}
	}
	return out
}

// failing lists the checks published as FAIL (or WARN, ERROR) per
// resource.
func (h *harness) failing() map[string]notify.Status {
	out := map[string]notify.Status{}
	for k, st := range h.findings() {
		if st.Bad() {
			out[k] = st
		}
	}
	return out
}
