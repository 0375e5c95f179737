package notify

import (
	"cmp"
	"slices"

	"github.com/selfheal/selfheal/shared/state"
)

// OpenFailures turns the state table's open failures into a digest's:
// the worst and oldest first, at most MaxDigestOpen of them, and the
// counts of all by status.
func OpenFailures(open []state.OpenFailure) ([]OpenFailure, map[Status]int) {
	counts := map[Status]int{}
	out := make([]OpenFailure, 0, len(open))
	for _, o := range open {
		f := OpenFailure{
			Check: o.Check, Status: Status(o.Status), Severity: Severity(o.Severity), Resource: o.Resource,
			ResourceType: o.ResourceType, Account: o.Account, Region: o.Region, Summary: o.Summary,
			First: o.First, LastNotified: o.LastNotified, Notified: o.Notified,
		}
		if p := o.Protected; p.ARN != "" || p.Name != "" {
			f.ProtectedResource = &ProtectedResource{Type: p.Type, Name: p.Name, ARN: p.ARN}
		}
		counts[f.Status]++
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b OpenFailure) int {
		return cmp.Or(
			cmp.Compare(statusRank[b.Status], statusRank[a.Status]),
			cmp.Compare(severityRank[b.Severity], severityRank[a.Severity]),
			a.First.Compare(b.First),
			cmp.Compare(a.Resource, b.Resource),
			cmp.Compare(a.Check, b.Check),
		)
	})
	return out[:min(len(out), MaxDigestOpen)], counts
}
