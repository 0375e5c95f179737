package gameday

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
)

// check evaluates the scenario's expectations on the finished run. Steps
// the sim refused fail too: the scenario did not happen as written.
func (r *runner) check() []Result {
	rep, ex := r.rep, r.w.Scenario.Expect
	out := []Result{}
	add := func(path string, ok bool, format string, args ...any) {
		out = append(out, Result{Path: path, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	for _, e := range rep.Timeline {
		if e.Kind == EntryStep && e.Error != "" {
			add(e.Step, false, "the step failed: %s", e.Error)
		}
	}
	for _, g := range ex.Groups {
		r.checkGroup(g, add)
	}
	for _, f := range ex.Findings {
		checkFinding(f, rep.Notifications, add)
	}
	if n := ex.Notifications; n != nil {
		checkNotifications(n, rep.Notifications, add)
	}
	for _, e := range ex.RestoreTests {
		r.checkRestoreTest(context.Background(), e, add)
	}
	if ex.NoWrites {
		var writes []string
		for _, c := range r.w.calls() {
			if c.Err == nil && !c.IsRead() && !ownWrite(c, r.w.Env.Config.TableName) {
				writes = append(writes, c.Service+" "+c.Operation)
			}
		}
		add("expect.noWrites", len(writes) == 0, "writes to the account outside selfheal's own state: %d%s", len(writes), listed(writes))
	}
	if ex.NoErrors {
		var failed []string
		for _, e := range rep.Timeline {
			if e.Invocation != nil && e.Invocation.Failed() {
				failed = append(failed, fmt.Sprintf("%s %s (%s)", e.Offset, e.Invocation.Function, firstLine(e.Invocation.Error)))
			}
		}
		add("expect.noErrors", len(failed) == 0, "invocations that returned an error: %d%s", len(failed), listed(failed))
	}
	if ex.DeadLetters != nil {
		var what []string
		for _, d := range rep.Final.DeadLetters {
			what = append(what, fmt.Sprintf("%s %s: %s", d.Kind, d.Function, firstLine(d.Reason)))
		}
		add("expect.deadLetters", len(rep.Final.DeadLetters) == *ex.DeadLetters,
			"dead-letter queue holds %d, want %d%s", len(rep.Final.DeadLetters), *ex.DeadLetters, listed(what))
	}
	return out
}

func listed(items []string) string {
	if len(items) == 0 {
		return ""
	}
	const most = 5
	more := ""
	if len(items) > most {
		more = fmt.Sprintf(", … %d more", len(items)-most)
		items = items[:most]
	}
	return ": " + strings.Join(items, "; ") + more
}

type adder func(path string, ok bool, format string, args ...any)

func (r *runner) checkGroup(g scenario.GroupExpect, add adder) {
	tr := r.series[r.w.in(g.Account).groupKey(g.Region, g.Name)]
	if tr == nil || len(tr.series.Samples) == 0 {
		add(g.Path, false, "group %s in %s was never seen", g.Name, g.Region)
		return
	}
	s, when := tr.last, "at the end"
	if g.At != nil {
		at := Offset(*g.At)
		s, when = tr.series.Samples[0], "at "+at.String()
		for _, x := range tr.series.Samples {
			if x.Offset <= at {
				s = x
			}
		}
	}
	p := g.Path + "."
	if g.MinInService != nil {
		add(p+"minInService", tr.minIn >= *g.MinInService,
			"%s never below %d in service: lowest %d at %s", g.Name, *g.MinInService, tr.minIn, tr.minAt)
	}
	if g.AZCounts != nil {
		want := g.AZCounts
		got := map[string]int{}
		for az := range want {
			got[az] = s.AZCounts[az]
		}
		add(p+"azCounts", maps.Equal(got, want), "%s %s: in service per AZ %s, want %s", g.Name, when, azCounts(s.AZCounts), azCounts(want))
	}
	if g.AZs != nil {
		add(p+"azs", slices.Equal(s.SubnetAZs, g.AZs), "%s %s: subnets in %s, want %s", g.Name, when, strings.Join(s.SubnetAZs, ", "), strings.Join(g.AZs, ", "))
	}
	if g.OriginalSubnets != nil {
		orig := slices.Equal(s.Subnets, tr.in.groups[key(g.Region, g.Name)].Subnets)
		add(p+"originalSubnets", orig == *g.OriginalSubnets, "%s %s: subnets are the original ones: %t, want %t", g.Name, when, orig, *g.OriginalSubnets)
	}
	intCheck := func(field string, got int, want *int, op string) {
		if want == nil {
			return
		}
		ok := got == *want
		if op == "≥" {
			ok = got >= *want
		}
		add(p+field, ok, "%s %s: %s %d, want %s %d", g.Name, when, field, got, op, *want)
	}
	intCheck("maxSize", s.Max, g.MaxSize, "=")
	intCheck("maxSizeAtLeast", s.Max, g.MaxSizeAtLeast, "≥")
	intCheck("minSize", s.Min, g.MinSize, "=")
	intCheck("desired", s.Desired, g.Desired, "=")
}

func azCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

func checkFinding(f scenario.FindingExpect, ns []Notification, add adder) {
	messages, matches := 0, 0
	var statuses []string
	for _, n := range ns {
		hit := false
		for _, x := range n.Findings {
			if x.Check != f.Check || !globMatch(f.Resource, x.Resource) || (f.Account != "" && x.Account != f.Account) {
				continue
			}
			if f.Status != "" && string(x.Status) != f.Status {
				statuses = append(statuses, string(x.Status))
				continue
			}
			matches++
			hit = true
		}
		if hit {
			messages++
		}
	}
	what := f.Check
	if f.Status != "" {
		what = f.Status + " " + what
	}
	if f.Resource != "*" {
		what += " on " + f.Resource
	}
	if f.Account != "" {
		what += " in account " + f.Account
	}
	seenOther := ""
	if len(statuses) > 0 {
		slices.Sort(statuses)
		seenOther = " (seen with status " + strings.Join(slices.Compact(statuses), ", ") + ")"
	}
	switch {
	case f.Absent:
		add(f.Path, matches == 0, "%s never notified: notified in %d message(s)", what, messages)
	case f.Notified != nil:
		add(f.Path, messages == *f.Notified, "%s notified %d time(s), want %d%s", what, messages, *f.Notified, seenOther)
	default:
		add(f.Path, messages > 0, "%s notified %d time(s)%s", what, messages, seenOther)
	}
}

func checkNotifications(n *scenario.NotificationsExpect, ns []Notification, add adder) {
	count := len(ns)
	if n.Count != nil {
		add(n.Path+".count", count == *n.Count, "%d notifications, want %d", count, *n.Count)
	}
	if n.AtLeast != nil {
		add(n.Path+".atLeast", count >= *n.AtLeast, "%d notifications, want at least %d", count, *n.AtLeast)
	}
	if n.AtMost != nil {
		add(n.Path+".atMost", count <= *n.AtMost, "%d notifications, want at most %d", count, *n.AtMost)
	}
	for i, expr := range n.Subjects {
		re := regexp.MustCompile(expr) // compiled by the parser already
		var hit string
		for _, x := range ns {
			if re.MatchString(x.Subject) {
				hit = x.Subject
				break
			}
		}
		add(fmt.Sprintf("%s.subjects[%d]", n.Path, i), hit != "", "a subject matching %q: %s", expr, orNone(hit))
	}
	for i, expr := range n.NoSubject {
		re := regexp.MustCompile(expr)
		var hit string
		for _, x := range ns {
			if re.MatchString(x.Subject) {
				hit = x.Subject
				break
			}
		}
		add(fmt.Sprintf("%s.noSubject[%d]", n.Path, i), hit == "", "no subject matching %q: %s", expr, orNone(hit))
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}
