package orgtasks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/orgsweep"
	"github.com/selfheal/selfheal/shared/orgtasks"
)

const (
	region    = "eu-west-1"
	orgID     = "o-a1b2c3d4e5"
	memberA   = "111111111111" // in the member OU, an unlocked vault
	memberB   = "222222222222" // in an OU under it
	memberC   = "333333333333" // listed by id, under the root, no member role
	suspended = "444444444444" // in the member OU, suspended
	outside   = "555555555555" // in the organization, not in scope
)

// org is a hub deployment of the organization sweep on the sim.
type org struct {
	t    *testing.T
	hub  *awssim.Sim
	m    map[string]*awssim.Sim
	h    *orgtasks.Handler
	def  string
	log  bytes.Buffer
	reqs int
}

func newOrg(t *testing.T) *org {
	t.Helper()
	ctx := context.Background()
	o := &org{t: t, hub: awssim.New(awssim.WithRegions(region)), m: map[string]*awssim.Sim{}}
	for _, id := range []string{memberA, memberB, memberC, suspended, outside} {
		o.m[id] = o.hub.AddMember(id)
	}
	root := o.hub.CreateOrganization(orgID)
	ou := must(o.hub.CreateOU(root, "workloads"))
	prod := must(o.hub.CreateOU(ou, "prod"))
	for id, parent := range map[string]string{memberA: ou, memberB: prod, suspended: ou} {
		if err := o.hub.MoveAccount(id, parent); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.hub.SetAccountState(suspended, orgtypes.AccountStateSuspended); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{memberA, memberB, suspended, outside} {
		o.m[id].CreateRole("selfheal-member", awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(o.hub.AccountID())}, OrgID: orgID})
	}
	_, err := backup.NewFromConfig(o.m[memberA].Config(region)).CreateBackupVault(ctx, &backup.CreateBackupVaultInput{BackupVaultName: aws.String("unlocked")})
	if err != nil {
		t.Fatal(err)
	}
	env, err := simenv.New(ctx, o.hub, region, config.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultOrganization()
	cfg.ID, cfg.MemberOUs, cfg.MemberAccounts, cfg.Regions = orgID, []string{ou}, []string{memberC}, []string{region}
	env.Config.Organization = &cfg
	deps := env.Deps("org-sweep", &o.log)
	if o.h, err = orgtasks.New(deps, organizations.NewFromConfig(o.hub.Config(region))); err != nil {
		t.Fatal(err)
	}
	fn := "arn:aws:lambda:" + region + ":" + o.hub.AccountID() + ":function:selfheal-org-sweep"
	if o.def, err = orgsweep.Definition(orgsweep.Tasks{ListAccounts: fn, SweepAccount: fn, Aggregate: fn}, cfg); err != nil {
		t.Fatal(err)
	}
	return o
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// run executes the state machine, its tasks invoking the function as
// Step Functions does: synchronously, each with its own request id.
func (o *org) run(name string) *orgsweep.Execution {
	o.t.Helper()
	return o.runOf(name, name)
}

// runOf executes the state machine named name, started by the scheduled
// event eventID.
func (o *org) runOf(name, eventID string) *orgsweep.Execution {
	o.t.Helper()
	rt := orgsweep.Runtime{
		Now: o.hub.Now, Sleep: o.hub.Sleep,
		Invoke: func(ctx context.Context, fn string, payload []byte) ([]byte, error) {
			o.reqs++
			ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("req-%d", o.reqs), InvokedFunctionArn: fn})
			return o.h.Handle(ctx, payload)
		},
	}
	event := `{"id":"` + eventID + `","detail-type":"Scheduled Event","source":"aws.events","account":"` + o.hub.AccountID() +
		`","region":"` + region + `","time":"2026-11-02T03:00:00Z","resources":[],"detail":{}}`
	ex, err := orgsweep.Execute(context.Background(), rt, o.def, name, []byte(event))
	if err != nil {
		o.t.Fatal(err)
	}
	if ex.Status != orgsweep.StatusSucceeded {
		o.t.Fatalf("execution %s: %s %s", name, ex.Error, ex.Cause)
	}
	return ex
}

