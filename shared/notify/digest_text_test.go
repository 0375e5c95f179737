package notify_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/notify"
)

// digestMessage is a sweep's digest as shared/sweep sends it: Region is
// where the sweep ran, Covered says what it read in each region.
func digestMessage(d notify.Digest) notify.Message {
	return notify.Message{
		Kind: notify.KindDigest, Function: "compliance-sweep", EventType: "Scheduled Sweep", EventID: "evt-s",
		Account: "123456789012", Region: "us-east-1", Time: at, Headline: "Sweep eu-west-1, us-east-1: all clear", Digest: &d,
	}
}

// section returns the lines of text under heading, up to the next blank
// line.
func section(text, heading string) []string {
	_, rest, ok := strings.Cut(text, "\n"+heading+"\n")
	if !ok {
		return nil
	}
	block, _, _ := strings.Cut(rest, "\n\n")
	return strings.Split(strings.TrimRight(block, "\n"), "\n")
}

// The e-mail of a digest says what the run covered, region by region, and
// its heading does not pass a run over several regions off as one region's.
func TestDigestTextSaysWhatTheRunCovered(t *testing.T) {
	tests := []struct {
		name        string
		digest      notify.Digest
		wantCovered []string
		wantGaps    []string
	}{
		{
			name: "complete, two regions",
			digest: notify.Digest{Complete: true, Covered: []string{
				"eu-west-1: 3 backup vaults, 40 recovery points",
				"us-east-1: 6 backup vaults, 12 recovery points, 2 DynamoDB tables",
			}},
			wantCovered: []string{
				"  eu-west-1: 3 backup vaults, 40 recovery points",
				"  us-east-1: 6 backup vaults, 12 recovery points, 2 DynamoDB tables",
			},
		},
		{
			name: "incomplete: one region refused",
			digest: notify.Digest{
				Covered:    []string{"us-east-1: 6 backup vaults"},
				NotCovered: []string{"eu-west-1: backup vaults: not all listed: AccessDenied"},
			},
			wantCovered: []string{"  us-east-1: 6 backup vaults"},
			wantGaps: []string{
				"INCOMPLETE RUN: not everything was checked; do not read this as all clear.",
				"  not covered: eu-west-1: backup vaults: not all listed: AccessDenied",
			},
		},
		{
			name:        "nothing read",
			digest:      notify.Digest{NotCovered: []string{"us-east-1: backup vaults: not all listed: throttled"}},
			wantCovered: []string{"  nothing was read"},
			wantGaps: []string{
				"INCOMPLETE RUN: not everything was checked; do not read this as all clear.",
				"  not covered: us-east-1: backup vaults: not all listed: throttled",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := notify.Render(digestMessage(tt.digest))
			if err != nil {
				t.Fatal(err)
			}
			heading, _, _ := strings.Cut(r.Text, "\n")
			if want := "Compliance sweep of account 123456789012, run in us-east-1"; heading != want {
				t.Errorf("heading %q, want %q", heading, want)
			}
			if diff := cmp.Diff(tt.wantCovered, section(r.Text, "Covered:")); diff != "" {
				t.Errorf("covered (-want +got):\n%s\ntext:\n%s", diff, r.Text)
			}
			var gaps []string
			if _, rest, ok := strings.Cut(r.Text, "\nINCOMPLETE RUN"); ok {
				block, _, _ := strings.Cut("INCOMPLETE RUN"+rest, "\n\n")
				gaps = strings.Split(strings.TrimRight(block, "\n"), "\n")
			}
			if diff := cmp.Diff(tt.wantGaps, gaps); diff != "" {
				t.Errorf("not covered (-want +got):\n%s", diff)
			}
		})
	}
}

// A digest shows how restore tests went per resource type, with the
// median and longest recovery time of those that passed, in the text and
// in the JSON document; a digest without restore tests has no such section.
func TestDigestShowsRestoreTests(t *testing.T) {
	d := notify.Digest{Complete: true, Recovery: []notify.RecoveryStats{
		{ResourceType: "AWS::DynamoDB::Table", Tests: 4, Failed: 1, RTOP50Seconds: 720, RTOMaxSeconds: 7500},
		{ResourceType: "AWS::RDS::DBInstance", Tests: 1, Failed: 1},
	}}
	r, err := notify.Render(digestMessage(d))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"  DynamoDB table           4 tested, 1 failed   RTO p50 12m, max 2h5m",
		"  RDS instance             1 tested, 1 failed",
	}
	if diff := cmp.Diff(want, section(r.Text, "Restore tests, last 30 days (recovery time of those that passed):")); diff != "" {
		t.Errorf("restore tests section (-want +got):\n%s\ntext:\n%s", diff, r.Text)
	}
	if !strings.Contains(r.JSON, `"recovery":[{"resourceType":"AWS::DynamoDB::Table","tests":4,"failed":1,"rtoP50Seconds":720,"rtoMaxSeconds":7500}`) {
		t.Errorf("JSON document lacks the recovery stats:\n%s", r.JSON)
	}
	plain, _ := notify.Render(digestMessage(notify.Digest{Complete: true}))
	if strings.Contains(plain.Text, "Restore tests") || strings.Contains(plain.JSON, `"recovery"`) {
		t.Error("a digest without restore tests shows a restore tests section")
	}
}
