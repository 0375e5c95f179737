package reliability_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/shared/awssim"
)

// The storm: faults and duplicates at once, as production meets them.
// Every shipped game day, with 30 % throttling and 5 % server errors on
// every call attempt and every event delivered three times, ends as its
// calm run does: no event in the dead-letter queue (a handled event never
// is, and none here is unhandleable), the same problems found, each action
// taken and reported once, the same groups and ledger at the end.
// Notifications are at least once: a message published before its state
// could be saved may go out again on the retry, and a sweep cut short by
// faults says so and reports what it missed on its next run; both are
// shown, not failed.
func TestScenariosInTheStorm(t *testing.T) {
	var (
		mu                                      sync.Mutex
		runs, attempts, failures, dups, letters int
	)
	t.Cleanup(func() {
		t.Logf("storm: %d runs, %d duplicate deliveries absorbed, %d dead letters", runs, dups, letters)
		stressed(t, failures, attempts)
		if dups == 0 {
			t.Error("no duplicate delivery in the storm")
		}
	})
	for name, sc := range shipped(t) {
		for _, seed := range faultSeeds {
			t.Run(fmt.Sprintf("%s/seed=%d", name, seed), func(t *testing.T) {
				t.Parallel()
				calmWorld, calm := play(t, sc, gameday.Options{Seed: seed})
				if fails := failed(calm); len(fails) > 0 {
					t.Fatalf("the calm run fails its expectations:\n%s", strings.Join(fails, "\n"))
				}
				stormWorld, storm := play(t, sc, gameday.Options{Seed: seed, Faults: stress(), Duplicates: 3})

				duplicates := 0
				for _, e := range storm.Timeline {
					if e.Invocation != nil && e.Invocation.Status == "duplicate" {
						duplicates++
					}
				}
				injected := injectedFailures(stormWorld)
				mu.Lock()
				runs++
				attempts, failures = attempts+storm.Calls.Total, failures+injected
				dups += duplicates
				letters += len(storm.Final.DeadLetters)
				mu.Unlock()

				for _, d := range storm.Final.DeadLetters {
					t.Errorf("dead letter: %s %s %s: %s", d.Kind, d.Function, d.DetailType, firstLine(d.Reason))
				}
				if fails := failed(storm, "expect.noErrors"); len(fails) > 0 {
					t.Errorf("expectations failed in the storm:\n%s", strings.Join(fails, "\n"))
				}
				incomplete := incompleteDigests(stormWorld)
				calmFindings, stormFindings := problemsOf(calm), problemsOf(storm)
				if extra := multisetDiff(stormFindings, calmFindings); len(extra) > 0 {
					t.Errorf("findings only in the storm: %+v", extra)
				}
				if missing := multisetDiff(calmFindings, stormFindings); len(missing) > 0 && incomplete["compliance-sweep"] == 0 {
					t.Errorf("findings of the calm run missing in the storm: %+v", missing)
				}
				sameActionsAndAccount(t, "storm", calmWorld, calm, stormWorld, storm)
				if lost := multisetDiff(notesOf(calm.Notifications), notesOf(storm.Notifications)); len(lost) > 0 && incomplete["compliance-sweep"] == 0 {
					t.Errorf("notifications of the calm run not sent in the storm:%s", joinLines(lost))
				}
				if extra := multisetDiff(notesOf(storm.Notifications), notesOf(calm.Notifications)); len(extra) > 0 {
					t.Logf("notifications only in the storm (at least once):%s", joinLines(extra))
				}
				t.Logf("%s seed %d: %d call attempts, %d failed by injection; %d duplicates absorbed; %d notifications (calm %d); %d dead letters",
					name, seed, storm.Calls.Total, injected, duplicates, len(storm.Notifications), len(calm.Notifications), len(storm.Final.DeadLetters))
			})
		}
	}
}

