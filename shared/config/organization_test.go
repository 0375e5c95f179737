package config_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/config"
)

func TestParseOrganizationDefaults(t *testing.T) {
	o, err := config.ParseOrganization([]byte(`{"id": "o-a1b2c3d4e5", "memberOUs": ["ou-a1b2-5prodx7f"]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Organization{ID: "o-a1b2c3d4e5", MemberOUs: []string{"ou-a1b2-5prodx7f"},
		MemberRoleName: "selfheal-member", SweepConcurrency: 20, ToleratedFailurePercentage: 10}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("organization (-want +got):\n%s", diff)
	}
	doc, err := o.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.ParseOrganization([]byte(doc))
	if err != nil || !cmp.Equal(o, back) {
		t.Errorf("the canonical document %s loads back as %+v, %v", doc, back, err)
	}
}

// Every problem of an organization document at once, each at its path
// relative to the document.
func TestParseOrganizationReportsEveryProblem(t *testing.T) {
	_, err := config.ParseOrganization([]byte(`{
	  "id": "org-1", "memberOUs": ["ou-a1b2-5prodx7f", "ou-a1b2-5prodx7f", "prod"], "memberAccounts": ["12345"],
	  "rootId": "root", "regions": ["mars-1"], "memberRoleName": "no spaces allowed",
	  "sweepConcurrency": 0, "toleratedFailurePercentage": 101}`))
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("got %v, want a *config.Error", err)
	}
	want := []string{
		`id: "org-1" is not an organization id (o- and 10 to 32 lowercase letters or digits)`,
		`memberOUs[1]: "ou-a1b2-5prodx7f" is listed twice`,
		`memberOUs[2]: "prod" is not an organizational unit or root id (ou-… or r-…)`,
		`memberAccounts[0]: "12345" is not a 12-digit account id`,
		`regions[0]: "mars-1" is not an AWS region name`,
		`rootId: "root" is not a root id (r- and 4 to 32 lowercase letters or digits)`,
		`memberRoleName: "no spaces allowed" is not an IAM role name (1 to 64 of letters, digits and +=,.@_-)`,
		`sweepConcurrency: 0 is not between 1 and 1000`,
		`toleratedFailurePercentage: 101 is not a percentage (0 to 100)`,
	}
	if diff := cmp.Diff(want, cerr.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}

	_, err = config.ParseOrganization([]byte(`{"id": "o-a1b2c3d4e5", "memberOus": [], "sweepConcurrency": "20"}`))
	if !errors.As(err, &cerr) || len(cerr.Problems) != 2 {
		t.Errorf("unknown key and wrong type: %v, want both", err)
	}
}

// A function loads the organization from SELFHEAL_ORGANIZATION, and reports
// its problems with the rest of the configuration, under the variable.
func TestLoadOrganization(t *testing.T) {
	env := map[string]string{
		config.EnvRegion: "us-east-1", config.EnvTopicARN: "arn:aws:sns:us-east-1:123456789012:t",
		config.EnvTableName: "t", config.EnvQueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/q",
	}
	c, err := config.Load(func(k string) string { return env[k] })
	if err != nil || c.Organization != nil {
		t.Fatalf("single account: %+v, %v; want no organization", c.Organization, err)
	}
	env[config.EnvOrganization] = `{"id": "o-a1b2c3d4e5", "memberAccounts": ["444455556666"], "regions": ["us-east-1"]}`
	c, err = config.Load(func(k string) string { return env[k] })
	if err != nil || c.Organization == nil || c.Organization.MemberAccounts[0] != "444455556666" || !c.Organization.Covers("us-east-1") {
		t.Fatalf("organization: %+v, %v", c.Organization, err)
	}
	env[config.EnvOrganization] = `{"id": "o-1"}`
	_, err = config.Load(func(k string) string { return env[k] })
	var cerr *config.Error
	if !errors.As(err, &cerr) || len(cerr.Problems) != 1 || cerr.Problems[0][:len(config.EnvOrganization)+4] != config.EnvOrganization+".id:" {
		t.Errorf("bad organization in the environment: %v", err)
	}
}
