package orgtasks

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
	"github.com/selfheal/selfheal/shared/sweep"
)

// EventType is the event type of the organization digest.
const EventType = "Organization Sweep"

// aggregated is the aggregate task's answer, the execution's output.
type aggregated struct {
	Run string `json:"run"`
	// DuplicateOf: the run was another delivery's and sent nothing.
	DuplicateOf    string `json:"duplicateOf,omitempty"`
	Headline       string `json:"headline"`
	Complete       bool   `json:"complete"`
	AccountRegions int    `json:"accountRegions"`
	NotCovered     int    `json:"notCovered"`
	Open           int    `json:"open"`
}

// What the organization digest lists at most; the counts have the rest.
const (
	digestNew      = 20
	digestWorst    = 20
	digestResolved = 50
	// digestAccounts is how many account-regions it lists one by one: all
	// those with something to say, and clean ones up to this many (an SNS
	// message holds 256 KiB).
	digestAccounts = 300
)

// aggregate writes the organization digest of a run from its records:
// counts per check over every account-region swept, each account-region
// with its counts, failing checks and open failures, every failure still
// open in the organization, and every account-region not covered and why
// (role not assumable, sweep failed after its retries, no result because
// the map stopped, gaps of an incomplete sweep, accounts or OUs of the
// configuration the organization does not have, a failed list). It never
// reads "all clear" while anything is not covered. A run's digest is sent
// once: a retry finds it recorded.
func (h *Handler) aggregate(ctx context.Context, p Payload) (any, outcome, error) {
	records, err := h.deps.Store.RunRecords(ctx, p.Run, "")
	if err != nil {
		return nil, outcome{}, err
	}
	if doc, ok := records[recordAggregate]; ok {
		var done aggregated
		if err := json.Unmarshal(doc, &done); err == nil {
			return done, outcome{decision: "digest already sent: " + done.Headline}, nil
		}
	}
	hub, err := hubAccount(ctx)
	if err != nil {
		return nil, outcome{}, err
	}
	var sc scope
	var haveScope bool
	if doc, ok := records[recordScope]; ok {
		haveScope = json.Unmarshal(doc, &sc) == nil
	}
	if sc.DuplicateOf != "" {
		return aggregated{Run: p.Run, DuplicateOf: sc.DuplicateOf}, outcome{duplicate: true,
			decision: "no-op: the scheduled event is run " + sc.DuplicateOf + "'s, which sends the digest"}, nil
	}
	results := map[Item]result{}
	for name, doc := range records {
		if !strings.HasPrefix(name, recordResult) {
			continue
		}
		var r result
		if json.Unmarshal(doc, &r) == nil {
			results[r.Item] = r
		}
	}
	open, openErrs := h.openFailures(ctx, hub, sc.Items)
	d, news := buildOrgDigest(p, sc, haveScope, results, open, openErrs)
	regions := strings.Join(h.regions(), ", ")
	msg := notify.Message{
		Kind: notify.KindDigest, Function: h.deps.Function, EventType: EventType, EventID: p.Run,
		Account: hub, Region: h.deps.Config.Region, Time: h.deps.Now(), Headline: orgHeadline(regions, len(sc.Items), news, d), Digest: &d,
	}
	if _, err := h.deps.Notifier.Publish(ctx, msg); err != nil {
		return nil, outcome{}, fmt.Errorf("publish the organization digest: %w", err)
	}
	out := aggregated{
		Run: p.Run, Headline: msg.Headline, Complete: d.Complete, AccountRegions: len(sc.Items),
		NotCovered: len(d.NotCovered), Open: total(d.OpenCounts),
	}
	doc, err := json.Marshal(out)
	if err == nil {
		err = h.deps.Store.PutRunRecord(ctx, p.Run, recordAggregate, doc)
	}
	res := outcome{
		decision: msg.Headline,
		attrs: []slog.Attr{slog.Bool("complete", d.Complete), slog.Int("account_regions", len(sc.Items)),
			slog.Int("not_covered", len(d.NotCovered)), slog.Int("open", out.Open)},
		metrics: map[string]float64{"Notifications": 1, "NotCovered": float64(len(d.NotCovered))},
	}
	if err != nil {
		// Sent: a retry would send it again. The log says why it was not
		// remembered.
		res.attrs = append(res.attrs, slog.String("digestNotRecorded", err.Error()))
	}
	return out, res, nil
}

