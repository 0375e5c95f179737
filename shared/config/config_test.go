package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func baseEnv() map[string]string {
	return map[string]string{
		config.EnvRegion:    "us-east-1",
		config.EnvTopicARN:  "arn:aws:sns:us-east-1:123456789012:selfheal",
		config.EnvTableName: "selfheal-state",
		config.EnvQueueURL:  "https://sqs.us-east-1.amazonaws.com/123456789012/selfheal-dlq",
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env(baseEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Region:    "us-east-1",
		Regions:   []string{"us-east-1"},
		TopicARN:  "arn:aws:sns:us-east-1:123456789012:selfheal",
		TableName: "selfheal-state",
		QueueURL:  "https://sqs.us-east-1.amazonaws.com/123456789012/selfheal-dlq",
		Policy:    config.DefaultPolicy(),
	}
	if diff := cmp.Diff(want, c, cmp.AllowUnexported(config.Duration{})); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	// The defaults users read in the README.
	p := c.Policy
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"dry run", p.DryRun, false},
		{"opt-in tag", p.OptInTag, config.Tag{Key: "selfheal:managed", Value: "true"}},
		{"exclude tag", p.ExcludeTagKey, "selfheal:exclude"},
		{"min healthy AZs", p.Rebalance.MinHealthyAZs, 2},
		{"max groups per event", p.Rebalance.MaxGroupsPerEvent, 10},
		{"copy deadline", p.CrossRegion.CopyDeadline.Duration, 24 * time.Hour},
		{"PITR max lag", p.PITR.MaxLag.Duration, 15 * time.Minute},
		{"dedupe window", p.Notify.DedupeWindow.Duration, 24 * time.Hour},
		{"RTO target", p.Recovery.RTOTarget.Duration, 4 * time.Hour},
		{"RPO target", p.Recovery.RPOTarget.Duration, 26 * time.Hour},
		{"max untested", p.Recovery.MaxUntested.Duration, 35 * 24 * time.Hour},
	}
	for _, c := range checks {
		if !cmp.Equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadPolicyOverlaysDefaults(t *testing.T) {
	e := baseEnv()
	e[config.EnvRegions] = "us-east-1, us-west-2"
	e[config.EnvPolicy] = `{"dryRun": true, "rebalance": {"minHealthyAZs": 3}, "crossRegion": {"drRegions": ["us-west-2"], "copyDeadline": "12h"}}`
	c, err := config.Load(env(e))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Policy.DryRun || c.Policy.Rebalance.MinHealthyAZs != 3 || c.Policy.CrossRegion.CopyDeadline.Duration != 12*time.Hour {
		t.Errorf("overrides not applied: %+v", c.Policy)
	}
	if c.Policy.Rebalance.MaxGroupsPerEvent != 10 {
		t.Errorf("maxGroupsPerEvent = %d, want the default 10 kept", c.Policy.Rebalance.MaxGroupsPerEvent)
	}
	if diff := cmp.Diff([]string{"us-east-1", "us-west-2"}, c.Regions); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
}

func TestParsePolicyReportsEachProblem(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"retention bounds inverted", `{"vaultLock": {"minRetentionDays": 40, "maxRetentionDays": 30}}`,
			[]string{"vaultLock: minRetentionDays 40 > maxRetentionDays 30"}},
		{"bad duration", `{"crossRegion": {"copyDeadline": "2x"}}`,
			[]string{`crossRegion.copyDeadline: "2x" is not a duration`}},
		{"duration as number", `{"pitr": {"maxLag": 900}}`,
			[]string{`pitr.maxLag: must be a duration string like "15m", not the number 900`}},
		{"negative duration", `{"backup": {"slack": "-1h"}}`, []string{"backup.slack: -1h0m0s is negative"}},
		{"zero deadline", `{"crossRegion": {"copyDeadline": "0s"}}`, []string{"crossRegion.copyDeadline: must be more than zero"}},
		{"unknown top-level key", `{"dryrun": true}`, []string{`dryrun: unknown key`}},
		{"unknown nested key", `{"rebalance": {"minHealthyAz": 2}}`, []string{`rebalance.minHealthyAz: unknown key`}},
		{"wrong type", `{"rebalance": {"minHealthyAZs": "2"}}`, []string{`rebalance.minHealthyAZs: must be a whole number, not the string "2"`}},
		{"fraction", `{"rebalance": {"minHealthyAZs": 1.5}}`, []string{`rebalance.minHealthyAZs: 1.5 is not a whole number`}},
		{"bool as string", `{"dryRun": "yes"}`, []string{`dryRun: must be true or false`}},
		{"bad region", `{"crossRegion": {"drRegions": ["us-west-2", "mars-1"]}}`, []string{`crossRegion.drRegions[1]: "mars-1" is not an AWS region name`}},
		{"duplicate region", `{"crossRegion": {"drRegions": ["us-west-2", "us-west-2"]}}`, []string{`crossRegion.drRegions[1]: "us-west-2" is listed twice`}},
		{"empty opt-in key", `{"optInTag": {"key": ""}}`, []string{"optInTag.key: must not be empty"}},
		{"exclude equals opt-in", `{"excludeTagKey": "selfheal:managed"}`, []string{"excludeTagKey: \"selfheal:managed\" is also the opt-in tag key"}},
		{"no health services", `{"rebalance": {"healthServices": []}}`, []string{"rebalance.healthServices: must name at least one service"}},
		{"bad health service", `{"rebalance": {"healthServices": ["ec2"]}}`, []string{`rebalance.healthServices[0]: "ec2" is not an AWS Health service code`}},
		{"zero min healthy AZs", `{"rebalance": {"minHealthyAZs": 0}}`, []string{"rebalance.minHealthyAZs: 0 is less than 1"}},
		{"zero blast radius", `{"rebalance": {"maxGroupsPerEvent": 0}}`, []string{"rebalance.maxGroupsPerEvent: 0 is less than 1"}},
		{"bad imbalance action", `{"rebalance": {"imbalanceAction": "fix"}}`, []string{`rebalance.imbalanceAction: "fix" is not "report" or "resume"`}},
		{"zonal shift too long", `{"rebalance": {"zonalShift": {"expiresIn": "73h"}}}`, []string{"rebalance.zonalShift.expiresIn: 73h0m0s is not a whole number of minutes from 5m to 72h"}},
		{"zonal shift too short", `{"rebalance": {"zonalShift": {"expiresIn": "1m"}}}`, []string{"rebalance.zonalShift.expiresIn: 1m0s is not a whole number of minutes"}},
		{"zonal shift in seconds", `{"rebalance": {"zonalShift": {"expiresIn": "90m30s"}}}`, []string{"rebalance.zonalShift.expiresIn: 1h30m30s is not a whole number of minutes"}},
		{"breaker", `{"rebalance": {"breaker": {"maxEvacuations": 0, "window": "0s"}}}`,
			[]string{"rebalance.breaker.maxEvacuations: 0 is less than 1", "rebalance.breaker.window: must be more than zero"}},
		{"zero RTO target", `{"recovery": {"rtoTarget": "0s"}}`, []string{"recovery.rtoTarget: must be more than zero"}},
		{"bad RPO target", `{"recovery": {"rpoTarget": "1d"}}`, []string{`recovery.rpoTarget: "1d" is not a duration`}},
		{"untested for an hour", `{"recovery": {"maxUntested": "1h"}}`, []string{"recovery.maxUntested: 1h0m0s is less than a day (0 turns the check off)"}},
		{"untested beyond the records", `{"recovery": {"maxUntested": "9000h"}}`, []string{"recovery.maxUntested: 9000h0m0s is longer than 8760h0m0s"}},
		{"PITR window too long", `{"pitr": {"minWindowDays": 36}}`, []string{"pitr.minWindowDays: 36 is outside 1–35"}},
		{"scope tag value without key", `{"pitr": {"scopeTag": {"value": "prod"}}}`, []string{"pitr.scopeTag.key: must be set when scopeTag.value is"}},
		{"vault lock min out of range", `{"vaultLock": {"minRetentionDays": 0}}`, []string{"vaultLock.minRetentionDays: 0 is outside 1–36500"}},
		{"grace bounds", `{"posture": {"minHealthCheckGracePeriod": "20m"}}`, []string{"posture: minHealthCheckGracePeriod 20m0s > maxHealthCheckGracePeriod 15m0s"}},
		{"concurrency", `{"sweep": {"concurrency": 0}}`, []string{"sweep.concurrency: 0 is outside 1–64"}},
		{"dedupe window beyond memory", `{"notify": {"dedupeWindow": "2200h"}}`, []string{"notify.dedupeWindow: 2200h0m0s is longer than 2160h0m0s"}},
		{"not an object", `[1]`, []string{"policy: must be an object, not an array"}},
		{"truncated", `{"dryRun": tru`, []string{"not valid JSON"}},
		{"two documents", `{} {}`, []string{"holds more than one JSON document"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.ParsePolicy([]byte(tt.doc))
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			if len(cerr.Problems) != len(tt.want) {
				t.Fatalf("problems %q, want %d", cerr.Problems, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(cerr.Problems[i], w) {
					t.Errorf("problem %q does not say %q", cerr.Problems[i], w)
				}
			}
		})
	}
}

