package state_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/state"
)

func TestBreakerCountsEvacuationsInItsWindow(t *testing.T) {
	s, sim, _ := newStore(t)
	const window = time.Hour
	b, err := s.LoadBreaker(ctx, window)
	if err != nil || b.Exists || b.Status != state.BreakerClosed {
		t.Fatalf("fresh breaker: %+v err=%v", b, err)
	}
	if err := s.EnsureBreaker(ctx, sim.Now()); err != nil {
		t.Fatal(err)
	}
	e := state.BreakerEvacuation{At: sim.Now(), Group: "web", AZ: "us-east-1a"}
	for range 2 { // a retry counts once
		if err := s.CountEvacuation(ctx, e, window); err != nil {
			t.Fatal(err)
		}
	}
	sim.Advance(40 * time.Minute)
	if err := s.CountEvacuation(ctx, state.BreakerEvacuation{At: sim.Now(), Group: "api", AZ: "us-east-1a"}, window); err != nil {
		t.Fatal(err)
	}
	if b, _ = s.LoadBreaker(ctx, window); len(b.Evacuations) != 2 {
		t.Errorf("counted %d evacuations, want 2: %+v", len(b.Evacuations), b.Evacuations)
	}
	sim.Advance(30 * time.Minute)
	if b, _ = s.LoadBreaker(ctx, window); len(b.Evacuations) != 1 || b.Evacuations[0].Group != "api" {
		t.Errorf("after the first left the window: %+v", b.Evacuations)
	}
}

func TestBreakerOpensOnceAndClosesByTime(t *testing.T) {
	s, sim, _ := newStore(t)
	const window = time.Hour
	until := sim.Now().Add(window)
	if opened, err := s.OpenBreaker(ctx, until, "too many"); err != nil || !opened {
		t.Fatalf("open: %v %v", opened, err)
	}
	if opened, _ := s.OpenBreaker(ctx, until, "again"); opened {
		t.Error("opened twice: the second invocation would announce it again")
	}
	b, _ := s.LoadBreaker(ctx, window)
	if b.Status != state.BreakerOpen || !b.OpenUntil.Equal(until) || b.Reason != "too many" {
		t.Errorf("open breaker reads %+v", b)
	}
	if closed, _ := s.CloseBreaker(ctx); closed {
		t.Error("closed before its time")
	}
	if err := s.CountEvacuation(ctx, state.BreakerEvacuation{At: sim.Now(), Group: "web", AZ: "us-east-1a"}, 2*window); err != nil {
		t.Fatal(err)
	}
	sim.Advance(window)
	if closed, err := s.CloseBreaker(ctx); err != nil || !closed {
		t.Fatalf("close when its time is up: %v %v", closed, err)
	}
	if closed, _ := s.CloseBreaker(ctx); closed {
		t.Error("closed twice")
	}
	b, _ = s.LoadBreaker(ctx, 2*window)
	if b.Status != state.BreakerClosed || len(b.Evacuations) != 0 {
		t.Errorf("after closing: %+v, want closed and counting afresh", b)
	}
}

// The documented way for a human to close the breaker: delete its state
// item. Nothing recorded before counts afterwards.
func TestBreakerClosedByAHuman(t *testing.T) {
	s, sim, db := newStore(t)
	const window = time.Hour
	if err := s.EnsureBreaker(ctx, sim.Now()); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"a", "b", "c"} {
		if err := s.CountEvacuation(ctx, state.BreakerEvacuation{At: sim.Now(), Group: g, AZ: "us-east-1a"}, window); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.OpenBreaker(ctx, sim.Now().Add(window), "too many"); err != nil {
		t.Fatal(err)
	}
	sim.Advance(time.Minute)
	_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(simenv.TableName),
		Key: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: "breaker"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "state"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.LoadBreaker(ctx, window)
	if b.Status != state.BreakerClosed || b.Exists || len(b.Evacuations) != 0 {
		t.Fatalf("after the human deleted the state: %+v", b)
	}
	sim.Advance(time.Minute)
	if err := s.EnsureBreaker(ctx, sim.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.CountEvacuation(ctx, state.BreakerEvacuation{At: sim.Now(), Group: "d", AZ: "us-east-1b"}, window); err != nil {
		t.Fatal(err)
	}
	if b, _ = s.LoadBreaker(ctx, window); len(b.Evacuations) != 1 || b.Evacuations[0].Group != "d" {
		t.Errorf("counted %+v, want only the evacuation after the reset", b.Evacuations)
	}
}
