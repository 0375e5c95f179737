//go:build e2e

package e2e_test

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfheal/selfheal/e2e/motoserver"
	"github.com/selfheal/selfheal/internal/lambdarie"
)

// report gathers what the suite did, printed after the tests.
var report = &summary{}

type summary struct {
	mu          sync.Mutex
	deployment  *deployment
	invocations []invocation
	matcher     matcherTally
	state       []stateRun
	notes       []string
}

type invocation struct {
	Function, Event string
	Took            time.Duration
	Outcome         string
}

type matcherTally struct {
	Patterns, Samples, Mutated, Cases, Agree int
	Disagreements                            []disagreement
}

type stateRun struct {
	Backend       string
	Tests, Failed int
	Took          time.Duration
}

func (s *summary) setDeployment(d *deployment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deployment = d
}

func (s *summary) invoked(inv invocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invocations = append(s.invocations, inv)
}

func (s *summary) setMatcher(m matcherTally) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.matcher = m
}

func (s *summary) stateRan(r stateRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = append(s.state, r)
}

// note adds a line to the summary's notes (moto's gaps met on the way).
func (s *summary) note(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := fmt.Sprintf(format, args...)
	if !slices.Contains(s.notes, line) {
		s.notes = append(s.notes, line)
	}
}

// callers names the access keys of the suite's callers.
var callers = map[string]string{keyFunctions: "functions", keyCDK: "CDK CLI", keyHarness: "test harness"}

func (s *summary) print(w io.Writer, log *motoserver.Log, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, "\nselfheal end to end on moto_server %s — %s\n", motoserver.Version, took.Round(100*time.Millisecond))

	if d := s.deployment; d != nil {
		byType := map[string]int{}
		modelled := 0
		for _, r := range d.Resources {
			if aws.ToString(r.ResourceType) != "" {
				modelled++
				byType[aws.ToString(r.ResourceType)]++
			}
		}
		fmt.Fprintf(w, "\nDEPLOYED (cdk bootstrap + cdk deploy in %s): stack %s, %d resources in the template, %d created by moto, %d accepted without a model (%s)\n",
			d.Took.Round(100*time.Millisecond), stackName, len(d.Template.Resources), modelled, len(d.Resources)-modelled, strings.Join(unmodelledTypes, ", "))
		fmt.Fprintf(w, "  %s\n", joinCounts(byType))
	}

	if len(s.invocations) > 0 {
		fmt.Fprintf(w, "\nINVOKED over the Runtime API (Lambda Runtime Interface Emulator %s): %d invocations\n", lambdarie.Version, len(s.invocations))
		for _, inv := range s.invocations {
			fmt.Fprintf(w, "  %-18s %-44s %7s  %s\n", inv.Function, inv.Event, inv.Took.Round(time.Millisecond), inv.Outcome)
		}
	}

	calls := log.Calls(nil)
	fixtures := 0
	byCaller := map[string]map[string]int{}
	for _, c := range calls {
		if c.Fixture {
			fixtures++
		}
		who := callers[c.Caller]
		if who == "" {
			// Credentials moto's STS issued: the CLI's assumed
			// deploy, publishing and lookup roles.
			who = "CDK CLI's roles"
		}
		if byCaller[who] == nil {
			byCaller[who] = map[string]int{}
		}
		byCaller[who][c.Service]++
	}
	fmt.Fprintf(w, "\nAWS CALLS over HTTP through the proxy: %d (%d answered by fixtures for moto's gaps)\n", len(calls), fixtures)
	for _, who := range []string{"functions", "CDK CLI", "CDK CLI's roles", "test harness"} {
		if m := byCaller[who]; m != nil {
			n := 0
			for _, v := range m {
				n += v
			}
			fmt.Fprintf(w, "  %-13s %5d  %s\n", who, n, joinCounts(m))
		}
	}
	spent := map[string]time.Duration{}
	n := map[string]int{}
	for _, c := range calls {
		k := c.Service + "." + c.Operation
		spent[k] += c.Took
		n[k]++
	}
	var slow []string
	for k := range spent {
		slow = append(slow, k)
	}
	sort.Slice(slow, func(i, j int) bool { return spent[slow[i]] > spent[slow[j]] })
	var parts []string
	for _, k := range slow[:min(6, len(slow))] {
		parts = append(parts, fmt.Sprintf("%s %d in %s", k, n[k], spent[k].Round(time.Millisecond)))
	}
	fmt.Fprintf(w, "  most time in: %s\n", strings.Join(parts, ", "))
	var fnOps []string
	for _, c := range motoserver.Counts(log.Calls(func(c motoserver.Call) bool { return c.Caller == keyFunctions })) {
		fnOps = append(fnOps, fmt.Sprintf("%s.%s %d", c.Service, c.Operation, c.Calls))
	}
	if len(fnOps) > 0 {
		fmt.Fprintf(w, "  functions' operations: %s\n", strings.Join(fnOps, ", "))
	}

	if m := s.matcher; m.Cases > 0 {
		fmt.Fprintf(w, "\nMATCHER (shared/eventbridge) vs moto's rules: %d cases (%d patterns × %d samples + %d mutated events), %d agree, %d disagree\n",
			m.Cases, m.Patterns, m.Samples, m.Mutated, m.Agree, len(m.Disagreements))
		for _, d := range m.Disagreements {
			fmt.Fprintf(w, "  %s × %s: ours %v, moto %v — %s\n", d.Pattern, d.Event, d.Ours, d.Moto, d.Resolution)
		}
	}

	for _, r := range s.state {
		fmt.Fprintf(w, "\nSTATE shared/state's story (claims, ledger, breaker, findings + open index, outbox, copies) on %s: %d steps, %d outcomes differ, %s on moto\n", r.Backend, r.Tests, r.Failed, r.Took.Round(100*time.Millisecond))
	}

	if len(s.notes) > 0 {
		fmt.Fprintf(w, "\nMOTO'S GAPS met (fixtures and pinned divergences)\n")
		for _, n := range s.notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	fmt.Fprintln(w)
}

func joinCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func sortStrings(s []string) { slices.Sort(s) }

// disagreement is a case where the matcher and moto's TestEventPattern
// answer differently, with the EventBridge documentation's answer.
type disagreement struct {
	Pattern, Event string
	Ours, Moto     bool
	Resolution     string
}
