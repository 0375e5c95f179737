package scenario

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

var findingStatuses = []string{"PASS", "NOT_APPLICABLE", "WARN", "ERROR", "FAIL"}

func (w *world) expect(o *object) Expect {
	var e Expect
	for i, g := range o.objects("groups") {
		e.Groups = append(e.Groups, w.groupExpect(g, index("expect.groups", i)))
	}
	for i, f := range o.objects("findings") {
		e.Findings = append(e.Findings, w.findingExpect(f, index("expect.findings", i)))
	}
	for i, r := range o.objects("restoreTests") {
		e.RestoreTests = append(e.RestoreTests, w.restoreTestExpect(r, index("expect.restoreTests", i)))
	}
	if n, ok := o.child("notifications", false); ok {
		e.Notifications = w.notificationsExpect(n)
	}
	e.NoWrites, _ = o.boolean("noWrites")
	e.NoErrors, _ = o.boolean("noErrors")
	e.DeadLetters = o.optInt("deadLetters", 0, 1_000_000)
	if e.NoWrites && !w.sc.Policy.DryRun {
		w.r.addf(o.at("noWrites"), "expects a dry run: set \"policy\": {\"dryRun\": true}")
	}
	o.done()
	return e
}

func (w *world) groupExpect(o *object, p string) GroupExpect {
	g := GroupExpect{Path: p, Account: o.str("account", false), Name: o.str("name", true), Region: o.str("region", false)}
	known := w.in(o.at("account"), g.Account)
	defer func() { w.cur = &w.sc.State }()
	if d, ok := o.duration("at", false); ok {
		g.At = &d
		if d > w.sc.Duration && w.sc.Duration > 0 {
			w.r.addf(o.at("at"), "%s is after the run ends (%s)", d, w.sc.Duration)
		}
	}
	g.MinInService = o.optInt("minInService", 0, 10000)
	g.MaxSize = o.optInt("maxSize", 0, 10000)
	g.MaxSizeAtLeast = o.optInt("maxSizeAtLeast", 0, 10000)
	g.MinSize = o.optInt("minSize", 0, 10000)
	g.Desired = o.optInt("desired", 0, 10000)
	if b, ok := o.boolean("originalSubnets"); ok {
		g.OriginalSubnets = &b
	}
	if g.Region == "" {
		g.Region = w.sc.Region
	}
	grp := w.group(g.Name, g.Region)
	if g.Name != "" && grp == nil && known {
		w.r.addf(o.at("name"), "no group %q in %s in state.groups", g.Name, g.Region)
	}
	if g.At != nil && g.MinInService != nil {
		w.r.addf(o.at("minInService"), "holds over the whole run: put it in an entry without \"at\"")
	}
	if o.has("azs") {
		g.AZs = o.strings("azs", false)
		for i, az := range g.AZs {
			if r, ok := w.az(index(o.at("azs"), i), az); ok && r != g.Region {
				w.r.addf(index(o.at("azs"), i), "%q is not in the group's region %s", az, g.Region)
			}
		}
	} else {
		o.get("azs")
	}
	if c, ok := o.child("azCounts", false); ok {
		g.AZCounts = map[string]int{}
		for az := range c.m {
			n, valid := c.integer(az, true, 0, 10000)
			if r, ok := w.az(c.at(az), az); ok && r != g.Region {
				w.r.addf(c.at(az), "%q is not in the group's region %s", az, g.Region)
			}
			if valid {
				g.AZCounts[az] = n
			}
		}
		c.done()
	}
	checks := []string{"minInService", "azCounts", "azs", "originalSubnets", "maxSize", "maxSizeAtLeast", "minSize", "desired"}
	if !slices.ContainsFunc(checks, o.has) {
		w.r.addf(p, "checks nothing: give %s or %s", strings.Join(checks[:len(checks)-1], ", "), checks[len(checks)-1])
	}
	o.done()
	return g
}

func (w *world) findingExpect(o *object, p string) FindingExpect {
	f := FindingExpect{Path: p, Account: o.str("account", false), Check: o.str("check", true), Resource: o.str("resource", false)}
	if f.Account != "" && f.Account != DefaultHubAccount {
		w.in(o.at("account"), f.Account)
		w.cur = &w.sc.State
	}
	f.Status = o.oneOf("status", false, "", findingStatuses...)
	f.Notified = o.optInt("notified", 0, 1_000_000)
	f.Absent, _ = o.boolean("absent")
	if f.Resource == "" {
		f.Resource = "*"
	}
	if _, err := path.Match(f.Resource, ""); err != nil {
		w.r.addf(o.at("resource"), "%q is not a glob pattern: %v", f.Resource, err)
	}
	if f.Check != "" && len(w.opts.Checks) > 0 && !slices.Contains(w.opts.Checks, f.Check) {
		w.r.addf(o.at("check"), "%q is not a check id (%s)", f.Check, strings.Join(w.opts.Checks, ", "))
	}
	if f.Absent && f.Notified != nil {
		w.r.addf(o.at("notified"), "contradicts \"absent\": true")
	}
	o.done()
	return f
}

func (w *world) notificationsExpect(o *object) *NotificationsExpect {
	n := &NotificationsExpect{Path: o.path}
	n.Count = o.optInt("count", 0, 1_000_000)
	n.AtLeast = o.optInt("atLeast", 0, 1_000_000)
	n.AtMost = o.optInt("atMost", 0, 1_000_000)
	n.Subjects = o.strings("subjects", false)
	n.NoSubject = o.strings("noSubject", false)
	for _, key := range []string{"subjects", "noSubject"} {
		list := n.Subjects
		if key == "noSubject" {
			list = n.NoSubject
		}
		for i, re := range list {
			if _, err := regexp.Compile(re); err != nil {
				w.r.addf(index(o.at(key), i), "%q is not a regular expression: %v", re, err)
			}
		}
	}
	if n.AtLeast != nil && n.AtMost != nil && *n.AtLeast > *n.AtMost {
		w.r.addf(o.path, "atLeast %d is more than atMost %d", *n.AtLeast, *n.AtMost)
	}
	o.done()
	return n
}