func TestAllProblemsReportedTogether(t *testing.T) {
	e := map[string]string{
		config.EnvRegion:                      "moon-1",
		config.EnvQueueURL:                    "sqs://nope",
		config.EnvRegions:                     "us-east-1,nowhere",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "1",
		config.EnvPolicy:                      `{"vaultLock": {"minRetentionDays": 40, "maxRetentionDays": 30}, "crossRegion": {"copyDeadline": "2x"}}`,
	}
	_, err := config.Load(env(e))
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("got %v, want a *config.Error", err)
	}
	want := []string{
		`AWS_REGION: "moon-1" is not an AWS region name`,
		`SELFHEAL_TOPIC_ARN: "" is not an SNS topic ARN`,
		`SELFHEAL_TABLE: must be set`,
		`SELFHEAL_DLQ_URL: "sqs://nope" is not an SQS queue URL`,
		`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "1": need true or false`,
		`SELFHEAL_REGIONS: "nowhere" is not an AWS region name`,
		`SELFHEAL_POLICY.vaultLock: minRetentionDays 40 > maxRetentionDays 30`,
		`SELFHEAL_POLICY.crossRegion.copyDeadline: "2x" is not a duration (write it like "15m" or "24h")`,
	}
	if diff := cmp.Diff(want, cerr.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "invalid configuration: ") || !strings.Contains(msg, "minRetentionDays 40 > maxRetentionDays 30; ") {
		t.Errorf("error text %q does not list the problems in one line", msg)
	}
}

