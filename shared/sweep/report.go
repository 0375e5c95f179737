package sweep

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// batch is the findings one Report carries: one region's findings about
// one type of resource. Someone on call gets at most one message of new
// problems and one of resolved ones per batch, whose subject names the
// worst ("FAIL recovery point …: … (+41 more)"), instead of one per
// resource; and since a resource's findings are all in one batch, no two
// concurrent Reports write the same resource's state.
type batch struct {
	region       string
	resourceType string
	findings     []notify.Finding
}

// batches groups findings by region and resource type, in a stable order.
func batches(fs []notify.Finding) []batch {
	type key struct{ region, resourceType string }
	home := map[string]key{} // resource → its batch
	byKey := map[key]*batch{}
	var keys []key
	for _, f := range fs {
		k, ok := home[f.Resource]
		if !ok {
			k = key{f.Region, f.ResourceType}
			home[f.Resource] = k
		}
		b := byKey[k]
		if b == nil {
			b = &batch{region: k.region, resourceType: k.resourceType}
			byKey[k] = b
			keys = append(keys, k)
		}
		b.findings = append(b.findings, f)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.region, b.region), cmp.Compare(a.resourceType, b.resourceType))
	})
	out := make([]batch, 0, len(keys))
	for _, k := range keys {
		b := byKey[k]
		slices.SortStableFunc(b.findings, func(x, y notify.Finding) int { return cmp.Compare(x.Resource, y.Resource) })
		out = append(out, *b)
	}
	return out
}

type reported struct {
	sent     int
	resolved []notify.Finding
}

// report sends every finding through the dedupe the event path uses: a
// problem is notified when it is new, changes or is due for a reminder,
// and a notified problem that is gone is resolved. Batches go out at once,
// up to the sweep's concurrency.
func (s *Sweeper) report(ctx context.Context, b *budget, led *ledger, findings []notify.Finding, ev eventbridge.Event, account string) reported {
	var (
		mu  sync.Mutex
		out reported
	)
	each(max(s.policy.Sweep.Concurrency, 1), batches(findings), func(bt batch) {
		if b.reportOver() {
			led.missedN(bt.region, partNotify, len(bt.findings), []string{bt.resourceType}, errOutOfTime)
			return
		}
		msg := notify.Message{
			Kind: notify.KindFindings, Function: s.function, EventType: EventType, EventID: ev.Envelope.ID,
			Account: account, Region: bt.region, Time: s.now(), Findings: bt.findings,
		}
		res, err := s.notifier.Report(ctx, msg)
		if errors.Is(err, state.ErrConflict) {
			// The event path wrote one of these resources meanwhile:
			// decide again on what it wrote.
			var again notify.Result
			again, err = s.notifier.Report(ctx, msg)
			res.Sent, res.Resolved = append(res.Sent, again.Sent...), append(res.Resolved, again.Resolved...)
		}
		mu.Lock()
		out.sent += len(res.Sent)
		out.resolved = append(out.resolved, res.Resolved...)
		mu.Unlock()
		if err != nil {
			led.missedN(bt.region, partNotify, len(bt.findings), []string{bt.resourceType}, err)
		}
	})
	return out
}
