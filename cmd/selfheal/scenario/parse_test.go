package scenario_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/shared/config"
)

// opts are the options of a build with one event-driven and one
// scheduled function, two checks and one readable event file.
func opts() scenario.Options {
	return scenario.Options{
		Name: "test", File: "test.json",
		Functions: []scenario.Function{{Name: "rebalancer"}, {Name: "sweep", Scheduled: true, Shape: scenario.ShapeSingle},
			{Name: "org-sweep", Scheduled: true, Shape: scenario.ShapeHub}},
		Checks: []string{"VAULT_LOCK_PRESENT", "PITR_ENABLED"},
		ReadEvent: func(path string) ([]byte, error) {
			switch path {
			case "health.json":
				return []byte(`{"source":"aws.health","detail-type":"AWS Health Event","detail":{}}`), nil
			case "broken.json":
				return []byte(`{"source":`), nil
			}
			return nil, fmt.Errorf("no event file %s", path)
		},
	}
}

func problems(t *testing.T, doc string) []string {
	t.Helper()
	_, err := scenario.Parse([]byte(doc), opts())
	if err == nil {
		return nil
	}
	var serr *scenario.Error
	if !errors.As(err, &serr) {
		t.Fatalf("Parse error is %T (%v), want *scenario.Error", err, err)
	}
	if serr.File != "test.json" {
		t.Errorf("error names file %q, want test.json", serr.File)
	}
	out := make([]string, len(serr.Problems))
	for i, p := range serr.Problems {
		out[i] = p.String()
	}
	return out
}