// SQS serves https queue URLs; an emulator on this machine (moto,
// LocalStack) serves http ones, accepted on a loopback host only, so a
// deployed function is held to https.
func TestQueueURL(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://sqs.us-east-1.amazonaws.com/123456789012/selfheal-dlq", true},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo", true},
		{"http://127.0.0.1:45123/123456789012/selfheal-dlq", true},
		{"http://127.9.9.9:4566/000000000000/dlq", true},
		{"http://localhost:4566/000000000000/dlq", true},
		{"http://[::1]:4566/000000000000/dlq", true},
		{"http://sqs.us-east-1.amazonaws.com/123456789012/selfheal-dlq", false},
		{"http://10.0.0.5:4566/123456789012/dlq", false},
		{"http://localhost.example.com/123456789012/dlq", false},
		{"http://127.0.0.1.nip.io/123456789012/dlq", false},
		{"http://user@127.0.0.1:4566/123456789012/dlq", false},
		{"https://", false},
		{"sqs://nope", false},
		{"", false},
	} {
		e := baseEnv()
		e[config.EnvQueueURL] = c.url
		_, err := config.Load(env(e))
		if (err == nil) != c.ok {
			t.Errorf("%q: error %v, want accepted %v", c.url, err, c.ok)
		}
	}
}

func TestUnknownKeysAndBadValuesReportedTogether(t *testing.T) {
	_, err := config.ParsePolicy([]byte(`{"dryRun": 1, "rebalanse": {}, "notify": {"dedupeWindow": "soon", "extra": 1}}`))
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("got %v, want a *config.Error", err)
	}
	var paths []string
	for _, p := range cerr.Problems {
		path, _, _ := strings.Cut(p, ":")
		paths = append(paths, path)
	}
	if diff := cmp.Diff([]string{"dryRun", "notify.extra", "rebalanse"}, paths); diff != "" {
		t.Errorf("problem paths (-want +got):\n%s", diff)
	}
}

func TestDefaultPolicyJSONLoadsBack(t *testing.T) {
	doc, err := config.DefaultPolicy().JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatalf("the default policy's canonical JSON does not load back: %v\n%s", err, doc)
	}
	if diff := cmp.Diff(config.DefaultPolicy(), back, cmp.AllowUnexported(config.Duration{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestPolicyJSONRoundTrips(t *testing.T) {
	p := config.DefaultPolicy()
	p.DryRun = true
	p.CrossRegion.DRRegions = []string{"eu-west-1"}
	p.Rebalance.RecoveryHysteresis = config.Dur(90 * time.Second)
	doc, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatalf("canonical JSON does not parse back: %v\n%s", err, doc)
	}
	if diff := cmp.Diff(p, back, cmp.AllowUnexported(config.Duration{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// A user who does not test restores turns RESTORE_TESTED off with 0.
func TestMaxUntestedZeroTurnsTheCheckOff(t *testing.T) {
	p, err := config.ParsePolicy([]byte(`{"recovery": {"maxUntested": "0s", "rtoTarget": "90m"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Recovery.MaxUntested.Duration != 0 || p.Recovery.RTOTarget.Duration != 90*time.Minute || p.Recovery.RPOTarget.Duration != 26*time.Hour {
		t.Errorf("recovery = %+v, want maxUntested 0, rtoTarget 90m and the default rpoTarget", p.Recovery)
	}
}
