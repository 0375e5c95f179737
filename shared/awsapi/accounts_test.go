package awsapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/awssim"
)

const member = "111111111111"

func assumeRoleCalls(sim *awssim.Sim, since int) int {
	n := 0
	for _, c := range sim.CallsSince(since) {
		if c.Service == awssim.ServiceSTS && c.Operation == "AssumeRole" && c.Err == nil {
			n++
		}
	}
	return n
}

// A hub function acts in a member through the member role: one AssumeRole
// for as long as the credentials last, whatever the number of clients and
// calls; a new one when they are about to expire.
func TestAccountsActInTheMemberWithCachedCredentials(t *testing.T) {
	ctx := context.Background()
	hub := awssim.New()
	m := hub.AddMember(member)
	hub.CreateOrganization("o-a1b2c3d4e5")
	m.CreateRole("selfheal-member", awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(hub.AccountID())}, OrgID: "o-a1b2c3d4e5"})
	_, err := dynamodb.NewFromConfig(m.Config("eu-west-1")).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("orders"), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	accounts := awsapi.NewAccounts(hub.Config("us-east-1"), "selfheal-member", "selfheal-test", hub.Now)
	if got := accounts.RoleARN(member); got != "arn:aws:iam::"+member+":role/selfheal-member" {
		t.Errorf("role ARN %s", got)
	}
	before := hub.CallCount()
	if err := accounts.Check(ctx, member); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		out, err := dynamodb.NewFromConfig(accounts.Config(member, "eu-west-1")).ListTables(ctx, &dynamodb.ListTablesInput{})
		if err != nil || len(out.TableNames) != 1 || out.TableNames[0] != "orders" {
			t.Fatalf("the member's tables in eu-west-1: %v, %v", out, err)
		}
	}
	if n := assumeRoleCalls(hub, before); n != 1 {
		t.Errorf("%d AssumeRole calls for six uses, want 1", n)
	}
	hub.Advance(2 * time.Hour)
	if _, err := dynamodb.NewFromConfig(accounts.Config(member, "eu-west-1")).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("after the first credentials expired: %v", err)
	}
	if n := assumeRoleCalls(hub, before); n != 2 {
		t.Errorf("%d AssumeRole calls after expiry, want 2 (refreshed once)", n)
	}
}

// A member selfheal cannot act in is a *NotAssumableError: a role deleted,
// or an account outside the organization.
func TestAccountsNotAssumable(t *testing.T) {
	ctx := context.Background()
	hub := awssim.New()
	m := hub.AddMember(member)
	hub.CreateOrganization("o-a1b2c3d4e5")
	m.CreateRole("other-role", awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(hub.AccountID())}})
	accounts := awsapi.NewAccounts(hub.Config("us-east-1"), "selfheal-member", "selfheal-test", hub.Now)
	for _, account := range []string{member, "999999999999"} {
		err := accounts.Check(ctx, account)
		var na *awsapi.NotAssumableError
		if !errors.As(err, &na) || na.Account != account {
			t.Errorf("account %s: %v, want NotAssumableError", account, err)
		}
	}
}