// Every problem of a file is reported at once, with its JSON path, in the
// order of the documentation's sections and of the timeline's steps.
func TestParseReportsEveryProblemWithItsPath(t *testing.T) {
	doc := `{
	  "nmae": "typo",
	  "policy": {"rebalance": {"minHealthyAZs": "two"}},
	  "state": {
	    "groups": [{"name": "web", "min": 6, "max": 4, "desired": 6, "azs": ["us-east-1d"]}]
	  },
	  "timeline": [
	    {"at": "5x", "impairAZ": "us-east-1a"},
	    {"at": "2m", "closeHealthIssue": "nope"},
	    {"at": "1m"}
	  ],
	  "expect": {"groups": [{"name": "api", "minInService": 6}]}
	}`
	want := []string{
		"nmae: unknown key (known here: accounts, description, duration, expect, name, policy, region, schedules, seed, state, timeline)",
		`policy.rebalance.minHealthyAZs: must be a whole number, not the string "two"`,
		"state.groups[0]: want min ≤ desired ≤ max, got min 6, desired 6, max 4",
		`state.groups[0].azs[0]: "us-east-1d" does not exist: the account has 3 AZs per region (us-east-1a to us-east-1c)`,
		`timeline[0].at: "5x" is not a duration (write it like "90s", "5m" or "1h30m")`,
		`timeline[1].closeHealthIssue: no raiseHealthIssue step has id "nope"`,
		"timeline[2]: has no action: give one of " + strings.Join(scenario.StepKinds(), ", "),
		`expect.groups[0].name: no group "api" in us-east-1 in state.groups`,
	}
	if diff := cmp.Diff(want, problems(t, doc)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestParseRejects(t *testing.T) {
	state := `"state": {
	  "groups": [{"name": "web", "min": 2, "max": 4, "desired": 2, "azs": ["us-east-1a", "us-east-1b"]}],
	  "vaults": [{"name": "nightly"}],
	  "tables": [{"name": "orders"}],
	  "alarms": [{"name": "5xx", "az": "us-east-1a"}]
	}`
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"not JSON, with where", "{\n  \"timeline\": [\n    {\"at\": \"5m\" \"impairAZ\": \"x\"}]}",
			[]string{`not valid JSON: invalid character '"' after object key:value pair (line 3, column 17)`}},
		{"two documents", `{} {}`, []string{"holds more than one JSON value"}},
		{"not an object", `[]`, []string{"must be an object, not an array"}},
		{"unknown nested key", `{"state": {"groups": [{"name": "w", "min": 1, "max": 1, "desired": 1, "azs": ["us-east-1a"], "size": 3}]}}`,
			[]string{"state.groups[0].size: unknown key (known here: azs, desired, healthCheckGracePeriod, max, min, name, region, suspendedProcesses, tags, zonalShift)"}},
		{"wrong type", `{"state": {"azCount": "3"}}`, []string{`state.azCount: must be a whole number, not the string "3"`}},
		{"missing field", `{"state": {"vaults": [{}]}}`, []string{"state.vaults[0].name: is required"}},
		{"bad region", `{"region": "mars-1"}`, []string{`region: "mars-1" is not an AWS region name`}},
		{"regions without the scenario's", `{"state": {"regions": ["eu-west-1"]}}`, []string{"state.regions: must include the scenario's region us-east-1"}},
		{"AZ of another region", `{"state": {"regions": ["us-east-1"], "groups": [{"name": "w", "min": 1, "max": 1, "desired": 1, "azs": ["eu-west-1a"]}]}}`,
			[]string{`state.groups[0].azs[0]: "eu-west-1a" is in region eu-west-1, not one of the account's regions (us-east-1)`}},
		{"plan rule into a missing vault", `{"state": {"tables": [{"name": "t"}], "plans": [{"name": "p", "tables": ["t", "u"], "rules": [{"vault": "v"}]}]}}`,
			[]string{`state.plans[0].rules[0].vault: no vault "v" in us-east-1 in state.vaults`, `state.plans[0].tables[1]: no table "u" in us-east-1 in state.tables`}},
		{"plan selecting nothing", `{"state": {"vaults": [{"name": "v"}], "plans": [{"name": "p", "rules": [{"vault": "v"}]}]}}`,
			[]string{"state.plans[0]: selects nothing: give tables, dbInstances, dbClusters or resourceArns"}},
		{"defined twice", `{"state": {"vaults": [{"name": "v"}, {"name": "v"}]}}`, []string{"state.vaults[1]: vault v in us-east-1 is defined twice"}},
		{"lock bounds", `{"state": {"vaults": [{"name": "v", "lock": {"changeableForDays": 1}}]}}`,
			[]string{"state.vaults[0].lock.changeableForDays: 1 is not from 3 to 36500"}},
		{"two actions", `{"timeline": [{"at": "1m", "impairAZ": "us-east-1a", "recoverAZ": "us-east-1a"}]}`,
			[]string{"timeline[0]: has 2 actions (impairAZ, recoverAZ): give one per step"}},
		{"misspelt action", `{"timeline": [{"at": "1m", "impairAz": "us-east-1a"}]}`,
			[]string{"timeline[0]: has no action: give one of " + strings.Join(scenario.StepKinds(), ", "),
				"timeline[0].impairAz: unknown key (known here: account, at, cancelZonalShift, closeHealthIssue, deletePlan, editPlan, endInstanceRefresh, event, eventFile, failBackupJob, failCopy, failRestore, growTable, impairAZ, raiseHealthIssue, recoverAZ, runRestoreTest, runSchedule, setAlarm, setBackupRetention, stallLogShipping, stallPITR, startFISShift, startInstanceRefresh, startPracticeRun, startZonalShift, updateZonalShift)"}},
		{"negative offset", `{"timeline": [{"at": "-1m", "impairAZ": "us-east-1a"}]}`, []string{`timeline[0].at: "-1m" is negative`}},
		{"closed before raised", `{"timeline": [{"at": "1m", "closeHealthIssue": "a"}, {"at": "2m", "raiseHealthIssue": {"id": "a", "az": "us-east-1a"}}]}`,
			[]string{`timeline[0].closeHealthIssue: Health issue "a" is closed before it is raised`}},
		{"raised twice", `{"timeline": [{"at": "1m", "raiseHealthIssue": {"id": "a", "az": "us-east-1a"}}, {"at": "2m", "raiseHealthIssue": {"id": "a", "az": "us-east-1b"}}]}`,
			[]string{`timeline[1].raiseHealthIssue.id: Health issue "a" is raised twice (first at timeline[0])`}},
		{"dangling references", `{` + state + `, "timeline": [
			{"at": "1m", "setAlarm": {"name": "nope", "state": "ALARM"}},
			{"at": "1m", "failCopy": {"table": "nope", "vault": "dr", "vaultRegion": "us-west-2"}},
			{"at": "1m", "stallPITR": {"table": "nope"}},
			{"at": "1m", "startInstanceRefresh": {"group": "nope"}}]}`,
			[]string{
				`timeline[0].setAlarm.name: no alarm "nope" in us-east-1 in state.alarms`,
				`timeline[1].failCopy.table: no table "nope" in us-east-1 in state.tables`,
				`timeline[1].failCopy.vault: no vault "dr" in us-west-2 in state.vaults`,
				`timeline[2].stallPITR.table: no table "nope" in us-east-1 in state.tables`,
				`timeline[3].startInstanceRefresh.group: no group "nope" in us-east-1 in state.groups`,
			}},
		{"zonal shift of a group not enrolled", `{` + state + `, "timeline": [
			{"at": "1m", "startZonalShift": {"group": "web", "expiresIn": "1h"}},
			{"at": "2m", "cancelZonalShift": {"group": "nope"}}]}`,
			[]string{
				`timeline[0].startZonalShift.az: is required`,
				`timeline[0].startZonalShift.comment: is required`,
				`timeline[0].startZonalShift.group: group "web" is not enrolled in zonal shift: give it "zonalShift" in state.groups`,
				`timeline[1].cancelZonalShift.group: no group "nope" in us-east-1 in state.groups`,
			}},
		{"bad enum", `{` + state + `, "timeline": [{"at": "1m", "failBackupJob": {"table": "orders", "outcome": "LOST"}}]}`,
			[]string{`timeline[0].failBackupJob.outcome: "LOST" is not one of FAILED, ABORTED, EXPIRED`}},
		{"delay without DELAY", `{` + state + `, "timeline": [{"at": "1m", "failCopy": {"table": "orders", "delay": "1h"}}]}`,
			[]string{"timeline[0].failCopy.delay: only applies to mode DELAY"}},
		{"two resources", `{` + state + `, "timeline": [{"at": "1m", "failBackupJob": {"table": "orders", "resourceArn": "arn:aws:s3:::b"}}]}`,
			[]string{"timeline[0].failBackupJob: names table and resourceArn: give at most one resource"}},
		{"unknown function", `{"timeline": [{"at": "1m", "runSchedule": "nope"}]}`,
			[]string{`timeline[0].runSchedule: no function "nope" in this build (have: rebalancer, sweep, org-sweep)`}},
		{"schedule of an event-driven function", `{"timeline": [{"at": "1m", "runSchedule": "rebalancer"}]}`,
			[]string{"timeline[0].runSchedule: rebalancer runs on events, not on a schedule"}},
		{"recurring schedule too often", `{"schedules": {"sweep": "30s"}}`,
			[]string{"schedules.sweep: 30s is more often than EventBridge schedules run (at most every 1m0s)"}},
		{"unreadable event file", `{"timeline": [{"at": "1m", "eventFile": "nope.json"}]}`,
			[]string{"timeline[0].eventFile: no event file nope.json"}},
		{"malformed event on the bus", `{"timeline": [{"at": "1m", "eventFile": "broken.json"}]}`,
			[]string{`timeline[0].eventFile: broken.json is not JSON (unexpected end of JSON input): only an event sent straight to a function ("to") may be malformed`}},
		{"event without a source", `{"timeline": [{"at": "1m", "event": {"detail-type": "X"}}]}`,
			[]string{`timeline[0].event: an event on the bus needs a "source" string (or send it straight to a function with "to")`}},
		{"to on a control step", `{"timeline": [{"at": "1m", "impairAZ": "us-east-1a", "to": "rebalancer"}]}`,
			[]string{"timeline[0].to: only applies to event and eventFile steps"}},
		{"duration before the last step", `{"timeline": [{"at": "2h", "impairAZ": "us-east-1a"}], "duration": "1h"}`,
			[]string{"duration: 1h0m0s ends before the last step, at 2h0m0s"}},
		{"duration too long", `{"duration": "240h"}`, []string{"duration: 240h0m0s is longer than the 168h0m0s a game day may last"}},
		{"expectation checking nothing", `{` + state + `, "expect": {"groups": [{"name": "web"}]}}`,
			[]string{"expect.groups[0]: checks nothing: give minInService, azCounts, azs, originalSubnets, maxSize, maxSizeAtLeast, minSize or desired"}},
		{"minInService at a moment", `{` + state + `, "expect": {"groups": [{"name": "web", "at": "1m", "minInService": 2}]}}`,
			[]string{`expect.groups[0].minInService: holds over the whole run: put it in an entry without "at"`}},
		{"unknown check", `{"expect": {"findings": [{"check": "VAULT_LOCK"}]}}`,
			[]string{`expect.findings[0].check: "VAULT_LOCK" is not a check id (VAULT_LOCK_PRESENT, PITR_ENABLED)`}},
		{"bad glob and regex", `{"expect": {"findings": [{"check": "PITR_ENABLED", "resource": "[x"}], "notifications": {"subjects": ["("]}}}`,
			[]string{`expect.findings[0].resource: "[x" is not a glob pattern: syntax error in pattern`,
				"expect.notifications.subjects[0]: \"(\" is not a regular expression: error parsing regexp: missing closing ): `(`"}},
		{"noWrites outside a dry run", `{"expect": {"noWrites": true}}`, []string{`expect.noWrites: expects a dry run: set "policy": {"dryRun": true}`}},
		{"accounts", `{"accounts": [{"id": "12"}, {"id": "123456789012"}, {"id": "111111111111", "colour": 1}, {"id": "111111111111"}]}`,
			[]string{
				`accounts[0].id: "12" is not a 12-digit account id`,
				"accounts[1].id: 123456789012 is the hub's own account",
				"accounts[2].colour: unknown key (known here: id, memberRole, name, state)",
				"accounts[3].id: account 111111111111 is defined twice (first at accounts[2])",
			}},
		{"a member's state is checked as the hub's", `{"accounts": [{"id": "111111111111", "state": {"vaults": [{"name": "v"}, {"name": "v"}]}}]}`,
			[]string{"accounts[0].state.vaults[1]: vault v in us-east-1 is defined twice"}},
		{"steps and expectations resolve names in their account", `{"accounts": [{"id": "111111111111", "state": {"tables": [{"name": "t"}]}}],
			"timeline": [
				{"at": "1m", "account": "111111111111", "stallPITR": {"table": "t"}},
				{"at": "2m", "stallPITR": {"table": "t"}},
				{"at": "3m", "account": "222222222222", "impairAZ": "us-east-1a"},
				{"at": "4m", "account": "111111111111", "runSchedule": "org-sweep"}],
			"expect": {"groups": [{"account": "111111111111", "name": "web", "desired": 1}]}}`,
			[]string{
				`timeline[1].stallPITR.table: no table "t" in us-east-1 in state.tables`,
				`timeline[2].account: no account "222222222222" in accounts (111111111111)`,
				"timeline[3].account: only applies to steps that act in an account (an event names its own; an issue closes where it was raised)",
				`expect.groups[0].name: no group "web" in us-east-1 in state.groups`,
			}},
		{"functions of the other deployment shape", `{"schedules": {"org-sweep": "1h"}}`,
			[]string{"schedules.org-sweep: org-sweep is deployed only to an organization's hub: give the scenario accounts"}},
		{"the single account's sweep in an organization", `{"accounts": [{"id": "111111111111"}], "timeline": [{"at": "1m", "runSchedule": "sweep"}]}`,
			[]string{"timeline[0].runSchedule: sweep is not deployed to an organization's hub (its sweep runs in the organization sweep)"}},
		{"policy problems, with the policy's paths", `{"policy": {"vaultLock": {"minRetentionDays": 40, "maxRetentionDays": 30}, "notify": {"dedupeWindow": "2x"}}}`,
			[]string{
				"policy.vaultLock: minRetentionDays 40 > maxRetentionDays 30",
				`policy.notify.dedupeWindow: "2x" is not a duration (write it like "15m" or "24h")`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, problems(t, c.doc)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// A valid file comes back complete: defaults filled in, regions resolved,
// steps in time order, the policy overlaid on the defaults.
func TestParseValid(t *testing.T) {
	doc := `{
	  "name": "story",
	  "seed": 7,
	  "policy": {"dryRun": true},
	  "state": {
	    "groups": [{"name": "web", "min": 6, "max": 6, "desired": 6, "azs": ["us-east-1a", "us-east-1b"], "tags": {"selfheal:managed": "true"}}],
	    "vaults": [{"name": "dr", "region": "us-west-2", "lock": {"minRetentionDays": 7, "changeableForDays": 3, "lockedDaysAgo": 10}}],
	    "tables": [{"name": "orders", "pitr": true, "recoveryPeriodDays": 14}]
	  },
	  "schedules": {"sweep": "1h"},
	  "timeline": [
	    {"at": "1h", "closeHealthIssue": "a"},
	    {"at": "5m", "raiseHealthIssue": {"id": "a", "az": "us-east-1a"}},
	    {"at": "10m", "eventFile": "health.json", "to": "rebalancer", "stampTime": true},
	    {"at": "20m", "failCopy": {"table": "orders", "vault": "dr", "vaultRegion": "us-west-2", "mode": "DELAY", "delay": "3h"}}
	  ],
	  "expect": {"groups": [{"name": "web", "minInService": 6}], "noWrites": true}
	}`
	sc, err := scenario.Parse([]byte(doc), opts())
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "story" || sc.Seed != 7 || sc.Region != "us-east-1" || !sc.Policy.DryRun {
		t.Errorf("name %q seed %d region %q dryRun %t", sc.Name, sc.Seed, sc.Region, sc.Policy.DryRun)
	}
	if sc.Policy.Rebalance.MinHealthyAZs != config.DefaultPolicy().Rebalance.MinHealthyAZs {
		t.Errorf("policy lost its defaults: %+v", sc.Policy.Rebalance)
	}
	wantState := scenario.State{
		Regions: []string{"eu-west-1", "us-east-1", "us-west-2"}, AZCount: 3, SupportPlan: "BUSINESS",
		Groups: []scenario.Group{{Name: "web", Region: "us-east-1", Min: 6, Max: 6, Desired: 6,
			AZs: []string{"us-east-1a", "us-east-1b"}, Tags: map[string]string{"selfheal:managed": "true"}}},
		Vaults: []scenario.Vault{{Name: "dr", Region: "us-west-2", Lock: &scenario.VaultLock{MinRetentionDays: 7, ChangeableForDays: 3, LockedDaysAgo: 10}}},
		Tables: []scenario.Table{{Name: "orders", Region: "us-east-1", PITR: true, RecoveryPeriodDays: 14, Tags: map[string]string{}}},
	}
	if diff := cmp.Diff(wantState, sc.State); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	type step struct {
		At   time.Duration
		Path string
		Kind string
	}
	var got []step
	for _, s := range sc.Timeline {
		got = append(got, step{s.At, s.Path, fmt.Sprintf("%T", s.Action)})
	}
	// Duration defaults to the last step plus scenario.DefaultTail; the
	// hourly schedule fires within it.
	want := []step{
		{5 * time.Minute, "timeline[1]", "scenario.RaiseHealthIssue"},
		{10 * time.Minute, "timeline[2]", "scenario.Event"},
		{20 * time.Minute, "timeline[3]", "scenario.FailCopy"},
		{time.Hour, "timeline[0]", "scenario.CloseHealthIssue"},
		{time.Hour, "schedules.sweep", "scenario.RunSchedule"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if sc.Duration != time.Hour+scenario.DefaultTail {
		t.Errorf("duration %s, want %s", sc.Duration, time.Hour+scenario.DefaultTail)
	}
	ev := sc.Timeline[1].Action.(scenario.Event)
	if ev.To != "rebalancer" || !ev.StampTime || ev.Origin != "health.json" || !strings.Contains(string(ev.JSON), "AWS Health Event") {
		t.Errorf("event step: %+v", ev)
	}
	raise := sc.Timeline[0].Action.(scenario.RaiseHealthIssue)
	if diff := cmp.Diff(scenario.RaiseHealthIssue{ID: "a", Region: "us-east-1", AZ: "us-east-1a", Service: "EC2"}, raise); diff != "" {
		t.Errorf("raise (-want +got):\n%s", diff)
	}
	copyFault := sc.Timeline[2].Action.(scenario.FailCopy)
	wantCopy := scenario.FailCopy{Resource: scenario.Resource{Kind: "table", Name: "orders", Region: "us-east-1"},
		Vault: "dr", VaultRegion: "us-west-2", Mode: "DELAY", Delay: 3 * time.Hour}
	if diff := cmp.Diff(wantCopy, copyFault); diff != "" {
		t.Errorf("failCopy (-want +got):\n%s", diff)
	}
}
