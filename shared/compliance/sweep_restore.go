package compliance

import (
	"fmt"
	"slices"
	"time"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// RestoreTested: the protected resource passed a restore test within
// Recovery.MaxUntested. A resource protected for less than that (since is
// the earliest evidence of its protection) is not due yet; one that no
// longer exists is not applicable. lastGood is its latest successful test,
// lastAny its latest test, either nil.
func RestoreTested(r ProtectedResourceState, since time.Time, lastGood, lastAny *state.RestoreTest, p config.Recovery, now time.Time) notify.Finding {
	typ := ResourceType(r.ResourceType, r.ResourceARN)
	window := p.MaxUntested.Duration
	obs := map[string]string{"policy.maxUntested": roughSpan(window), "protectedSince": stamp(&since)}
	name := protectedName(r.ResourceARN)
	if lastGood != nil {
		obs["lastPassed"] = stamp(&lastGood.At)
		obs["lastPassedJob"] = lastGood.RestoreJobID
		obs["lastRTO"] = lastGood.RTO.Round(time.Second).String()
	}
	if lastAny != nil && (lastGood == nil || lastAny.RestoreJobID != lastGood.RestoreJobID) {
		obs["lastTest"] = stamp(&lastAny.At)
		obs["lastTestResult"] = lastAny.Message
	}
	f := func(st notify.Status, summary, fix string) notify.Finding {
		return about(sweepFinding(CheckRestoreTested, st, r.ResourceARN, typ, summary, obs, fix), r.ResourceARN, r.ResourceType)
	}
	switch {
	case r.NotFound:
		obs["exists"] = "false"
		return f(notify.StatusNotApplicable, name+" no longer exists; only its recovery points remain", "")
	case lastGood != nil && now.Sub(lastGood.At) <= window:
		return f(notify.StatusPass, fmt.Sprintf("restore test passed %s ago (recovery time %s)", roughSpan(max(now.Sub(lastGood.At), 0)), roughSpan(lastGood.RTO)), "")
	case now.Sub(since) < window:
		due := since.Add(window)
		return f(notify.StatusPass, fmt.Sprintf("protected for %s: a first restore test is due by %s", roughSpan(max(now.Sub(since), 0)), stamp(&due)), "")
	}
	summary := fmt.Sprintf("no successful restore test in %s", roughSpan(window))
	switch {
	case lastAny != nil && !lastAny.Succeeded:
		summary += "; the last one failed: " + lastAny.Message
	case lastGood != nil:
		summary += fmt.Sprintf("; the last passed %s ago", roughSpan(now.Sub(lastGood.At)))
	default:
		summary += "; never tested"
	}
	region := orPlaceholder(RegionOf(r.ResourceARN), RegionOf(r.LastVaultARN))
	fix := fmt.Sprintf("add it to a restore testing plan (aws backup create-restore-testing-selection --restore-testing-plan-name <plan> --region %s, ProtectedResourceType %s) and let selfheal validate the restores", region, orPlaceholder(r.ResourceType, "<type>"))
	return f(notify.StatusFail, summary, fix)
}

// RecoveryStats summarizes the restore tests of one resource type: how
// many, how many failed, and the recovery time of those that passed.
func RecoveryStats(tests []state.RestoreTest) []notify.RecoveryStats {
	byType := map[string]*notify.RecoveryStats{}
	rtos := map[string][]time.Duration{}
	for _, t := range tests {
		s := byType[t.ResourceType]
		if s == nil {
			s = &notify.RecoveryStats{ResourceType: t.ResourceType}
			byType[t.ResourceType] = s
		}
		s.Tests++
		if !t.Succeeded {
			s.Failed++
			continue
		}
		rtos[t.ResourceType] = append(rtos[t.ResourceType], t.RTO)
	}
	out := make([]notify.RecoveryStats, 0, len(byType))
	for typ, s := range byType {
		if d := rtos[typ]; len(d) > 0 {
			slices.Sort(d)
			// The median of an even count is the lower middle: a value
			// that was measured.
			s.RTOP50Seconds, s.RTOMaxSeconds = int64(d[(len(d)-1)/2].Seconds()), int64(d[len(d)-1].Seconds())
		}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b notify.RecoveryStats) int {
		switch {
		case a.ResourceType < b.ResourceType:
			return -1
		case a.ResourceType > b.ResourceType:
			return 1
		}
		return 0
	})
	return out
}
