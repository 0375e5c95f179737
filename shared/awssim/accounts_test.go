package awssim_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

const (
	memberA = "111111111111"
	memberB = "222222222222"
	orgID   = "o-a1b2c3d4e5"
)

// organizationOf is a hub with two linked members, an organization over
// them, and in each member a role the hub's functions may assume.
func organizationOf(t *testing.T) (hub, a, b *awssim.Sim) {
	t.Helper()
	hub = awssim.New()
	a, b = hub.AddMember(memberA), hub.AddMember(memberB)
	hub.CreateOrganization(orgID)
	for _, m := range []*awssim.Sim{a, b} {
		m.CreateRole("selfheal-member", awssim.RoleTrust{Principals: []string{awssim.DefaultPrincipal(hub.AccountID())}, OrgID: orgID})
	}
	return hub, a, b
}

// memberConfig is the hub's configuration acting in account through its
// selfheal-member role, as shared/awsapi builds it.
func memberConfig(hub *awssim.Sim, account string) aws.Config {
	cfg := hub.Config("us-east-1")
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(hub.Config("us-east-1")),
		fmt.Sprintf("arn:aws:iam::%s:role/selfheal-member", account)))
	return cfg
}

func createTable(t *testing.T, cfg aws.Config, name string) {
	t.Helper()
	_, err := dynamodb.NewFromConfig(cfg).CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func tables(t *testing.T, cfg aws.Config) []string {
	t.Helper()
	out, err := dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	return out.TableNames
}

// A call signed with a member role's keys is answered in that member's
// account, on the hub's clock.
func TestAssumedRoleActsInTheMember(t *testing.T) {
	ctx := context.Background()
	hub, a, b := organizationOf(t)
	createTable(t, hub.Config("us-east-1"), "hub-table")
	createTable(t, a.Config("us-east-1"), "a-table")
	createTable(t, b.Config("us-east-1"), "b-table")
	for account, want := range map[string][]string{memberA: {"a-table"}, memberB: {"b-table"}} {
		if diff := cmp.Diff(want, tables(t, memberConfig(hub, account))); diff != "" {
			t.Errorf("tables seen through %s's role (-want +got):\n%s", account, diff)
		}
	}
	if diff := cmp.Diff([]string{"hub-table"}, tables(t, hub.Config("us-east-1"))); diff != "" {
		t.Errorf("the hub's own tables (-want +got):\n%s", diff)
	}
	id, err := sts.NewFromConfig(memberConfig(hub, memberA)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != memberA || aws.ToString(id.Arn) != "arn:aws:iam::"+memberA+":role/selfheal-member" {
		t.Errorf("caller identity in the member: %+v, %v", id, err)
	}
	hub.Advance(time.Hour)
	if !a.Now().Equal(hub.Now()) || !b.Now().Equal(hub.Now()) {
		t.Errorf("members at %v and %v after the hub advanced to %v", a.Now(), b.Now(), hub.Now())
	}
	if n := len(a.CallsSince(0)); n == 0 {
		t.Error("the member's own call log does not have the calls made in it")
	}
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// AssumeRole refuses what IAM would: a role that does not exist, one that
// does not trust the caller, an account outside the organization, too long
// a session; and the keys it gives stop working when they expire.
func TestAssumeRoleRefusals(t *testing.T) {
	ctx := context.Background()
	hub, a, _ := organizationOf(t)
	outsider := awssim.New(awssim.WithAccountID("999999999999"))
	a.CreateRole("picky", awssim.RoleTrust{Principals: []string{"arn:aws:iam::" + hub.AccountID() + ":role/someone-else"}})
	assume := func(from *awssim.Sim, roleARN string, seconds int32) error {
		_, err := sts.NewFromConfig(from.Config("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("selfheal-test"), DurationSeconds: aws.Int32(seconds),
		})
		return err
	}
	tests := []struct {
		name     string
		from     *awssim.Sim
		role     string
		seconds  int32
		wantCode string
	}{
		{"trusted", hub, "arn:aws:iam::" + memberA + ":role/selfheal-member", 3600, ""},
		{"no such role", hub, "arn:aws:iam::" + memberA + ":role/deleted", 3600, "AccessDenied"},
		{"not trusted", hub, "arn:aws:iam::" + memberA + ":role/picky", 3600, "AccessDenied"},
		{"account outside the organization", hub, "arn:aws:iam::999999999999:role/selfheal-member", 3600, "AccessDenied"},
		{"caller outside the organization", outsider, "arn:aws:iam::" + memberA + ":role/selfheal-member", 3600, "AccessDenied"},
		{"longer than the role allows", hub, "arn:aws:iam::" + memberA + ":role/selfheal-member", 7200, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorCode(assume(tt.from, tt.role, tt.seconds)); got != tt.wantCode {
				t.Errorf("error code %q, want %q", got, tt.wantCode)
			}
		})
	}

	// Keys expire; the SDK's credentials cache refreshes them before.
	out, err := sts.NewFromConfig(hub.Config("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + memberA + ":role/selfheal-member"), RoleSessionName: aws.String("once"), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatal(err)
	}
	static := hub.Config("us-east-1")
	static.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}, nil
	})
	if _, err := dynamodb.NewFromConfig(static).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("fresh keys: %v", err)
	}
	hub.Advance(16 * time.Minute)
	if _, err := dynamodb.NewFromConfig(static).ListTables(ctx, &dynamodb.ListTablesInput{}); errorCode(err) != "ExpiredToken" {
		t.Errorf("expired keys: %v, want ExpiredToken", err)
	}
	a.DeleteRole("selfheal-member")
	if got := errorCode(assume(hub, "arn:aws:iam::"+memberA+":role/selfheal-member", 3600)); got != "AccessDenied" {
		t.Errorf("a deleted role: %q, want AccessDenied", got)
	}
}

