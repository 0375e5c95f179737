package owncpu_test

import (
	"context"
	"testing"

	"github.com/selfheal/selfheal/cmd/benchreport/internal/owncpu"
	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/cmd/selfheal/scenarios"
)

// The seed's day measures each kind of event the functions handle in it —
// the Health issue opening and closing, the schedule, the backup job, its
// recovery point and its copy — each with the calls it made and the
// time the account took answering them apart from the function's own.
func TestStoryMeasuresEveryEvent(t *testing.T) {
	data, err := scenarios.Read("default")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse(data, gameday.ParseOptions("default", "default", ""))
	if err != nil {
		t.Fatal(err)
	}
	samples, err := owncpu.Story(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, s := range samples {
		seen[s.Function+" "+s.Kind]++
		if s.Own <= 0 || (s.Calls > 0 && s.Sim <= 0) {
			t.Errorf("%s %s: own %s, sim %s for %d calls", s.Function, s.Kind, s.Own, s.Sim, s.Calls)
		}
	}
	for _, k := range []string{
		"asg-rebalancer AWS Health Event open",
		"asg-rebalancer AWS Health Event closed",
		"asg-rebalancer Scheduled Event",
		"backup-compliance Backup Job State Change COMPLETED",
		"backup-compliance Recovery Point State Change COMPLETED",
		"backup-compliance Copy Job State Change COMPLETED",
		"backup-compliance Restore Job State Change COMPLETED",
	} {
		if seen[k] == 0 {
			t.Errorf("no %q measured (measured: %v)", k, seen)
		}
	}
}
