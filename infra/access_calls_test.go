package main

import (
	"reflect"

	"github.com/google/go-cmp/cmp"
	"slices"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/orgtasks"
	"github.com/selfheal/selfheal/shared/rebalance"
	"github.com/selfheal/selfheal/shared/state"
	"github.com/selfheal/selfheal/shared/sweep"
)

// hubSide are the client interfaces every function uses on the hub's own
// resources: its state table, topic and queue, never a member account's.
var hubSide = []reflect.Type{
	reflect.TypeFor[state.DynamoDBAPI](), // claims, dedupe, copies, outbox
	reflect.TypeFor[notify.SNSAPI](),
	reflect.TypeFor[handler.SQSAPI](), // quarantine
}

// uses are the client interfaces each function is built from that act on
// the account an event or a sweep is about: its own in a single account, a
// member's (through the member role) in an organization.
var uses = map[string][]reflect.Type{
	"asg-rebalancer": {
		reflect.TypeFor[rebalance.AutoScaling](), reflect.TypeFor[rebalance.EC2](),
		reflect.TypeFor[rebalance.Health](), reflect.TypeFor[rebalance.CloudWatch](),
		reflect.TypeFor[rebalance.ZonalShift](),
	},
	"backup-compliance": {
		reflect.TypeFor[compliance.BackupAPI](), reflect.TypeFor[compliance.DynamoDBAPI](), reflect.TypeFor[compliance.RDSAPI](),
	},
	"compliance-sweep": sweepUses,
	// Each child of the organization sweep is one account-region of the
	// compliance sweep.
	"org-sweep": sweepUses,
}

var sweepUses = []reflect.Type{
	reflect.TypeFor[sweep.BackupAPI](), reflect.TypeFor[sweep.DynamoDBAPI](),
	reflect.TypeFor[sweep.RDSAPI](), reflect.TypeFor[sweep.AutoScalingAPI](),
}

// orgSide are the client interfaces a function of an organization's hub
// uses on the organization itself: org-sweep lists its accounts.
var orgSide = map[string][]reflect.Type{
	"org-sweep": {reflect.TypeFor[orgtasks.OrganizationsAPI]()},
}

// In an organization every hub function acts in a member account as the
// member role (shared/awsapi.Accounts assumes it): that, and nothing more,
// is what inOrganization adds to each role.
func TestOrganizationGrantIsAssumeRole(t *testing.T) {
	calls := callsOf(t, reflect.TypeFor[awsapi.STSAPI]())
	granted := map[string]bool{}
	for _, g := range inOrganization {
		for _, a := range g.actions {
			granted[a] = true
		}
	}
	if diff := cmp.Diff(calls, granted); diff != "" {
		t.Errorf("inOrganization's actions (-calls of awsapi.STSAPI +granted):\n%s", diff)
	}
}

// callsOf is every IAM action behind the methods of the interfaces.
func callsOf(t *testing.T, ifaces ...reflect.Type) map[string]bool {
	t.Helper()
	calls := map[string]bool{}
	for _, it := range ifaces {
		for i := range it.NumMethod() {
			m := it.Method(i)
			for _, a := range underlying(service(t, m.Type) + ":" + m.Name) {
				calls[a] = true
			}
		}
	}
	return calls
}

// Least privilege must not break production: every SDK call a function can
// make — every method of the consumer-owned client interfaces it is built
// from — is granted to its role, and nothing it never calls is. The
// simulated account does not enforce IAM, so this is where a missing grant
// is caught before a deploy.
func TestGrantsAreExactlyTheCalls(t *testing.T) {
	// Grants that serve no interface method: the KMS data key a publisher
	// to the encrypted topic needs, and the rebalancer's never-read state
	// items (it does not report findings, so no BatchGetItem).
	extra := []string{"kms:GenerateDataKey", "kms:Decrypt"}
	for _, f := range functions {
		fn := f.name
		t.Run(fn, func(t *testing.T) {
			calls := callsOf(t, append(append(slices.Clone(uses[fn]), hubSide...), orgSide[fn]...)...)
			granted := map[string]bool{}
			for _, g := range access[fn] {
				for _, a := range g.actions {
					granted[a] = true
				}
			}
			for c := range calls {
				if !granted[c] && !(fn == "asg-rebalancer" && c == "dynamodb:BatchGetItem") {
					t.Errorf("%s calls %s but its role is not granted it", fn, c)
				}
			}
			for a := range granted {
				if !calls[a] && !slices.Contains(extra, a) {
					t.Errorf("%s is granted %s but never calls it", fn, a)
				}
			}
		})
	}
}

// The tag the restored-table grant is conditioned on is the one the
// compliance function knows restored resources by.
func TestRestoreTestTagIsCompliances(t *testing.T) {
	if restoreTestTag != compliance.RestoreTestTag {
		t.Errorf("infra conditions on %q, shared/compliance knows %q", restoreTestTag, compliance.RestoreTestTag)
	}
}

// Least privilege across the account boundary: the member role may make
// exactly the calls the hub's functions make in a member account — the
// methods of their account-side interfaces — and none of the hub's own
// (state, topic, queue, the organization), which its functions make with
// their own roles.
func TestMemberRoleGrantsAreExactlyTheMemberCalls(t *testing.T) {
	s := synthOrganization(t).settings
	want := map[string]bool{}
	for _, f := range deployed(s) {
		for c := range callsOf(t, uses[f.name]...) {
			want[c] = true
		}
	}
	got := map[string]bool{}
	for _, g := range memberGrants(s) {
		for _, a := range g.actions {
			got[a] = true
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("member role actions (-calls in a member account +granted):\n%s", diff)
	}
	for c := range callsOf(t, hubSide...) {
		if got[c] {
			t.Errorf("the member role may %s, a call on the hub's own resources", c)
		}
	}
}

// iamPrefix is the IAM service prefix of an SDK package whose name is not
// it.
var iamPrefix = map[string]string{"arczonalshift": "arc-zonal-shift"}

// underlying is what IAM checks for an SDK call: its own action, except
// for DynamoDB transactions, whose actions are governed by the item
// actions they carry (state's transactions put and delete items).
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
func underlying(call string) []string {
	if call == "dynamodb:TransactWriteItems" {
		return []string{"dynamodb:PutItem", "dynamodb:DeleteItem"}
	}
	return []string{call}
}

// service is the IAM prefix of an SDK method: the package of its input,
// github.com/aws/aws-sdk-go-v2/service/<package>, or iamPrefix's name.
func service(t *testing.T, method reflect.Type) string {
	t.Helper()
	for i := range method.NumIn() {
		in := method.In(i)
		if in.Kind() == reflect.Pointer && strings.HasSuffix(in.Elem().Name(), "Input") {
			pkg := in.Elem().PkgPath()[strings.LastIndex(in.Elem().PkgPath(), "/")+1:]
			if p, ok := iamPrefix[pkg]; ok {
				return p
			}
			return pkg
		}
	}
	t.Fatalf("method %s has no *Input parameter", method)
	return ""
}
