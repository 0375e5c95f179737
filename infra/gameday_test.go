package main

import (
	"slices"
	"testing"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
)

// The game day runs each function as this stack deploys it: the same
// functions, each with the timeout that sets its invocations' deadline, the
// retries of its asynchronous invocations and its reserved concurrency
// (which tells the function a claim in progress is a dead one's). Both
// shapes: a single account's functions, and an organization's hub, where
// org-sweep takes compliance-sweep's place.
func TestGameDayRunsFunctionsAsDeployed(t *testing.T) {
	for _, tt := range []struct {
		shape string
		ctx   any
		plays []gameday.Function
	}{
		{"single account", nil, gameday.Functions()},
		{"organization hub", map[string]any{"organization": map[string]any{
			"id": "o-a1b2c3d4e5", "memberOUs": []any{"ou-a1b2-11111111"},
		}}, gameday.HubFunctions()},
	} {
		t.Run(tt.shape, func(t *testing.T) {
			s, err := parseSettings(tt.ctx, noEnv)
			if err != nil {
				t.Fatal(err)
			}
			var names, played []string
			for _, g := range tt.plays {
				played = append(played, g.Name)
			}
			for _, f := range deployed(s) {
				names = append(names, f.name)
				i := slices.IndexFunc(tt.plays, func(g gameday.Function) bool { return g.Name == f.name })
				if i < 0 {
					t.Errorf("the game day does not run %s", f.name)
					continue
				}
				g := tt.plays[i]
				if g.Timeout != f.timeout || g.Retries != f.retries || g.ReservedConcurrency != f.reservedConcurrency {
					t.Errorf("%s: game day timeout %v, retries %d, reserved concurrency %d; deployed %v, %d, %d",
						f.name, g.Timeout, g.Retries, g.ReservedConcurrency, f.timeout, f.retries, f.reservedConcurrency)
				}
			}
			if !slices.Equal(slices.Sorted(slices.Values(played)), slices.Sorted(slices.Values(names))) {
				t.Errorf("game day functions %v, deployed %v", played, names)
			}
		})
	}
}
