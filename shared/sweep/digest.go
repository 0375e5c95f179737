package sweep

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/selfheal/selfheal/shared/notify"
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

// buildDigest summarizes a run: counts per check and status, the worst
// resources (each once, by its worst finding), what was resolved, and
// what was and was not covered.
func buildDigest(findings, resolved []notify.Finding, led *ledger) notify.Digest {
	d := notify.Digest{
		Counts:     map[string]map[notify.Status]int{},
		Worst:      []notify.Finding{},
		Resolved:   []notify.Finding{},
		Covered:    led.coveredLines(),
		NotCovered: led.gapLines(),
		Complete:   led.complete(),
	}
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

// headline is the digest's subject line: what ran, how it went.
func headline(regions []string, d notify.Digest) string {
	n := map[notify.Status]int{}
	for _, byStatus := range d.Counts {
		for st, c := range byStatus {
			n[st] += c
		}
	}
	var parts []string
	for _, st := range []notify.Status{notify.StatusFail, notify.StatusError, notify.StatusWarn} {
		if n[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	verdict := strings.Join(parts, ", ")
	if verdict == "" {
		verdict = "all clear"
	}
	h := fmt.Sprintf("Sweep %s: %s", strings.Join(regions, ", "), verdict)
	if !d.Complete {
		h = fmt.Sprintf("INCOMPLETE sweep %s: %s, %d not covered", strings.Join(regions, ", "), verdict, len(d.NotCovered))
		if len(parts) == 0 {
			h = fmt.Sprintf("INCOMPLETE sweep %s: nothing failed in what was covered, %d not covered", strings.Join(regions, ", "), len(d.NotCovered))
		}
	}
	return h
}
