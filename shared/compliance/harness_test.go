package compliance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
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