// The organization is read by its management account (and delegated
// administrators), 20 accounts a page; a member is refused.
func TestOrganizationsReads(t *testing.T) {
	ctx := context.Background()
	hub := awssim.New()
	var members []*awssim.Sim
	for i := range 25 {
		members = append(members, hub.AddMember(fmt.Sprintf("1000000000%02d", i)))
	}
	root := hub.CreateOrganization(orgID)
	prod, err := hub.CreateOU(root, "prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members[:5] {
		if err := hub.MoveAccount(m.AccountID(), prod); err != nil {
			t.Fatal(err)
		}
	}
	if err := hub.SetAccountState(members[0].AccountID(), orgtypes.AccountStateSuspended); err != nil {
		t.Fatal(err)
	}
	orgs := organizations.NewFromConfig(hub.Config("us-east-1"))
	var listed, suspended int
	pages := 0
	p := organizations.NewListAccountsPaginator(orgs, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range page.Accounts {
			listed++
			if a.State == orgtypes.AccountStateSuspended {
				suspended++
			}
		}
	}
	if listed != 26 || pages != 2 || suspended != 1 {
		t.Errorf("listed %d accounts in %d pages, %d suspended; want 26 (hub + 25) in 2, 1 suspended", listed, pages, suspended)
	}
	inProd, err := orgs.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(prod)})
	if err != nil || len(inProd.Accounts) != 5 {
		t.Errorf("accounts in prod: %d, %v; want 5", len(inProd.Accounts), err)
	}
	parents, err := orgs.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(members[1].AccountID())})
	if err != nil || aws.ToString(parents.Parents[0].Id) != prod || parents.Parents[0].Type != orgtypes.ParentTypeOrganizationalUnit {
		t.Errorf("parent of a prod account: %+v, %v", parents, err)
	}
	if got := hub.AccountsIn(root); len(got) != 26 {
		t.Errorf("accounts under the root at any depth: %d, want 26", len(got))
	}
	memberOrgs := organizations.NewFromConfig(members[1].Config("us-east-1"))
	if _, err := memberOrgs.ListAccounts(ctx, &organizations.ListAccountsInput{}); errorCode(err) != "AccessDeniedException" {
		t.Errorf("a member listing the organization: %v, want AccessDeniedException", err)
	}
	hub.RegisterDelegatedAdministrator(members[1].AccountID())
	if _, err := memberOrgs.ListAccounts(ctx, &organizations.ListAccountsInput{}); err != nil {
		t.Errorf("a delegated administrator listing the organization: %v", err)
	}
	if _, err := organizations.NewFromConfig(awssim.New().Config("us-east-1")).ListAccounts(ctx, &organizations.ListAccountsInput{}); errorCode(err) != "AWSOrganizationsNotInUseException" {
		t.Errorf("an account outside any organization: %v", err)
	}
}
