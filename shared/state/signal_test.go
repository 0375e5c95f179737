package state_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/state"
)

func TestSignalRoundTripAndConflicts(t *testing.T) {
	s, sim, _ := newStore(t)
	got, found, err := s.LoadSignal(ctx, "alarm#a1")
	if err != nil || found {
		t.Fatalf("unknown signal: found=%v err=%v", found, err)
	}
	t0 := awssim.DefaultStart
	got.Impaired, got.AZs, got.Since, got.ObservedAt, got.EventID = true, []string{"us-east-1a"}, t0, t0, "evt-1"
	if err := s.SaveSignal(ctx, got, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// A second writer that loaded the same (absent) record loses.
	if err := s.SaveSignal(ctx, state.Signal{Key: "alarm#a1"}, time.Time{}); !errors.Is(err, state.ErrConflict) {
		t.Errorf("concurrent first save: %v, want ErrConflict", err)
	}
	loaded, found, err := s.LoadSignal(ctx, "alarm#a1")
	if err != nil || !found {
		t.Fatalf("load: found=%v err=%v", found, err)
	}
	want := state.Signal{Key: "alarm#a1", Impaired: true, AZs: []string{"us-east-1a"}, Since: t0, ObservedAt: t0, EventID: "evt-1"}
	if diff := cmp.Diff(want, loaded, cmpopts.IgnoreUnexported(state.Signal{})); diff != "" {
		t.Errorf("loaded (-want +got):\n%s", diff)
	}
	// Saving what was loaded works once; the stale copy is refused.
	next := loaded
	next.Impaired, next.Since = false, t0.Add(time.Minute)
	if err := s.SaveSignal(ctx, next, sim.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSignal(ctx, loaded, time.Time{}); !errors.Is(err, state.ErrConflict) {
		t.Errorf("stale save: %v, want ErrConflict", err)
	}
	// An expired record is forgotten, even before DynamoDB deletes it, and
	// can be written again.
	sim.Advance(2 * time.Hour)
	gone, found, err := s.LoadSignal(ctx, "alarm#a1")
	if err != nil || found {
		t.Fatalf("expired signal: found=%v err=%v", found, err)
	}
	gone.Impaired = true
	if err := s.SaveSignal(ctx, gone, time.Time{}); err != nil {
		t.Errorf("save over an expired record: %v", err)
	}
}

func TestLaunchFailuresCountWithinTheWindow(t *testing.T) {
	s, sim, _ := newStore(t)
	const window = 15 * time.Minute
	add := func(id string) int {
		t.Helper()
		fs, err := s.AddLaunchFailure(ctx, "us-east-1", "us-east-1a", state.LaunchFailure{EventID: id, Group: "web", At: sim.Now()}, window)
		if err != nil {
			t.Fatal(err)
		}
		return len(fs)
	}
	if n := add("e1"); n != 1 {
		t.Errorf("after one failure: %d", n)
	}
	if n := add("e1"); n != 1 {
		t.Errorf("the same event delivered twice counts %d times", n)
	}
	sim.Advance(10 * time.Minute)
	if n := add("e2"); n != 2 {
		t.Errorf("two failures 10 minutes apart: %d", n)
	}
	// Another AZ is other evidence.
	if fs, _ := s.AddLaunchFailure(ctx, "us-east-1", "us-east-1b", state.LaunchFailure{EventID: "e3", At: sim.Now()}, window); len(fs) != 1 {
		t.Errorf("us-east-1b: %d failures", len(fs))
	}
	sim.Advance(6 * time.Minute)
	if n := add("e4"); n != 2 {
		t.Errorf("the first failure is out of the window: got %d, want 2", n)
	}
}
