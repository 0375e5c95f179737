package state_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/state"
)

// Lambda retries an asynchronous invocation with the same request id, and
// only once the attempt has ended: a claim of our own request id was left
// by a dead attempt and is taken at once. Another delivery's claim is not.
func TestClaimOfTheSameDeliveryIsTakenAtOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	if _, err := s.ClaimEvent(ctx, "f", "e", "req-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	_, err := s.ClaimEvent(ctx, "f", "e", "req-2", time.Hour)
	var held *state.HeldError
	if !errors.As(err, &held) || !errors.Is(err, state.ErrInProgress) || held.Holder != "req-1" {
		t.Fatalf("another delivery: %v, want held by req-1", err)
	}
	c, err := s.ClaimEvent(ctx, "f", "e", "req-1", time.Hour)
	if err != nil {
		t.Fatalf("the retry of the holding delivery: %v", err)
	}
	if !c.Retry {
		t.Error("the retry does not know it is one (the outbox would not be flushed)")
	}
}

// A function with one execution at a time takes over a claim found in
// progress; the takeover fails if the claim moved on meanwhile.
func TestTakeOver(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	if _, err := s.ClaimEvent(ctx, "f", "e", "dead", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeOver(ctx, "f", "e", "me", "someone-else", time.Hour); !errors.Is(err, state.ErrInProgress) {
		t.Errorf("takeover of a holder not seen: %v, want ErrInProgress", err)
	}
	c, err := s.TakeOver(ctx, "f", "e", "me", "dead", time.Hour)
	if err != nil || !c.Retry {
		t.Fatalf("takeover: %v (retry %v)", err, c != nil && c.Retry)
	}
	if err := c.Done(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeOver(ctx, "f", "e", "late", "me", time.Hour); !errors.Is(err, state.ErrAlreadyDone) {
		t.Errorf("takeover of a done event: %v, want ErrAlreadyDone", err)
	}
}

// Quarantining and processing are claimed apart: a malformed or foreign
// event carrying a real event's id cannot mark that one handled.
func TestQuarantineClaimIsApartFromProcessing(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	q, err := s.ClaimQuarantine(ctx, "f", "e", "req-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Done(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimQuarantine(ctx, "f", "e", "req-2", time.Hour); !errors.Is(err, state.ErrAlreadyDone) {
		t.Errorf("second quarantine of one event: %v, want ErrAlreadyDone", err)
	}
	if _, err := s.ClaimEvent(ctx, "f", "e", "req-3", time.Hour); err != nil {
		t.Errorf("processing claim after a quarantine of the same id: %v", err)
	}
}

// The done-mark tries again after a throttled call, pausing on the
// store's clock.
func TestDoneRetriesWithItsOwnBudget(t *testing.T) {
	ctx := context.Background()
	s, sim := newTestStore(t)
	c, err := s.ClaimEvent(ctx, "f", "e", "req-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sim.InjectFault(awssim.Fault{Service: awssim.ServiceDynamoDB, Operation: "UpdateItem", Code: "ThrottlingException", Count: 2 * awssim.MaxAttempts})
	if err := c.Done(ctx); err != nil {
		t.Fatalf("done after two throttled calls: %v", err)
	}
	if _, err := s.ClaimEvent(ctx, "f", "e", "req-2", time.Hour); !errors.Is(err, state.ErrAlreadyDone) {
		t.Errorf("after the done-mark: %v, want ErrAlreadyDone", err)
	}
	c2, _ := s.ClaimEvent(ctx, "f", "e2", "req-1", time.Hour)
	sim.InjectFault(awssim.Fault{Service: awssim.ServiceDynamoDB, Operation: "UpdateItem", Code: "ThrottlingException", Count: 100 * awssim.MaxAttempts})
	if err := c2.Done(ctx); err == nil {
		t.Error("a done-mark that never got through reported success")
	}
}

func TestJitterIsBoundedAndSpread(t *testing.T) {
	d := 10 * time.Second
	seen := map[time.Duration]bool{}
	for i := range 50 {
		j := state.Jitter(d, "req", i)
		if j < d/2 || j >= d {
			t.Fatalf("Jitter(%v) = %v, want within [d/2, d)", d, j)
		}
		if j != state.Jitter(d, "req", i) {
			t.Fatal("Jitter is not a function of its arguments")
		}
		seen[j] = true
	}
	if len(seen) < 40 {
		t.Errorf("only %d distinct pauses in 50 attempts: not spread", len(seen))
	}
}
