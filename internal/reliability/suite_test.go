package reliability_test

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/cmd/selfheal/scenarios"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/notify"
)

var ctx = context.Background()

// shipped parses every game day shipped in the binary, by name.
func shipped(t *testing.T) map[string]*scenario.Scenario {
	t.Helper()
	out := map[string]*scenario.Scenario{}
	for _, name := range scenarios.Names() {
		data, err := scenarios.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scenario.Parse(data, gameday.ParseOptions(name, name, ""))
		if err != nil {
			t.Fatalf("scenario %s: %v", name, err)
		}
		out[name] = sc
	}
	if len(out) == 0 {
		t.Fatal("no scenario shipped")
	}
	return out
}

// play runs a scenario and keeps its world, to look at the account after.
func play(t *testing.T, sc *scenario.Scenario, opts gameday.Options) (*gameday.World, *gameday.Report) {
	t.Helper()
	w, err := gameday.Build(ctx, sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w, rep
}

// Services the sim answers for, each with the code it throttles with.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
var throttleCodes = map[string]string{
	awssim.ServiceEC2:         "RequestLimitExceeded",
	awssim.ServiceAutoScaling: "Throttling",
	awssim.ServiceRDS:         "Throttling",
	awssim.ServiceCloudWatch:  "Throttling",
	awssim.ServiceSNS:         "Throttling",
	awssim.ServiceSQS:         "RequestThrottled",
	awssim.ServiceBackup:      "ThrottlingException",
	awssim.ServiceDynamoDB:    "ThrottlingException",
	awssim.ServiceHealth:      "ThrottlingException",
}

const (
	serverErrorRate = 0.05
	throttleRate    = 0.30
)

// stress is the fault load: on every call attempt of every
// service, 5 % server errors (500 InternalFailure) and 30 % throttling
// with the service's own code. The sim tries fault rules in order, so the
// throttling rule draws only on attempts the server-error rule spared.
func stress() []awssim.Fault {
	var faults []awssim.Fault
	for _, svc := range slices.Sorted(maps.Keys(throttleCodes)) {
		faults = append(faults,
			awssim.Fault{Service: svc, Code: "InternalFailure", Probability: serverErrorRate},
			awssim.Fault{Service: svc, Code: throttleCodes[svc], Probability: throttleRate / (1 - serverErrorRate)},
		)
	}
	return faults
}

// stressed checks that the faults were there: over all runs, about 35 %
// of at least 1,000 call attempts failed by injection (5 % + 30 %).
func stressed(t *testing.T, failures, attempts int) {
	t.Helper()
	rate := float64(failures) / float64(max(attempts, 1))
	t.Logf("faults: %d of %d call attempts failed (%.1f %%)", failures, attempts, 100*rate)
	if attempts < 1000 || rate < 0.32 || rate > 0.38 {
		t.Errorf("%d of %d call attempts failed (%.1f %%), want about 35 %% of at least 1,000", failures, attempts, 100*rate)
	}
}

// failed lists the expectations that did not hold, leaving out those
// named in except (by path).
func failed(rep *gameday.Report, except ...string) []string {
	var out []string
	for _, f := range rep.Failures() {
		if slices.Contains(except, f.Path) {
			continue
		}
		out = append(out, f.Path+": "+f.Detail)
	}
	return out
}

// note is one notification as a person reads it: who sent it, what kind,
// what subject. Ids and times differ between runs; these do not.
type note struct {
	Function string
	Kind     notify.Kind
	Subject  string
}

func (n note) String() string { return fmt.Sprintf("%s %s %q", n.Function, n.Kind, n.Subject) }

func notesOf(ns []gameday.Notification) []note {
	out := make([]note, len(ns))
	for i, n := range ns {
		out[i] = noteOf(n)
	}
	return out
}

// noteOf identifies a notification across runs. A digest is one per sweep
// run whatever it says: what it counts is compared as findings.
func noteOf(n gameday.Notification) note {
	if n.Kind == notify.KindDigest {
		return note{Function: n.Function, Kind: n.Kind}
	}
	return note{Function: n.Function, Kind: n.Kind, Subject: anonymous(n.Subject)}
}

// generatedID matches the ids the sim draws from its seeded generator
// (recovery points, jobs, instances): two runs that draw differently name
// the same resource differently.
var generatedID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\bi-[0-9a-f]{17}\b`)

func anonymous(s string) string { return generatedID.ReplaceAllString(s, "<id>") }

// finding is a (check, resource) with the status last notified, its
// resource id made comparable across runs.
type finding struct {
	Check, Resource string
	Status          notify.Status
}

// problemsOf lists the problems notified (FAIL, WARN, ERROR), by their
// last status. Passing findings ride along in whichever event's message
// carried a problem first, so which of two backup jobs' PASSes were sent
// depends on delivery order; a resolved problem shows as its resolution
// message among the notifications.
func problemsOf(rep *gameday.Report) []finding {
	var out []finding
	for _, f := range rep.Findings {
		if !f.Status.Bad() {
			continue
		}
		out = append(out, finding{Check: f.Check, Resource: anonymous(f.Resource), Status: f.Status})
	}
	return out
}

// eventSummaries maps each delivered event id to what it was about, in
// words that do not depend on the run (DescribeEvent: kind and fields).
func eventSummaries(rep *gameday.Report) map[string]string {
	out := map[string]string{}
	for _, e := range rep.Timeline {
		if e.Kind == gameday.EntryInvocation && e.EventID != "" {
			out[e.EventID] = e.Summary
		}
	}
	return out
}

// origin names the event a notification or dead letter came from, the
// same way in two runs: the function and what the event was about.
func origin(function, summary string) string { return function + " ← " + summary }

// multisetDiff returns what is in want and not in got, counting repeats.
func multisetDiff[T comparable](want, got []T) []T {
	left := map[T]int{}
	for _, g := range got {
		left[g]++
	}
	var missing []T
	for _, w := range want {
		if left[w] > 0 {
			left[w]--
			continue
		}
		missing = append(missing, w)
	}
	return missing
}

func joinLines[T fmt.Stringer](xs []T) string {
	var b strings.Builder
	for _, x := range xs {
		b.WriteString("\n\t")
		b.WriteString(x.String())
	}
	return b.String()
}