// sameActionsAndAccount: each action of the calm run was taken and
// reported once in the other run, whose groups and rebalancer ledger end
// as the calm run's.
func sameActionsAndAccount(t *testing.T, what string, calmWorld *gameday.World, calm *gameday.Report, w *gameday.World, rep *gameday.Report) {
	t.Helper()
	if diff := cmp.Diff(actionsOf(calm), actionsOf(rep), sorted); diff != "" {
		t.Errorf("actions (-calm +%s): each must be taken and reported once:\n%s", what, diff)
	}
	ignore := cmpopts.IgnoreFields(gameday.FinalGroup{}, "MinInService", "MinInServiceAt")
	if diff := cmp.Diff(calm.Final.Groups, rep.Final.Groups, ignore); diff != "" {
		t.Errorf("groups at the end (-calm +%s):\n%s", what, diff)
	}
	if diff := cmp.Diff(ledger(calmWorld), ledger(w)); diff != "" {
		t.Errorf("rebalancer ledger at the end (-calm +%s):\n%s", what, diff)
	}
}

// injectedFailures counts the call attempts of a run that failed by
// injection (a server error or a throttle), leaving out the refusals the
// run meets on its own, such as the conditional writes duplicates lose.
func injectedFailures(w *gameday.World) int {
	n := 0
	for _, c := range w.Sim.CallsSince(w.CallBase) {
		var apiErr smithy.APIError
		if errors.As(c.Err, &apiErr) && (apiErr.ErrorCode() == "InternalFailure" || apiErr.ErrorCode() == throttleCodes[c.Service]) {
			n++
		}
	}
	return n
}

// firstMarksLost makes the first delivery of every event unable to mark
// it handled: every try of its done-mark (shared/state's Claim.Done)
// fails, while the deliveries that take the event over later mark it. It
// watches every DynamoDB call: claims (PutItem, sort key "claim") are
// counted per event, done-marks (UpdateItem setting :done) fail while
// only one delivery has claimed the event. The sim applies faults under
// its lock, so the counts need none.
func firstMarksLost() func(in any) bool {
	claims := map[string]int{}
	return func(in any) bool {
		switch in := in.(type) {
		case *dynamodb.PutItemInput:
			if sk, _ := in.Item["sk"].(*ddbtypes.AttributeValueMemberS); sk != nil && sk.Value == "claim" {
				pk, _ := in.Item["pk"].(*ddbtypes.AttributeValueMemberS)
				claims[pk.Value]++
			}
		case *dynamodb.UpdateItemInput:
			sk, _ := in.Key["sk"].(*ddbtypes.AttributeValueMemberS)
			pk, _ := in.Key["pk"].(*ddbtypes.AttributeValueMemberS)
			_, done := in.ExpressionAttributeValues[":done"]
			return sk != nil && sk.Value == "claim" && done && claims[pk.Value] <= 1
		}
		return false
	}
}

// Lost done-marks with duplicates: every event's first delivery does the
// work but can never mark it handled, and every event comes three times.
// The duplicates find it held by a delivery that has finished; they wait
// for its hold to lapse (the one-at-a-time rebalancer takes it over at
// once), do the work again, which finds nothing left to do, and mark it.
// No event reaches the dead-letter queue, no action is taken or reported
// twice, and the account ends as in the calm run.
func TestLostDoneMarksNeverDeadLetter(t *testing.T) {
	for name, sc := range shipped(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			calmWorld, calm := play(t, sc, gameday.Options{})
			lost := awssim.Fault{Service: awssim.ServiceDynamoDB, Code: "ThrottlingException", Probability: 1, Input: firstMarksLost()}
			lostWorld, lossy := play(t, sc, gameday.Options{Faults: []awssim.Fault{lost}, Duplicates: 3})
			for _, d := range lossy.Final.DeadLetters {
				t.Errorf("dead letter: %s %s %s: %s", d.Kind, d.Function, d.DetailType, firstLine(d.Reason))
			}
			sameActionsAndAccount(t, "lost done-marks", calmWorld, calm, lostWorld, lossy)
			if extra := multisetDiff(problemsOf(lossy), problemsOf(calm)); len(extra) > 0 {
				t.Errorf("findings only with lost done-marks: %+v", extra)
			}
			if missing := multisetDiff(problemsOf(calm), problemsOf(lossy)); len(missing) > 0 {
				t.Errorf("findings missing with lost done-marks: %+v", missing)
			}
			waited := 0
			for _, e := range lossy.Timeline {
				if e.Invocation != nil && strings.Contains(string(e.Invocation.Log), "waitedForHolder") {
					waited++
				}
			}
			t.Logf("%s: %d invocations waited for a holder; %d notifications (calm %d); %d dead letters",
				name, waited, len(lossy.Notifications), len(calm.Notifications), len(lossy.Final.DeadLetters))
		})
	}
}
