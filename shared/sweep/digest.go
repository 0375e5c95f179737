package sweep

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// What a digest lists at most: the rest is in the counts.
const (
	maxWorst    = 20
	maxResolved = 50
)

var statusRank = map[notify.Status]int{notify.StatusWarn: 1, notify.StatusError: 2, notify.StatusFail: 3}

var severityRank = map[notify.Severity]int{
	notify.SeverityLow: 1, notify.SeverityMedium: 2, notify.SeverityHigh: 3, notify.SeverityCritical: 4,
}

// worse orders findings worst first: status, then severity, then by check
// and resource so that a digest reads the same from run to run.
func worse(a, b notify.Finding) int {
	return cmp.Or(
		cmp.Compare(statusRank[b.Status], statusRank[a.Status]),
		cmp.Compare(severityRank[b.Severity], severityRank[a.Severity]),
		cmp.Compare(a.Check, b.Check),
		cmp.Compare(a.Resource, b.Resource),
	)
}

// buildDigest summarizes a run and where things stand: counts per check
// and status of what it found, the worst resources (each once, by its
// worst finding), what it notified as new and what was resolved, what was
// and was not covered, and every failure still open — those the state
// table holds (found by this run, an earlier one or an event) and any this
// run found but could not record, which are open all the same.
func buildDigest(findings []notify.Finding, rep reported, open []state.OpenFailure, led *ledger) notify.Digest {
	d := notify.Digest{
		Counts:     map[string]map[notify.Status]int{},
		Worst:      []notify.Finding{},
		Resolved:   []notify.Finding{},
		Covered:    led.coveredLines(),
		NotCovered: led.gapLines(),
		Complete:   led.complete(),
		New:        append([]notify.Finding{}, rep.news...),
	}
	d.Open, d.OpenCounts = notify.OpenFailures(withUnrecorded(open, findings))
	slices.SortFunc(d.New, worse)
	d.New = d.New[:min(len(d.New), notify.MaxDigestOpen)]
	resolved := rep.resolved
	worst := map[string]notify.Finding{}
	for _, f := range findings {
		if d.Counts[f.Check] == nil {
			d.Counts[f.Check] = map[notify.Status]int{}
		}
		d.Counts[f.Check][f.Status]++
		if !f.Status.Bad() {
			continue
		}
		if w, ok := worst[f.Resource]; !ok || worse(f, w) < 0 {
			worst[f.Resource] = f
		}
	}
	for _, f := range worst {
		d.Worst = append(d.Worst, f)
	}
	slices.SortFunc(d.Worst, worse)
	d.Worst = d.Worst[:min(len(d.Worst), maxWorst)]
	d.Resolved = append(d.Resolved, resolved...)
	slices.SortFunc(d.Resolved, func(a, b notify.Finding) int {
		return cmp.Or(cmp.Compare(a.Check, b.Check), cmp.Compare(a.Resource, b.Resource))
	})
	d.Resolved = d.Resolved[:min(len(d.Resolved), maxResolved)]
	return d
}

// withUnrecorded adds to the open failures of the state table the
// problems this run found that it holds no record of (their report
// failed): they stand all the same.
func withUnrecorded(open []state.OpenFailure, findings []notify.Finding) []state.OpenFailure {
	type key struct{ check, resource string }
	known := make(map[key]bool, len(open))
	for _, o := range open {
		known[key{o.Check, o.Resource}] = true
	}
	out := slices.Clone(open)
	for _, f := range findings {
		if !f.Status.Bad() || known[key{f.Check, f.Resource}] {
			continue
		}
		known[key{f.Check, f.Resource}] = true
		o := state.OpenFailure{
			Check: f.Check, Resource: f.Resource, ResourceType: f.ResourceType, Account: f.Account, Region: f.Region,
			Status: string(f.Status), Severity: string(f.Severity), Summary: f.Summary,
		}
		if p := f.ProtectedResource; p != nil {
			o.Protected = state.Protected{Type: p.Type, Name: p.Name, ARN: p.ARN}
		}
		out = append(out, o)
	}
	return out
}

func total(counts map[notify.Status]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// headline is the digest's subject line: where it ran, and where things
// stand. It says "all clear" only when nothing is open and everything was
// covered.
func headline(regions []string, d notify.Digest) string {
	where := strings.Join(regions, ", ")
	open := notify.CountStatuses(d.OpenCounts)
	switch {
	case !d.Complete && open == "":
		return fmt.Sprintf("INCOMPLETE sweep %s: nothing open in what was covered, %d not covered", where, len(d.NotCovered))
	case !d.Complete:
		return fmt.Sprintf("INCOMPLETE sweep %s: %s open, %d new, %d not covered", where, open, len(d.New), len(d.NotCovered))
	case open == "":
		return fmt.Sprintf("Sweep %s: all clear", where)
	}
	return fmt.Sprintf("Sweep %s: %s open, %d new", where, open, len(d.New))
}

// Worse orders findings worst first, as a digest lists them.
func Worse(a, b notify.Finding) int { return worse(a, b) }
