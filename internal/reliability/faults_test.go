package reliability_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/notify"
)

// faultSeeds: each scenario runs under faults with these seeds (the sim's
// fault draws follow the seed), each compared with the calm run of the
// same seed.
var faultSeeds = []uint64{1, 2, 3, 4}

// Every shipped game day with 5 % server errors and 30 % throttling on
// every call attempt of every service ends as it ends without them: the
// same findings, the same groups, the same ledger; the scenario's own
// expectations hold (except "no errors" and "no dead letters", which
// faults legitimately break: an invocation that fails is retried by
// Lambda); and no notification of the calm run is lost — it was sent, or
// the event that would have sent it is in the dead-letter queue.
func TestScenariosUnderFaults(t *testing.T) {
	// The faults were there: over all runs, about 35 % of the attempts
	// failed (5 % + 30 %), counted once every run is done.
	var mu sync.Mutex
	var attempts, failures int
	t.Cleanup(func() { stressed(t, failures, attempts) })
	for name, sc := range shipped(t) {
		for _, seed := range faultSeeds {
			t.Run(fmt.Sprintf("%s/seed=%d", name, seed), func(t *testing.T) {
				t.Parallel()
				calmWorld, calm := play(t, sc, gameday.Options{Seed: seed})
				if fails := failed(calm); len(fails) > 0 {
					t.Fatalf("the calm run fails its expectations:\n%s", strings.Join(fails, "\n"))
				}
				stormWorld, storm := play(t, sc, gameday.Options{Seed: seed, Faults: stress()})

				mu.Lock()
				attempts, failures = attempts+storm.Calls.Total, failures+storm.Calls.Errors
				mu.Unlock()
				if fails := failed(storm, "expect.noErrors", "expect.deadLetters"); len(fails) > 0 {
					t.Errorf("expectations failed under faults:\n%s", strings.Join(fails, "\n"))
				}

				// What the dead-letter queue holds, by the event it came from.
				stormEvents := eventSummaries(storm)
				deadLettered := map[string]bool{}
				for _, d := range storm.Final.DeadLetters {
					deadLettered[origin(d.Function, stormEvents[d.EventID])] = true
				}
				calmEvents := eventSummaries(calm)

				// A sweep that could not notify everything says so in its
				// digest (shared/sweep: never a silent partial run), and its
				// next run notifies what is still wrong.
				incomplete := incompleteDigests(stormWorld)

				// No notification lost.
				lost := multisetDiff(notesOf(calm.Notifications), notesOf(storm.Notifications))
				var unexplained []note
				for _, n := range lost {
					switch {
					case deadLettered[origin(n.Function, calmEvents[eventOf(calm, n)])]:
					case incomplete[n.Function] > 0:
						t.Logf("not sent, named in an incomplete digest: %s", n)
					default:
						unexplained = append(unexplained, n)
					}
				}
				if len(unexplained) > 0 {
					t.Errorf("notifications of the calm run neither sent under faults nor dead-lettered:%s", joinLines(unexplained))
				}
				if extra := multisetDiff(notesOf(storm.Notifications), notesOf(calm.Notifications)); len(extra) > 0 {
					// At least once: a failed step is reported, then done by
					// the retry. Allowed, and shown.
					t.Logf("notifications only under faults:%s", joinLines(extra))
				}

				// The same problems found: one missing under faults must come
				// from a dead-lettered event or a sweep that said it missed
				// something; none may be new.
				calmFindings, stormFindings := problemsOf(calm), problemsOf(storm)
				if extra := multisetDiff(stormFindings, calmFindings); len(extra) > 0 {
					t.Errorf("findings only under faults: %+v", extra)
				}
				for _, f := range multisetDiff(calmFindings, stormFindings) {
					fn, from := findingOrigin(calm, calmEvents, f)
					if !deadLettered[from] && incomplete[fn] == 0 {
						t.Errorf("finding %+v of the calm run missing under faults, and its event is not in the dead-letter queue", f)
					}
				}

				// The same account at the end, unless a rebalancer event is
				// in the dead-letter queue: then it is for an operator to
				// redrive, and the difference is shown.
				ignore := cmpopts.IgnoreFields(gameday.FinalGroup{}, "MinInService", "MinInServiceAt")
				report := t.Errorf
				for _, d := range storm.Final.DeadLetters {
					if d.Function == "asg-rebalancer" {
						report = t.Logf
					}
				}
				if diff := cmp.Diff(calm.Final.Groups, storm.Final.Groups, ignore); diff != "" {
					report("groups at the end (-calm +faults):\n%s", diff)
				}
				if diff := cmp.Diff(ledger(calmWorld), ledger(stormWorld)); diff != "" {
					report("rebalancer ledger at the end (-calm +faults):\n%s", diff)
				}

				for _, d := range storm.Final.DeadLetters {
					t.Logf("dead letter: %s %s %s: %s", d.Kind, d.Function, d.DetailType, firstLine(d.Reason))
				}
				t.Logf("%s seed %d: %d call attempts, %d failed by injection; %d notifications (calm %d); %d problems found (calm %d); %d dead letters",
					name, seed, storm.Calls.Total, storm.Calls.Errors, len(storm.Notifications), len(calm.Notifications),
					len(stormFindings), len(calmFindings), len(storm.Final.DeadLetters))
			})
		}
	}
}

// eventOf is the id of the event whose invocation published n first.
func eventOf(rep *gameday.Report, n note) string {
	for _, m := range rep.Notifications {
		if m.Function == n.Function && m.Kind == n.Kind && m.Subject == n.Subject {
			return m.EventID
		}
	}
	return ""
}

// findingOrigin names the function and the event whose invocation first
// notified f.
func findingOrigin(rep *gameday.Report, events map[string]string, f finding) (function, from string) {
	for _, n := range rep.Notifications {
		for _, x := range n.Findings {
			if x.Check == f.Check && anonymous(x.Resource) == f.Resource && x.Status == f.Status {
				return n.Function, origin(n.Function, events[n.EventID])
			}
		}
	}
	return "", ""
}

// incompleteDigests counts, per function, the digests published that say
// the run did not cover everything.
func incompleteDigests(w *gameday.World) map[string]int {
	out := map[string]int{}
	for _, m := range w.Sim.Published() {
		var parts struct {
			Default string `json:"default"`
		}
		var msg notify.Message
		if json.Unmarshal([]byte(m.Message), &parts) != nil || json.Unmarshal([]byte(parts.Default), &msg) != nil {
			continue
		}
		if msg.Kind == notify.KindDigest && msg.Digest != nil && !msg.Digest.Complete {
			out[msg.Function]++
		}
	}
	return out
}

// ledger is the rebalancer's durable memory at the end: evacuation records
// and the breaker's state, by key.
func ledger(w *gameday.World) []string {
	var out []string
	for _, it := range w.Sim.DynamoDBItems(w.Env.Region, simenv.TableName) {
		pk, sk := attrString(it["pk"]), attrString(it["sk"])
		if strings.HasPrefix(pk, "evac#") || (pk == "breaker" && sk == "state") {
			out = append(out, pk+" "+sk)
		}
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func attrString(v ddbtypes.AttributeValue) string {
	if s, ok := v.(*ddbtypes.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
