package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/rebalance"
	"github.com/selfheal/selfheal/shared/state"
	"github.com/selfheal/selfheal/shared/sweep"
)

// Least privilege must not break production: every SDK call a function can
// make — every method of the consumer-owned client interfaces it is built
// from — is granted to its role, and nothing it never calls is. The
// simulated account does not enforce IAM, so this is where a missing grant
// is caught before a deploy.
func TestGrantsAreExactlyTheCalls(t *testing.T) {
	shared := []reflect.Type{
		reflect.TypeFor[state.DynamoDBAPI](), // claims, dedupe, copies, outbox
		reflect.TypeFor[notify.SNSAPI](),
		reflect.TypeFor[handler.SQSAPI](), // quarantine
	}
	uses := map[string][]reflect.Type{
		"asg-rebalancer": {
			reflect.TypeFor[rebalance.AutoScaling](), reflect.TypeFor[rebalance.EC2](),
			reflect.TypeFor[rebalance.Health](), reflect.TypeFor[rebalance.CloudWatch](),
			reflect.TypeFor[rebalance.ZonalShift](),
		},
		"backup-compliance": {
			reflect.TypeFor[compliance.BackupAPI](), reflect.TypeFor[compliance.DynamoDBAPI](), reflect.TypeFor[compliance.RDSAPI](),
		},
		"compliance-sweep": {
			reflect.TypeFor[sweep.BackupAPI](), reflect.TypeFor[sweep.DynamoDBAPI](),
			reflect.TypeFor[sweep.RDSAPI](), reflect.TypeFor[sweep.AutoScalingAPI](),
		},
	}
	// Grants that serve no interface method: the KMS data key a publisher
	// to the encrypted topic needs, and the rebalancer's never-read state
	// items (it does not report findings, so no BatchGetItem).
	extra := []string{"kms:GenerateDataKey", "kms:Decrypt"}
	for fn, ifaces := range uses {
		t.Run(fn, func(t *testing.T) {
			calls := map[string]bool{}
			for _, it := range append(slices.Clone(ifaces), shared...) {
				for i := range it.NumMethod() {
					m := it.Method(i)
					call := service(t, m.Type) + ":" + m.Name
					for _, a := range underlying(call) {
						calls[a] = true
					}
				}
			}
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