// messages are the notifications published since from.
func (o *org) messages(from int) []notify.Message {
	var out []notify.Message
	for _, m := range o.hub.Published()[from:] {
		var parts struct{ Default string }
		var doc notify.Message
		if json.Unmarshal([]byte(m.Message), &parts) != nil || json.Unmarshal([]byte(parts.Default), &doc) != nil {
			o.t.Fatalf("not a selfheal message: %s", m.Message)
		}
		doc.Headline = m.Subject
		out = append(out, doc)
	}
	return out
}

func digests(ms []notify.Message) []notify.Message {
	return slices.DeleteFunc(slices.Clone(ms), func(m notify.Message) bool { return m.Kind != notify.KindDigest })
}

func memberRoleNews(ms []notify.Message) []string {
	var out []string
	for _, m := range ms {
		for _, f := range m.Findings {
			if f.Check == handler.CheckMemberRole {
				out = append(out, string(m.Kind)+" "+f.Account+" "+string(f.Status))
			}
		}
	}
	return out
}

func coverage(d *notify.Digest) map[string]string {
	out := map[string]string{}
	for _, a := range d.Accounts {
		out[a.Account+" "+a.Region] = a.Coverage
	}
	return out
}

// One run sweeps the hub and every ACTIVE member in scope (nested OUs
// included), names the suspended account as skipped and the member whose
// role cannot be assumed as not covered — reported once through the
// dedupe, not at every run — and sends one digest that is never "all
// clear" while an account is missing. Once the role exists, the next run
// is complete and the role's recovery said once.
func TestOrganizationSweep(t *testing.T) {
	o := newOrg(t)
	ex := o.run("run-1")
	if m := ex.Maps[0]; m.Items != 4 || m.Succeeded != 4 {
		t.Fatalf("map %+v: want the hub and members A, B, C swept", m)
	}
	ms := o.messages(0)
	ds := digests(ms)
	if len(ds) != 1 {
		t.Fatalf("%d digests, want 1", len(ds))
	}
	d := ds[0].Digest
	want := map[string]string{
		o.hub.AccountID() + " " + region: orgtasks.CoverageSwept,
		memberA + " " + region:           orgtasks.CoverageSwept,
		memberB + " " + region:           orgtasks.CoverageSwept,
		memberC + " " + region:           orgtasks.CoverageNotAssumable,
	}
	if diff := cmp.Diff(want, coverage(d)); diff != "" {
		t.Errorf("coverage (-want +got):\n%s", diff)
	}
	if d.Complete || !strings.HasPrefix(ds[0].Headline, "[selfheal] INCOMPLETE organization sweep") {
		t.Errorf("digest %q complete=%v with member C not covered", ds[0].Headline, d.Complete)
	}
	if len(d.NotCovered) != 1 || !strings.Contains(d.NotCovered[0], memberC) || !strings.Contains(d.NotCovered[0], "not assumable") {
		t.Errorf("not covered: %q; want member C and why", d.NotCovered)
	}
	if !slices.Contains(d.Covered, "skipped "+suspended+": account suspended") {
		t.Errorf("covered: %q; want the suspended account named as skipped", d.Covered)
	}
	if got := d.Counts[compliance.CheckVaultLockPresent][notify.StatusFail]; got != 1 {
		t.Errorf("VAULT_LOCK_PRESENT FAIL counted %d times, want member A's vault once", got)
	}
	// Open: A's vault, and C's role.
	for _, a := range d.Accounts {
		wantFailing, wantOpen := 0, 0
		switch a.Account {
		case memberA:
			wantFailing, wantOpen = 1, 1
		case memberC:
			wantOpen = 1
		}
		if a.Failing[compliance.CheckVaultLockPresent] != wantFailing || a.Open != wantOpen {
			t.Errorf("account %s: failing %v, open %d; want %d and %d", a.Account, a.Failing, a.Open, wantFailing, wantOpen)
		}
	}
	if diff := cmp.Diff([]string{"findings " + memberC + " FAIL"}, memberRoleNews(ms)); diff != "" {
		t.Errorf("member role news (-want +got):\n%s", diff)
	}
	for _, id := range []string{suspended, outside} {
		if n := o.m[id].CallCount(); n != 0 {
			t.Errorf("account %s, not swept, got %d calls", id, n)
		}
	}

	// Again: the role is still missing, nothing new to say about it.
	from := len(o.hub.Published())
	o.run("run-2")
	if news := memberRoleNews(o.messages(from)); len(news) != 0 {
		t.Errorf("member role reported again: %v", news)
	}

	// The member stack reaches C.
	o.m[memberC].CreateRole("selfheal-member", awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(o.hub.AccountID())}, OrgID: orgID})
	from = len(o.hub.Published())
	o.run("run-3")
	ms = o.messages(from)
	d = digests(ms)[0].Digest
	if !d.Complete || coverage(d)[memberC+" "+region] != orgtasks.CoverageSwept {
		t.Errorf("run 3 not complete: %q, coverage %v", d.NotCovered, coverage(d))
	}
	if want := "[selfheal] Organization sweep eu-west-1, 4 account-regions: 1 FAIL open, 0 new"; digests(ms)[0].Headline != want {
		t.Errorf("headline %q, want %q", digests(ms)[0].Headline, want)
	}
	if diff := cmp.Diff([]string{"resolved " + memberC + " PASS"}, memberRoleNews(ms)); diff != "" {
		t.Errorf("member role news (-want +got):\n%s", diff)
	}
}

