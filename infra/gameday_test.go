package main

import (
	"slices"
	"testing"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
)

// The game day runs each function as this stack deploys it: the same
// functions, each with the timeout that sets its invocations' deadline, the
// retries of its asynchronous invocations and its reserved concurrency
// (which tells the function a claim in progress is a dead one's).
//
// The game day plays a single account; org-sweep, deployed only to an
// organization's hubs, joins this check when the game day plays an
// organization (#16).
func TestGameDayRunsFunctionsAsDeployed(t *testing.T) {
	single, err := parseSettings(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range deployed(single) {
		names = append(names, f.name)
		g, ok := gameday.Lookup(f.name)
		if !ok {
			t.Errorf("the game day does not run %s", f.name)
			continue
		}
		if g.Timeout != f.timeout || g.Retries != f.retries || g.ReservedConcurrency != f.reservedConcurrency {
			t.Errorf("%s: game day timeout %v, retries %d, reserved concurrency %d; deployed %v, %d, %d",
				f.name, g.Timeout, g.Retries, g.ReservedConcurrency, f.timeout, f.retries, f.reservedConcurrency)
		}
	}
	if got := gameday.FunctionNames(); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(names))) {
		t.Errorf("game day functions %v, deployed %v", got, names)
	}
}
