package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
)

const (
	memberOK     = "111111111111"
	memberNoRole = "222222222222"
	orgID        = "o-a1b2c3d4e5"
)

// tablesSeen is a processor that lists the tables of the account it acts
// in, to show which account that is.
type tablesSeen struct {
	d    handler.Deps
	mu   *sync.Mutex
	seen *[]string
}

func (p tablesSeen) Process(ctx context.Context, ev eventbridge.Event) (handler.Outcome, error) {
	out, err := dynamodb.NewFromConfig(p.d.AWS).ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		return handler.Outcome{}, err
	}
	p.mu.Lock()
	*p.seen = append(*p.seen, ev.Envelope.AccountID+": "+strings.Join(out.TableNames, ","))
	p.mu.Unlock()
	return handler.Outcome{Decision: "listed"}, nil
}

type hub struct {
	sim  *awssim.Sim
	env  *simenv.Env
	b    *handler.Boundary
	seen []string
}

// newHub is a hub deployment of an organization with two members: one
// whose member role trusts the hub's functions, one without the role.
func newHub(t *testing.T) *hub {
	t.Helper()
	sim := awssim.New()
	ok := sim.AddMember(memberOK)
	sim.AddMember(memberNoRole)
	sim.CreateOrganization(orgID)
	ok.CreateRole("selfheal-member", awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(sim.AccountID())}, OrgID: orgID})
	for _, s := range []*awssim.Sim{sim, ok} {
		_, err := dynamodb.NewFromConfig(s.Config("us-east-1")).CreateTable(context.Background(), &dynamodb.CreateTableInput{
			TableName: aws.String("orders-" + s.AccountID()), BillingMode: ddbtypes.BillingModePayPerRequest,
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	env, err := simenv.New(context.Background(), sim, "us-east-1", config.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	org := config.DefaultOrganization()
	org.ID, org.MemberAccounts, org.Regions = orgID, []string{memberOK, memberNoRole}, []string{"us-east-1"}
	env.Config.Organization = &org
	h := &hub{sim: sim, env: env}
	var mu sync.Mutex
	deps := env.Deps("backup-compliance", &bytes.Buffer{})
	h.b = deps.BoundaryFor(func(d handler.Deps) handler.Processor { return tablesSeen{d: d, mu: &mu, seen: &h.seen} }, eventbridge.KindBackupJob)
	return h
}

// deliver hands the hub's function the sample backup job event as if it
// came from account, with a new id.
func (h *hub) deliver(t *testing.T, account, id string) error {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(mustSample(completedJob), &ev); err != nil {
		t.Fatal(err)
	}
	ev["account"], ev["id"] = account, id
	raw, _ := json.Marshal(ev)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID: "req-" + id, InvokedFunctionArn: "arn:aws:lambda:us-east-1:" + h.sim.AccountID() + ":function:selfheal-backup-compliance",
	})
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return h.b.Handle(ctx, raw)
}

func (h *hub) memberRoleNews() []string {
	var out []string
	for _, m := range h.sim.Published() {
		var parts struct{ Default string }
		var doc notify.Message
		if json.Unmarshal([]byte(m.Message), &parts) != nil || json.Unmarshal([]byte(parts.Default), &doc) != nil {
			continue
		}
		for _, f := range doc.Findings {
			if f.Check == handler.CheckMemberRole {
				out = append(out, string(doc.Kind)+" "+f.Account+" "+string(f.Status))
			}
		}
	}
	return out
}

// A hub acts in the account an event comes from: its own events with its
// own clients, a member's through the member role. A member it cannot act
// in is reported once and its events quarantined with the reason; once
// the role is there, the next event is handled and the recovery said.
func TestHubActsInTheEventsAccount(t *testing.T) {
	h := newHub(t)
	for i, account := range []string{h.sim.AccountID(), memberOK, memberOK} {
		if err := h.deliver(t, account, "e-"+string(rune('a'+i))); err != nil {
			t.Fatalf("event of %s: %v", account, err)
		}
	}
	want := []string{
		h.sim.AccountID() + ": orders-" + h.sim.AccountID() + ",selfheal-state",
		memberOK + ": orders-" + memberOK,
		memberOK + ": orders-" + memberOK,
	}
	if diff := cmp.Diff(want, h.seen); diff != "" {
		t.Errorf("what each event's processor saw (-want +got):\n%s", diff)
	}

	for _, id := range []string{"n-1", "n-2", "n-3"} {
		if err := h.deliver(t, memberNoRole, id); err != nil {
			t.Fatalf("event of a member without the role: %v; it must be quarantined, not retried", err)
		}
	}
	q := h.sim.QueueMessages(h.env.Config.QueueURL)
	if len(q) != 3 || q[0].Attributes["error_kind"].StringValue != handler.KindUnprocessed ||
		!strings.Contains(q[0].Attributes["reason"].StringValue, "cannot act in account "+memberNoRole) {
		t.Errorf("dead-letter queue: %d messages, first %+v", len(q), q[0].Attributes)
	}
	m, _ := h.sim.Member(memberNoRole)
	m.CreateRole("selfheal-member", awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(h.sim.AccountID())}, OrgID: orgID})
	if err := h.deliver(t, memberNoRole, "n-4"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"findings " + memberNoRole + " FAIL", "resolved " + memberNoRole + " PASS"}, h.memberRoleNews()); diff != "" {
		t.Errorf("member role news (-want +got): once when it fails, once when it recovers:\n%s", diff)
	}
	if got := h.seen[len(h.seen)-1]; got != memberNoRole+": " {
		t.Errorf("the recovered member's event was seen as %q", got)
	}
}

// An account outside the organization cannot be acted in: its event is
// quarantined, never processed with the hub's own clients.
func TestHubQuarantinesAccountsOutsideTheOrganization(t *testing.T) {
	h := newHub(t)
	if err := h.deliver(t, "999999999999", "x-1"); err != nil {
		t.Fatal(err)
	}
	if len(h.seen) != 0 {
		t.Errorf("processed an outsider's event: %v", h.seen)
	}
	if q := h.sim.QueueMessages(h.env.Config.QueueURL); len(q) != 1 {
		t.Errorf("%d messages in the dead-letter queue, want the outsider's event", len(q))
	}
}