// buildOrgDigest is the organization digest, and how many findings the
// sweeps notified as new (it lists the worst of them).
func buildOrgDigest(p Payload, sc scope, haveScope bool, results map[Item]result, open []state.OpenFailure, openErrs []string) (notify.Digest, int) {
	d := notify.Digest{
		Counts: map[string]map[notify.Status]int{}, Worst: []notify.Finding{}, Resolved: []notify.Finding{},
		New: []notify.Finding{}, Covered: []string{}, NotCovered: []string{},
	}
	if p.ListError != nil {
		d.NotCovered = append(d.NotCovered, "the organization's accounts could not be listed: "+describeError(*p.ListError))
	} else if !haveScope {
		d.NotCovered = append(d.NotCovered, "the run's scope was not recorded: nothing is known of what it swept")
	}
	if p.MapError != nil {
		d.NotCovered = append(d.NotCovered, "the sweep stopped early: "+describeError(*p.MapError))
	}
	for _, m := range sc.Missing {
		d.NotCovered = append(d.NotCovered, strings.TrimSpace(m.Account+" "+m.Region)+": "+m.Reason)
	}
	openAt := map[Item]int{}
	for _, o := range open {
		openAt[Item{Account: o.Account, Region: o.Region}]++
	}
	d.NotCovered = append(d.NotCovered, openErrs...)
	d.Open, d.OpenCounts = notify.OpenFailures(open)

	var swept, clean, news int
	var newest, worst, resolved []notify.Finding
	for _, it := range sc.Items {
		r, ok := results[it]
		if !ok {
			r = result{Item: it, Coverage: CoverageNoResult, Reason: "no sweep reported: it did not run, or ran out of time, before the map ended"}
		}
		a := notify.AccountDigest{Account: it.Account, Region: it.Region, Coverage: r.Coverage, Reason: r.Reason,
			Counts: map[notify.Status]int{}, Failing: map[string]int{}, Open: openAt[it]}
		for check, byStatus := range r.Counts {
			if d.Counts[check] == nil {
				d.Counts[check] = map[notify.Status]int{}
			}
			for st, n := range byStatus {
				d.Counts[check][st] += n
				a.Counts[st] += n
				if st.Bad() {
					a.Failing[check] += n
				}
			}
		}
		switch r.Coverage {
		case CoverageSwept:
			swept++
		case CoverageIncomplete:
			swept++
			for _, gap := range r.NotCovered {
				d.NotCovered = append(d.NotCovered, it.Account+" "+gap)
			}
		default:
			d.NotCovered = append(d.NotCovered, it.Account+" "+it.Region+": "+strings.ToLower(strings.ReplaceAll(r.Coverage, "_", " "))+": "+r.Reason)
		}
		newest = append(newest, r.New...)
		news += r.NewCount
		worst = append(worst, r.Worst...)
		resolved = append(resolved, r.Resolved...)
		if r.Coverage == CoverageSwept && len(a.Failing) == 0 && a.Open == 0 {
			clean++
			if clean > digestAccounts {
				continue
			}
		}
		d.Accounts = append(d.Accounts, a)
	}
	d.Covered = append(d.Covered, fmt.Sprintf("%d of %d account-regions swept (%d accounts)", swept, len(sc.Items), countAccounts(sc.Items)))
	if clean > digestAccounts {
		d.Covered = append(d.Covered, fmt.Sprintf("%d more account-regions swept with nothing failing or open are not listed", clean-digestAccounts))
	}
	for _, s := range sc.Skipped {
		d.Covered = append(d.Covered, "skipped "+s.Account+": "+s.Reason)
	}
	d.New = top(newest, digestNew)
	d.Worst = top(worst, digestWorst)
	slices.SortFunc(resolved, func(a, b notify.Finding) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Check, b.Check), cmp.Compare(a.Resource, b.Resource))
	})
	d.Resolved = resolved[:min(len(resolved), digestResolved)]
	d.Complete = len(d.NotCovered) == 0
	return d, news
}

// openFailures are the failures open in the accounts of the run: the
// hub's own index (its resources, and the member roles it could not
// assume) and each member's. An index that cannot be read is a gap.
func (h *Handler) openFailures(ctx context.Context, hub string, items []Item) ([]state.OpenFailure, []string) {
	var out []state.OpenFailure
	var gaps []string
	accounts := []string{hub}
	for _, it := range items {
		accounts = append(accounts, it.Account)
	}
	slices.Sort(accounts)
	for _, a := range slices.Compact(accounts) {
		store := h.deps.Store
		if a != hub {
			store = store.ForAccount(a)
		}
		open, err := store.OpenFailures(ctx)
		if err != nil {
			gaps = append(gaps, a+": open failures not read: "+err.Error())
			continue
		}
		out = append(out, open...)
	}
	return out, gaps
}

func top(fs []notify.Finding, n int) []notify.Finding {
	out := slices.Clone(fs)
	slices.SortFunc(out, sweep.Worse)
	if out == nil {
		out = []notify.Finding{}
	}
	return out[:min(len(out), n)]
}

func countAccounts(items []Item) int {
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.Account] = true
	}
	return len(seen)
}

func total(counts map[notify.Status]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// orgHeadline is the organization digest's subject: "all clear" only when
// every account-region in scope was swept and nothing is open.
func orgHeadline(regions string, items, news int, d notify.Digest) string {
	open := notify.CountStatuses(d.OpenCounts)
	where := fmt.Sprintf("Organization sweep %s, %d account-regions", regions, items)
	switch {
	case !d.Complete && open == "":
		return fmt.Sprintf("INCOMPLETE o%s: nothing open in what was covered, %d not covered", where[1:], len(d.NotCovered))
	case !d.Complete:
		return fmt.Sprintf("INCOMPLETE o%s: %s open, %d new, %d not covered", where[1:], open, news, len(d.NotCovered))
	case open == "":
		return where + ": all clear"
	}
	return fmt.Sprintf("%s: %s open, %d new", where, open, news)
}
