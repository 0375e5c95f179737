package reliability_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
)

// Every shipped game day with each event delivered three times,
// interleaved with the other events of the same moment (EventBridge
// delivers at least once): each event is processed once and the copies are
// no-ops, so the story is the one of single delivery — the same actions,
// the same notifications, each problem notified as often, the same groups
// at the end.
func TestScenariosWithEveryEventThrice(t *testing.T) {
	for name, sc := range shipped(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, once := play(t, sc, gameday.Options{})
			_, thrice := play(t, sc, gameday.Options{Duplicates: 3})
			if fails := failed(thrice); len(fails) > 0 {
				t.Errorf("expectations failed with every event thrice:\n%s", strings.Join(fails, "\n"))
			}
			// The sweep notifies its batches concurrently: order is free.
			if diff := cmp.Diff(actionsOf(once), actionsOf(thrice), sorted); diff != "" {
				t.Errorf("actions (-once +thrice):\n%s", diff)
			}
			if diff := cmp.Diff(notesOf(once.Notifications), notesOf(thrice.Notifications), sortedNotes); diff != "" {
				t.Errorf("notifications (-once +thrice):\n%s", diff)
			}
			if diff := cmp.Diff(once.Findings, thrice.Findings); diff != "" {
				t.Errorf("findings and how often each was notified (-once +thrice):\n%s", diff)
			}
			if diff := cmp.Diff(once.Final, thrice.Final); diff != "" {
				t.Errorf("the account at the end (-once +thrice):\n%s", diff)
			}

			// Each routed event reached its function three times: one
			// processed (or quarantined) it, the others were duplicates;
			// or all three were ignored, which is never claimed.
			type target struct{ function, event string }
			statuses := map[target][]string{}
			for _, e := range thrice.Timeline {
				if e.Invocation != nil && e.Rule != "" && e.Invocation.Attempt == 1 {
					k := target{e.Invocation.Function, e.EventID}
					statuses[k] = append(statuses[k], e.Invocation.Status)
				}
				// A schedule starting a state machine: each delivery is an
				// execution, the copies' do nothing.
				if x := e.Execution; x != nil {
					status := "processed"
					if x.Duplicate {
						status = "duplicate"
					}
					k := target{e.Rule, e.EventID}
					statuses[k] = append(statuses[k], status)
				}
			}
			if len(statuses) == 0 {
				t.Skip("no event delivered by a rule in this scenario")
			}
			for k, st := range statuses {
				want := []string{st[0], "duplicate", "duplicate"}
				if st[0] == "ignored" {
					want = []string{st[0], st[0], st[0]}
				}
				if !slicesEqualSorted(st, want) {
					t.Errorf("%s got event %s %d times: %v, want %v", k.function, k.event, len(st), st, want)
				}
			}
		})
	}
}

// actionsOf lists the actions as notified, without ids and times.
func actionsOf(rep *gameday.Report) []string {
	var out []string
	for _, a := range rep.Actions {
		out = append(out, fmt.Sprintf("%s %s %s %s %s: %s", a.Function, a.Kind, a.Outcome, a.Resource, a.AZ, a.Summary))
	}
	return out
}

var (
	sorted      = cmpopts.SortSlices(func(x, y string) bool { return x < y })
	sortedNotes = cmpopts.SortSlices(func(x, y note) bool { return x.String() < y.String() })
)

func slicesEqualSorted(a, b []string) bool { return cmp.Equal(a, b, sorted) }
