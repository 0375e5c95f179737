package awssim_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

// A member built on its own, in the past, takes the place of the
// organization's member of that id: the hub's role keys reach the new
// workload at once, and the hub's clock, not the build's, is the time.
func TestReplaceMemberKeepsTheOrganization(t *testing.T) {
	hub, _, _ := organizationOf(t)
	hub.Advance(24 * time.Hour)
	cfg := memberConfig(hub, memberA)
	createTable(t, cfg, "old-table")
	built := awssim.New(awssim.WithAccountID(memberA), awssim.WithStart(hub.Now().Add(-2*time.Hour)))
	createTable(t, built.Config("us-east-1"), "built-table")
	if err := hub.ReplaceMember(built); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"built-table"}, tables(t, cfg)); diff != "" {
		t.Errorf("tables through the member role after the replacement (-want +got):\n%s", diff)
	}
	if !built.Now().Equal(hub.Now()) {
		t.Errorf("replacement at %v, hub at %v", built.Now(), hub.Now())
	}

	ahead := awssim.New(awssim.WithAccountID(memberB), awssim.WithStart(hub.Now().Add(time.Hour)))
	stranger := awssim.New(awssim.WithAccountID("999999999999"), awssim.WithStart(hub.Now().Add(-time.Hour)))
	for name, err := range map[string]error{
		"a member ahead of the hub's clock": hub.ReplaceMember(ahead),
		"an account that is no member":      hub.ReplaceMember(stranger),
		"through a member, not the hub":     built.ReplaceMember(stranger),
	} {
		if err == nil {
			t.Errorf("%s was accepted", name)
		}
	}
}

// With a call observer every attempt is counted and observed, and none is
// kept; DropDynamoDBItems forgets what its predicate picks, no call made.
func TestObservedCallsAndDroppedItems(t *testing.T) {
	var seen []string
	sim := awssim.New(awssim.WithCallObserver(func(c awssim.Call) { seen = append(seen, c.Operation) }))
	cfg := sim.Config("us-east-1")
	createTable(t, cfg, "items")
	ctx := context.Background()
	ddb := dynamodb.NewFromConfig(cfg)
	for _, pk := range []string{"keep#1", "drop#1", "drop#2"} {
		_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"), Item: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	n := sim.CallCount()
	dropped := sim.DropDynamoDBItems("us-east-1", "items", func(key map[string]ddbtypes.AttributeValue) bool {
		pk, _ := key["pk"].(*ddbtypes.AttributeValueMemberS)
		return pk != nil && pk.Value[:5] == "drop#"
	})
	if dropped != 2 || sim.CallCount() != n {
		t.Errorf("dropped %d items with %d calls, want 2 with none", dropped, sim.CallCount()-n)
	}
	out, err := ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("items")})
	if err != nil || len(out.Items) != 1 {
		t.Errorf("items left: %v, %v; want keep#1 alone", out, err)
	}
	if diff := cmp.Diff([]string{"CreateTable", "PutItem", "PutItem", "PutItem", "Scan"}, seen); diff != "" {
		t.Errorf("observed calls (-want +got):\n%s", diff)
	}
	if sim.CallCount() != len(seen) || len(sim.Calls()) != 0 {
		t.Errorf("CallCount %d, log %d entries; want %d counted, none kept", sim.CallCount(), len(sim.Calls()), len(seen))
	}
}
