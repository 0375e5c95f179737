package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/config"
)

func noEnv(string) string { return "" }

// decode turns a JSON literal into what the CDK hands the app for a context
// value read from cdk.json.
func decode(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("test context %s: %v", doc, err)
	}
	return v
}

// A user who sets nothing gets the documented defaults.
func TestContextDefaults(t *testing.T) {
	got, err := parseSettings(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	policy := config.DefaultPolicy()
	policyJSON, err := policy.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := settings{
		Account:       placeholderAccount,
		AccountSource: "placeholder",
		Regions:       []string{"us-east-1"},
		SweepSchedule: "rate(1 hour)",
		LogRetention:  awslogs.RetentionDays_ONE_MONTH,
		Policy:        policy,
		PolicyJSON:    policyJSON,
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(config.Duration{})); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// The account comes from the context, else from the CDK CLI's credentials,
// else it is the offline placeholder.
func TestAccountResolution(t *testing.T) {
	cli := func(k string) string {
		if k == "CDK_DEFAULT_ACCOUNT" {
			return "210987654321"
		}
		return ""
	}
	tests := []struct {
		name       string
		ctx        any
		getenv     func(string) string
		account    string
		accountSrc string
	}{
		{"offline", nil, noEnv, placeholderAccount, "placeholder"},
		{"credentials", nil, cli, "210987654321", "CDK_DEFAULT_ACCOUNT"},
		{"context wins", map[string]any{"account": "111122223333"}, cli, "111122223333", "context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSettings(tt.ctx, tt.getenv)
			if err != nil {
				t.Fatal(err)
			}
			if s.Account != tt.account || s.AccountSource != tt.accountSrc {
				t.Errorf("account = %s (%s), want %s (%s)", s.Account, s.AccountSource, tt.account, tt.accountSrc)
			}
		})
	}
}

// `cdk synth -c selfheal='{...}'` passes the value as a string; it reads the
// same as the object in cdk.json.
func TestContextFromCommandLine(t *testing.T) {
	doc := `{"regions":["eu-west-1","eu-central-1"],"notificationEmails":["ops@example.com"],` +
		`"sweepSchedule":"cron(0 3 * * ? *)","logRetentionDays":90,"policy":{"dryRun":true,"crossRegion":{"drRegions":["eu-central-1"]}}}`
	fromString, err := parseSettings(doc, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	fromObject, err := parseSettings(decode(t, doc), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromObject, fromString, cmp.AllowUnexported(config.Duration{})); diff != "" {
		t.Errorf("string context differs from object context (-object +string):\n%s", diff)
	}
	if !fromString.Policy.DryRun || fromString.LogRetention != awslogs.RetentionDays_THREE_MONTHS ||
		!cmp.Equal(fromString.Policy.CrossRegion.DRRegions, []string{"eu-central-1"}) {
		t.Errorf("settings not applied: %+v", fromString)
	}
}

// Each bad value gets its own message, prefixed by where it is.
func TestContextValidation(t *testing.T) {
	tests := []struct {
		name string
		ctx  string
		want []string
	}{
		{"not an object", `["us-east-1"]`,
			[]string{`selfheal: must be a JSON object like {"regions": ["us-east-1"]}`}},
		{"unknown key", `{"region": "us-east-1"}`,
			[]string{"selfheal.region: unknown key (known: account, regions, notificationEmails, sweepSchedule, logRetentionDays, policy, organization)"}},
		{"no regions", `{"regions": []}`,
			[]string{"selfheal.regions: must name at least one region to deploy to"}},
		{"regions not a list", `{"regions": "us-east-1"}`,
			[]string{"selfheal.regions: must be an array of strings, not a JSON string"}},
		{"bad region", `{"regions": ["us-east-1", "mars-north-1x"]}`,
			[]string{`selfheal.regions[1]: "mars-north-1x" is not an AWS region name`}},
		{"region twice", `{"regions": ["eu-west-1", "eu-west-1"]}`,
			[]string{`selfheal.regions[1]: "eu-west-1" is listed twice`}},
		{"short account", `{"account": "12345"}`,
			[]string{`selfheal.account: "12345" is not a 12-digit AWS account ID`}},
		{"not an address", `{"notificationEmails": ["ops"]}`,
			[]string{`selfheal.notificationEmails[0]: "ops" is not an e-mail address like ops@example.com`}},
		{"display name", `{"notificationEmails": ["Ops <ops@example.com>"]}`,
			[]string{`selfheal.notificationEmails[0]: "Ops <ops@example.com>" is not an e-mail address like ops@example.com`}},
		{"address twice", `{"notificationEmails": ["ops@example.com", "OPS@example.com"]}`,
			[]string{`selfheal.notificationEmails[1]: "OPS@example.com" is listed twice`}},
		{"not a schedule", `{"sweepSchedule": "hourly"}`,
			[]string{`selfheal.sweepSchedule: "hourly" is not an EventBridge schedule like "rate(1 hour)" or "cron(0 * * * ? *)"`}},
		{"plural for one", `{"sweepSchedule": "rate(1 hours)"}`,
			[]string{`selfheal.sweepSchedule: "rate(1 hours)": write "hours" with a singular unit only for 1 (rate(1 hour), rate(2 hours))`}},
		{"zero rate", `{"sweepSchedule": "rate(0 minutes)"}`,
			[]string{`selfheal.sweepSchedule: "rate(0 minutes)": the rate must be a positive whole number`}},
		{"too often", `{"sweepSchedule": "rate(5 minutes)"}`,
			[]string{`selfheal.sweepSchedule: "rate(5 minutes)" runs more often than every 15 minutes, the sweep's longest run; runs would overlap`}},
		{"cron with five fields", `{"sweepSchedule": "cron(0 * * * *)"}`,
			[]string{`selfheal.sweepSchedule: "cron(0 * * * *)": a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not 5`}},
		{"cron without ?", `{"sweepSchedule": "cron(0 * * * * *)"}`,
			[]string{`selfheal.sweepSchedule: "cron(0 * * * * *)": exactly one of day-of-month and day-of-week must be "?"`}},
		{"retention CloudWatch lacks", `{"logRetentionDays": 31}`,
			[]string{"selfheal.logRetentionDays: 31 is not a CloudWatch Logs retention (one of " + retentionChoices() + ")"}},
		{"retention as a string", `{"logRetentionDays": "30"}`,
			[]string{"selfheal.logRetentionDays: must be a whole number, not a JSON string"}},
		{"policy value", `{"policy": {"rebalance": {"minHealthyAZs": 0}}}`,
			[]string{"selfheal.policy.rebalance.minHealthyAZs: 0 is less than 1"}},
		{"policy key typo", `{"policy": {"dryrun": true}}`,
			configProblems(t, `{"dryrun": true}`)},
		{"policy not an object", `{"policy": "dry-run"}`,
			configProblems(t, `"dry-run"`)},
		{"everything at once", `{"regions": ["us-east-1", "nowhere"], "notificationEmails": ["x"], "sweepSchedule": "daily",
			"policy": {"vaultLock": {"minRetentionDays": 40, "maxRetentionDays": 30}, "crossRegion": {"copyDeadline": "2x"}}}`,
			append([]string{
				`selfheal.regions[1]: "nowhere" is not an AWS region name`,
				`selfheal.notificationEmails[0]: "x" is not an e-mail address like ops@example.com`,
				`selfheal.sweepSchedule: "daily" is not an EventBridge schedule like "rate(1 hour)" or "cron(0 * * * ? *)"`,
			}, configProblems(t, `{"vaultLock": {"minRetentionDays": 40, "maxRetentionDays": 30}, "crossRegion": {"copyDeadline": "2x"}}`)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSettings(decode(t, tt.ctx), noEnv)
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want a *config.Error", err)
			}
			if diff := cmp.Diff(tt.want, cerr.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// configProblems is what shared/config says about a policy document, as the
// context reports it: the same validation, not a second one.
func configProblems(t *testing.T, doc string) []string {
	t.Helper()
	_, err := config.ParsePolicy([]byte(doc))
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("config.ParsePolicy(%s) = %v, want problems", doc, err)
	}
	out := make([]string, len(cerr.Problems))
	for i, p := range cerr.Problems {
		out[i] = "selfheal.policy." + p
	}
	return out
}

// A bad context stops the app before any stack exists, with one message
// listing every problem.
func TestInvalidContextFailsSynth(t *testing.T) {
	synth(t) // the jsii kernel is up: building an app is cheap
	ctx := map[string]any{contextKey: map[string]any{"regions": []any{"moon-1"}, "sweepSchedule": "often"}}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	d, _, err := build(app, "does-not-matter", noEnv)
	if len(d.regions) != 0 || d.members != nil {
		t.Errorf("built %d stacks from a bad context", len(d.regions))
	}
	want := "selfheal: cdk.json context \"selfheal\" has 2 problem(s):\n" +
		"  - selfheal.regions[0]: \"moon-1\" is not an AWS region name\n" +
		"  - selfheal.sweepSchedule: \"often\" is not an EventBridge schedule like \"rate(1 hour)\" or \"cron(0 * * * ? *)\""
	if err == nil || describe(err) != want {
		t.Errorf("message:\n%v\nwant:\n%s", describe(err), want)
	}
}

// Without `make build` the app says what to run instead of failing inside
// the CDK.
func TestMissingBootstrapSaysRunMakeBuild(t *testing.T) {
	synth(t)
	ctx, err := cdkContext()
	if err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	_, _, err = build(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}), empty, noEnv)
	if err == nil || !strings.Contains(err.Error(), "run `make build` first") {
		t.Errorf("err = %v, want it to say run `make build`", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("the app wrote into the asset folder: %v", entries)
	}
}

// The organization is handed to shared/config; the deployment adds its
// defaults and what only it can check.
func TestOrganizationContext(t *testing.T) {
	hub := `"regions": ["us-east-1", "eu-west-1"]`
	tests := []struct {
		name     string
		ctx      string
		regions  []string // member regions, when valid
		problems []string
	}{
		{"member regions default to the hub's", `{` + hub + `, "organization": {"id": "o-a1b2c3d4e5", "memberOUs": ["ou-a1b2-11111111"]}}`,
			[]string{"us-east-1", "eu-west-1"}, nil},
		{"fewer member regions", `{` + hub + `, "organization": {"id": "o-a1b2c3d4e5", "memberOUs": ["ou-a1b2-11111111"], "regions": ["eu-west-1"]}}`,
			[]string{"eu-west-1"}, nil},
		{"a member region without a hub", `{` + hub + `, "organization": {"id": "o-a1b2c3d4e5", "memberOUs": ["ou-a1b2-11111111"], "regions": ["eu-west-1", "ap-south-1"]}}`,
			nil, []string{`selfheal.organization.regions[1]: "ap-south-1" has no hub stack: add it to selfheal.regions (members forward their events to the hub bus of the same region)`}},
		{"no member", `{` + hub + `, "organization": {"id": "o-a1b2c3d4e5"}}`,
			nil, []string{"selfheal.organization: names no member: set memberOUs (auto-deployed to every account in them) or memberAccounts"}},
		{"accounts without the root", `{` + hub + `, "organization": {"id": "o-a1b2c3d4e5", "memberAccounts": ["444455556666"]}}`,
			nil, []string{"selfheal.organization.rootId: must be set with memberAccounts: the organization's root id (r-...), from `aws organizations list-roots`"}},
		{"the hub as a member", `{"account": "111122223333", ` + hub + `, "organization": {"id": "o-a1b2c3d4e5", "memberAccounts": ["444455556666", "111122223333"], "rootId": "r-a1b2"}}`,
			nil, []string{"selfheal.organization.memberAccounts[1]: 111122223333 is the hub account: its own stacks handle its events and sweep it"}},
		{"accounts with the root", `{` + hub + `, "organization": {"id": "o-a1b2c3d4e5", "memberAccounts": ["444455556666"], "rootId": "r-a1b2"}}`,
			[]string{"us-east-1", "eu-west-1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSettings(decode(t, tt.ctx), noEnv)
			var cerr *config.Error
			if errors.As(err, &cerr) {
				if diff := cmp.Diff(tt.problems, cerr.Problems); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil || tt.problems != nil {
				t.Fatalf("err = %v, want problems %v", err, tt.problems)
			}
			if diff := cmp.Diff(tt.regions, s.Organization.Regions); diff != "" {
				t.Errorf("member regions (-want +got):\n%s", diff)
			}
			got, err := config.ParseOrganization([]byte(s.OrganizationJSON))
			if err != nil {
				t.Fatalf("SELFHEAL_ORGANIZATION does not load: %v", err)
			}
			if diff := cmp.Diff(*s.Organization, got); diff != "" {
				t.Errorf("canonical document (-settings +loaded):\n%s", diff)
			}
		})
	}
}

// Without "organization" the deployment is a single account, and null says
// the same.
func TestNoOrganizationIsASingleAccount(t *testing.T) {
	for _, ctx := range []string{`{}`, `{"organization": null}`} {
		s, err := parseSettings(decode(t, ctx), noEnv)
		if err != nil || s.Organization != nil || s.OrganizationJSON != "" {
			t.Errorf("%s: organization %v %q, err %v", ctx, s.Organization, s.OrganizationJSON, err)
		}
	}
}

// A problem inside the organization reads like one inside the policy: the
// path from selfheal, the words of shared/config.
func TestOrganizationProblemsComeFromSharedConfig(t *testing.T) {
	doc := `{"id": "not-an-org", "memberOUs": "ou-a1b2-11111111"}`
	_, err := config.ParseOrganization([]byte(doc))
	var want *config.Error
	if !errors.As(err, &want) {
		t.Fatalf("config.ParseOrganization(%s) = %v, want problems", doc, err)
	}
	_, err = parseSettings(decode(t, `{"organization": `+doc+`}`), noEnv)
	var got *config.Error
	if !errors.As(err, &got) {
		t.Fatalf("err = %v, want problems", err)
	}
	var prefixed []string
	for _, p := range want.Problems {
		prefixed = append(prefixed, "selfheal.organization."+p)
	}
	if diff := cmp.Diff(prefixed, got.Problems); diff != "" {
		t.Errorf("problems (-shared/config +context):\n%s", diff)
	}
}
