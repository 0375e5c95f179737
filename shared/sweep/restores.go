package sweep

import (
	"context"
	"time"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// restoreView is what the run knows of restore tests: those of the window
// the checks and the digest look at, and since when each protected
// resource is known to be protected (nil when that could not be read:
// RESTORE_TESTED is then not judged).
type restoreView struct {
	tests []state.RestoreTest
	since map[string]time.Time
}

// restores reads the restore tests of the last max(30 days,
// recovery.maxUntested) from the state table, and since when each
// protected resource the scans listed is protected: the earliest of the
// mark an earlier run left and its oldest recovery point listed now. A
// resource seen for the first time is marked, so that a short retention
// cannot make an untested resource look new again. nil when the tests
// could not be read (a gap the digest names).
func (s *Processor) restores(ctx context.Context, led *ledger, scans []*regionScan, now time.Time) *restoreView {
	window := max(notify.RecoveryWindow, s.policy.Recovery.MaxUntested.Duration)
	tests, err := s.store.RestoreTests(ctx, now.Add(-window))
	if err != nil {
		led.unlisted(s.home(), partRestores, err)
		return nil
	}
	if len(tests) > 0 {
		led.saw(s.home(), partRestores, len(tests))
	}
	v := &restoreView{tests: tests}
	if s.policy.Recovery.MaxUntested.Duration == 0 {
		return v
	}
	marked, err := s.store.ProtectedSince(ctx)
	if err != nil {
		led.unlisted(s.home(), partRestores, err)
		return v
	}
	oldest := map[string]time.Time{}
	for _, sc := range scans {
		for _, rp := range sc.points {
			if rp.Created != nil && (oldest[rp.ResourceARN].IsZero() || rp.Created.Before(oldest[rp.ResourceARN])) {
				oldest[rp.ResourceARN] = *rp.Created
			}
		}
	}
	v.since = map[string]time.Time{}
	for _, sc := range scans {
		for _, r := range sc.protected {
			first, ok := marked[r.ResourceARN]
			earliest := now
			if ok {
				earliest = first
			}
			if o := oldest[r.ResourceARN]; !o.IsZero() && o.Before(earliest) {
				earliest = o
			}
			v.since[r.ResourceARN] = earliest
			if !ok {
				if err := s.store.MarkProtected(ctx, r.ResourceARN, earliest); err != nil {
					led.missed(sc.region, partRestores, r.ResourceARN, err)
				}
				marked[r.ResourceARN] = earliest
			}
		}
	}
	return v
}

// restoreTested judges one protected resource by its latest tests.
func restoreTested(e evaluation, r compliance.ProtectedResourceState) (notify.Finding, bool) {
	v := e.restores
	if v == nil || v.since == nil || e.policy.Recovery.MaxUntested.Duration == 0 {
		return notify.Finding{}, false
	}
	var good, last *state.RestoreTest
	for i := range v.tests {
		t := &v.tests[i]
		if t.ResourceARN != r.ResourceARN {
			continue
		}
		if last == nil || !t.At.Before(last.At) {
			last = t
		}
		if t.Succeeded && (good == nil || !t.At.Before(good.At)) {
			good = t
		}
	}
	since, ok := v.since[r.ResourceARN]
	if !ok {
		since = e.now
	}
	return compliance.RestoreTested(r, since, good, last, e.policy.Recovery, e.now), true
}

// recoveryStats summarizes the tests of the digest's window.
func recoveryStats(v *restoreView, now time.Time) []notify.RecoveryStats {
	if v == nil {
		return nil
	}
	var recent []state.RestoreTest
	for _, t := range v.tests {
		if now.Sub(t.At) <= notify.RecoveryWindow {
			recent = append(recent, t)
		}
	}
	return compliance.RecoveryStats(recent)
}
