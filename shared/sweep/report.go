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

// chunkResources is how many resources one Report carries at most. The
// dedupe costs one batched read per 100 resources and a write per resource
// whose states changed; chunks let reports run up to the sweep's
// concurrency at once, and let a run short of time stop between chunks.
const chunkResources = 500

// batch is the findings one Report carries: one region's findings about
// one type of resource, all the findings of each of its resources (so no
// two concurrent Reports write the same resource's state). Someone on call
// gets one message of new problems per region and resource type, whose
// subject names the worst ("FAIL recovery point …: … (+41 more)"), instead
// of one per resource: resources with problems go first and fill the first
// chunk, so a second message comes only when more than chunkResources
// resources of a type turn bad at once.
type batch struct {
	region       string
	resourceType string
	bad          bool // some finding needs attention
	findings     []notify.Finding
}

// batches groups findings by region and resource type, in chunks of at
// most chunkResources resources, those with problems first: in a run short
// of time the news goes out before the confirmations.
func batches(fs []notify.Finding) []batch {
	type key struct{ region, resourceType string }
	type resource struct {
		arn      string
		bad      bool
		findings []notify.Finding
	}
	home := map[string]key{} // resource → its group
	groups := map[key]map[string]*resource{}
	var keys []key
	for _, f := range fs {
		k, ok := home[f.Resource]
		if !ok {
			k = key{f.Region, f.ResourceType}
			home[f.Resource] = k
		}
		g := groups[k]
		if g == nil {
			g = map[string]*resource{}
			groups[k] = g
			keys = append(keys, k)
		}
		r := g[f.Resource]
		if r == nil {
			r = &resource{arn: f.Resource}
			g[f.Resource] = r
		}
		r.findings = append(r.findings, f)
		r.bad = r.bad || f.Status.Bad()
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.region, b.region), cmp.Compare(a.resourceType, b.resourceType))
	})
	var out []batch
	for _, k := range keys {
		rs := make([]*resource, 0, len(groups[k]))
		for _, r := range groups[k] {
			rs = append(rs, r)
		}
		slices.SortFunc(rs, func(a, b *resource) int {
			if a.bad != b.bad {
				if a.bad {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.arn, b.arn)
		})
		for chunk := range slices.Chunk(rs, chunkResources) {
			b := batch{region: k.region, resourceType: k.resourceType}
			for _, r := range chunk {
				b.bad = b.bad || r.bad
				b.findings = append(b.findings, r.findings...)
			}
			out = append(out, b)
		}
	}
	// Problems first, then confirmations; stable within each.
	slices.SortStableFunc(out, func(a, b batch) int {
		switch {
		case a.bad == b.bad:
			return 0
		case a.bad:
			return -1
		}
		return 1
	})
	return out
}

type reported struct {
	sent     int
	resolved []notify.Finding
	news     []notify.Finding // problems notified as new or changed
}

// report sends every finding through the dedupe the event path uses: a
// problem is notified when it is new, changes or is due for a reminder,
// and a notified problem that is gone is resolved. Batches go out up to
// the sweep's concurrency at once; none starts once notifying's time is
// up.
func (s *Processor) report(ctx context.Context, b *budget, led *ledger, findings []notify.Finding, ev eventbridge.Event, account string) reported {
	var (
		mu  sync.Mutex
		out reported
	)
	each(max(s.policy.Sweep.Concurrency, 1), batches(findings), func(bt batch) {
		defer func() {
			if v := recover(); v != nil {
				led.missedN(bt.region, partNotify, len(bt.findings), []string{bt.resourceType}, errPanic{v})
			}
		}()
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
			res.New = append(res.New, again.New...)
		}
		mu.Lock()
		out.sent += len(res.Sent)
		out.resolved = append(out.resolved, res.Resolved...)
		out.news = append(out.news, res.New...)
		mu.Unlock()
		if err != nil {
			led.missedN(bt.region, partNotify, len(bt.findings), []string{bt.resourceType}, err)
		}
	})
	return out
}