// A sweep that keeps failing is retried once, then recorded with its
// error; the digest names it, and the run still ends with the digest.
func TestOrganizationSweepNamesAFailedAccount(t *testing.T) {
	o := newOrg(t)
	o.hub.InjectFault(awssim.Fault{Service: awssim.ServiceDynamoDB, Operation: "PutItem", Code: "AccessDeniedException", Count: 2,
		Input: func(in any) bool {
			p, ok := in.(*dynamodb.PutItemInput)
			if !ok {
				return false
			}
			sk, _ := p.Item["sk"].(*ddbtypes.AttributeValueMemberS)
			return sk != nil && strings.HasPrefix(sk.Value, "result#"+memberB)
		}})
	ex := o.run("run-1")
	m := ex.Maps[0]
	if m.Failed != 1 || m.Succeeded != 3 {
		t.Fatalf("map %+v: want B's sweep failed, the other 3 swept", m)
	}
	d := digests(o.messages(0))[0].Digest
	if got := coverage(d)[memberB+" "+region]; got != orgtasks.CoverageFailed {
		t.Errorf("B's coverage %s, want FAILED", got)
	}
	var named bool
	for _, n := range d.NotCovered {
		named = named || (strings.Contains(n, memberB) && strings.Contains(n, "AccessDeniedException"))
	}
	if !named || d.Complete {
		t.Errorf("not covered %q: want B named with its error", d.NotCovered)
	}
}

// A list that cannot be made (the hub lost its Organizations access) is
// retried, then the digest still goes out and says nothing was swept.
func TestOrganizationSweepDigestsAFailedList(t *testing.T) {
	o := newOrg(t)
	o.hub.InjectFault(awssim.Fault{Service: awssim.ServiceOrganizations, Code: "AccessDeniedException", Probability: 1})
	ex := o.run("run-1")
	if len(ex.Maps) != 0 {
		t.Fatalf("the map ran without a list: %+v", ex.Maps)
	}
	ds := digests(o.messages(0))
	if len(ds) != 1 {
		t.Fatalf("%d digests, want 1", len(ds))
	}
	d := ds[0].Digest
	if d.Complete || len(d.NotCovered) == 0 || !strings.Contains(d.NotCovered[0], "could not be listed") ||
		!strings.Contains(d.NotCovered[0], "AccessDeniedException") {
		t.Errorf("digest %q: not covered %q; want the list's failure named", ds[0].Headline, d.NotCovered)
	}
}

// EventBridge may deliver the schedule's event twice, starting two
// executions: the second sweeps nothing and sends no digest.
func TestOrganizationSweepRunsOncePerScheduledEvent(t *testing.T) {
	o := newOrg(t)
	o.runOf("run-1", "event-1")
	calls := o.hub.CallCount()
	from := len(o.hub.Published())
	second := o.runOf("run-2", "event-1")
	if m := second.Maps[0]; m.Items != 0 {
		t.Errorf("the second delivery's run swept %d account-regions", m.Items)
	}
	if ms := o.messages(from); len(ms) != 0 {
		t.Errorf("the second delivery's run sent %d messages", len(ms))
	}
	if n := o.hub.CallCount() - calls; n > 6 {
		t.Errorf("the second delivery's run made %d calls, want the few that tell it is a duplicate", n)
	}
	// A later schedule is a run of its own.
	o.runOf("run-3", "event-2")
	if ds := digests(o.messages(from)); len(ds) != 1 {
		t.Errorf("%d digests after the next schedule, want 1", len(ds))
	}
}
