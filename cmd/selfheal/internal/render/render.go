package render

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/shared/notify"
)

// Report writes a game day for people. wall is the run's wall-clock time.
func Report(w io.Writer, rep *gameday.Report, wall time.Duration) error {
	p := &printer{w: w}
	title := fmt.Sprintf("selfheal game day %q", rep.Scenario)
	p.line(title)
	if rep.Description != "" {
		p.line("  %s", rep.Description)
	}
	mode := "live"
	if rep.DryRun {
		mode = "dry run"
	}
	p.line("  %s · %s · seed %d · %s of sim time in %s · %d AWS calls",
		rep.Region, mode, rep.Seed, rep.End.Sub(rep.Start).Round(time.Second), wall.Round(time.Millisecond), rep.Calls.Total)
	p.timeline(rep)
	for _, s := range rep.Capacity {
		p.capacity(s)
	}
	p.compliance(rep)
	p.deadLetters(rep)
	p.expectations(rep)
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *printer) section(name string) { p.line("\n%s", name) }

func (p *printer) timeline(rep *gameday.Report) {
	p.section("TIMELINE")
	lastEvent := ""
	for i := 0; i < len(rep.Timeline); i++ {
		e := rep.Timeline[i]
		at := e.Offset.String()
		if n := quietRun(rep.Timeline[i:]); n > 1 {
			p.folded(rep.Timeline[i : i+n])
			i += n - 1
			lastEvent = ""
			continue
		}
		switch e.Kind {
		case gameday.EntryStep:
			p.line("%s  ▶ %s", at, e.Summary)
			if e.Error != "" {
				p.line("%s    ✗ the sim refused: %s", pad(at), e.Error)
			}
			lastEvent = ""
		case gameday.EntryExecution:
			p.line("%s  ◆ %s", at, e.Summary)
			if e.Error != "" {
				p.line("%s    ✗ %s", pad(at), e.Error)
			}
			lastEvent = ""
		case gameday.EntryDeadLetter:
			p.line("%s  ☠ %s", at, e.Summary)
			if e.Error != "" {
				p.line("%s    %s", pad(at), e.Error)
			}
		case gameday.EntryInvocation:
			inv := e.Invocation
			if quiet(inv) {
				// Events a function looked at and let be: one line each.
				what := inv.Decision
				if what == "" {
					what = inv.Status
				}
				p.line("%s  · %s → %s: %s", at, e.Summary, inv.Function, clip(what, 90))
				lastEvent = ""
				continue
			}
			if e.EventID == "" || e.EventID != lastEvent {
				p.line("%s  ⚡ %s", at, e.Summary)
				lastEvent = e.EventID
			}
			p.invocation(pad(at)+"    ", inv)
		}
	}
	if len(rep.Timeline) == 0 {
		p.line("(nothing happened)")
	}
	b := rep.Bus
	p.line("bus: %d events in %s, %d routed, %d deliveries; %d events in regions without a deployment",
		b.Events, rep.Region, b.Routed, b.Deliveries, b.OtherRegions)
}

// quietRun is how many entries from the first are quiet invocations in a
// row.
func quietRun(es []gameday.Entry) int {
	n := 0
	for _, e := range es {
		if e.Kind != gameday.EntryInvocation || !quiet(e.Invocation) {
			break
		}
		n++
	}
	return n
}

// folded writes a run of quiet invocations as one line: what they were
// about and who looked. --json has each of them.
func (p *printer) folded(es []gameday.Entry) {
	counts := map[string]int{}
	var order []string
	for _, e := range es {
		k := e.Invocation.Function + " ← " + e.DetailType
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%s ×%d", k, counts[k])
	}
	span, last := es[0].Offset.String(), es[len(es)-1].Offset.String()
	if last != span {
		span += "–" + last[1:]
	}
	p.line("%s  · %d events, nothing to do: %s", span, len(es), strings.Join(parts, ", "))
}

// quiet reports an invocation that changed nothing, found nothing wrong
// and said nothing.
func quiet(inv *gameday.Invocation) bool {
	return inv.Error == "" && len(inv.Notifications) == 0 && inv.Actions == 0 && inv.Failing == 0 && inv.Attempt <= 1
}

// clip shortens s to n characters.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func pad(s string) string { return strings.Repeat(" ", len(s)) }

// invocation writes what one invocation decided, did and notified.
func (p *printer) invocation(indent string, inv *gameday.Invocation) {
	attempt := ""
	if inv.Attempt > 1 {
		attempt = fmt.Sprintf(" (attempt %d)", inv.Attempt)
	}
	head := fmt.Sprintf("%s→ %s%s: %s", indent, inv.Function, attempt, inv.Status)
	if inv.Decision != "" {
		head += " — " + inv.Decision
	}
	p.line("%s", head)
	if inv.Error != "" {
		p.line("%s  error: %s", indent, firstLine(inv.Error))
	}
	if inv.Failing > 0 && len(inv.Notifications) == 0 {
		p.line("%s  (already notified: not sent again)", indent)
	}
	for _, n := range inv.Notifications {
		for _, a := range n.Actions {
			line := fmt.Sprintf("%s  %s %s", indent, a.Kind, a.Outcome)
			if a.Summary != "" {
				line += ": " + a.Summary
			}
			p.line("%s", line)
		}
		p.line("%s  ✉ %s", indent, n.Subject)
		for i, o := range n.Open {
			if i == maxOpenLines {
				p.line("%s      … %d more open", indent, len(n.Open)-i)
				break
			}
			p.line("%s      open: %s %s %s (since %s, %s)", indent, o.Status, o.Check, owned(o), n.OpenSince(o), notify.Times(o.Notified))
		}
	}
}

// maxOpenLines is how many of a digest's open failures the timeline shows.
const maxOpenLines = 5

// owned names what an open failure is about as its owners know it.
func owned(o notify.OpenFailure) string {
	if p := o.ProtectedResource; p != nil && p.Name != "" {
		return p.Name
	}
	return shortARN(o.Resource)
}

// Invocation writes the outcome of `selfheal invoke`.
func Invocation(w io.Writer, inv *gameday.Invocation) error {
	p := &printer{w: w}
	p.line("%s: %s", inv.Function, inv.Status)
	if inv.Decision != "" {
		p.line("decision: %s", inv.Decision)
	}
	if inv.Error != "" {
		p.line("error: %s", inv.Error)
	}
	p.line("findings: %d (%d failing) · actions: %d · notified: %d · AWS calls: %d",
		inv.Findings, inv.Failing, inv.Actions, inv.Notified, inv.Calls)
	for _, n := range inv.Notifications {
		p.line("")
		p.line("✉ %s", n.Subject)
		for _, a := range n.Actions {
			p.line("  %s %s %s: %s", a.Kind, a.Outcome, a.Resource, a.Summary)
		}
		for _, f := range n.Findings {
			p.line("  %-14s %s %s", f.Status, f.Check, shortARN(f.Resource))
		}
	}
	return p.err
}

const maxBar = 12

func (p *printer) capacity(s gameday.GroupSeries) {
	p.section(fmt.Sprintf("CAPACITY %s (%s): in service per AZ (! impaired, · not in the group's subnets)", s.Name, s.Region))
	head := fmt.Sprintf("%-10s", "offset")
	for _, az := range s.AZs {
		head += fmt.Sprintf("  %-*s", maxBar+4, az)
	}
	p.line("%s  total  desired  max", head)
	most := 1
	for _, x := range s.Samples {
		for _, n := range x.AZCounts {
			most = max(most, n)
		}
	}
	for _, x := range s.Samples {
		row := fmt.Sprintf("%-10s", x.Offset)
		for _, az := range s.AZs {
			n := x.AZCounts[az]
			cell := fmt.Sprint(n)
			if bar := strings.Repeat("█", scaled(n, most)); bar != "" {
				cell = bar + " " + cell
			}
			if !slices.Contains(x.SubnetAZs, az) {
				cell = "· " + cell
			}
			if slices.Contains(x.Impaired, az) {
				cell += "!"
			}
			row += fmt.Sprintf("  %-*s", maxBar+4, cell)
		}
		p.line("%s  %5d  %7d  %3d", row, x.InService, x.Desired, x.Max)
	}
}

// scaled is a bar's length: one block per instance up to maxBar.
func scaled(n, most int) int {
	if most <= maxBar {
		return n
	}
	return (n*maxBar + most - 1) / most
}

func (p *printer) compliance(rep *gameday.Report) {
	p.section("COMPLIANCE: latest notified status per check and resource")
	if len(rep.Findings) == 0 {
		p.line("(no findings notified)")
		return
	}
	width, sw := len("CHECK"), len("STATUS")
	for _, f := range rep.Findings {
		if f.Status.Bad() {
			width, sw = max(width, len(f.Check)), max(sw, len(f.Status))
		}
	}
	p.line("%-*s  %-*s  %-8s  %s", sw, "STATUS", width, "CHECK", "NOTIFIED", "RESOURCE")
	good := 0
	for _, f := range rep.Findings {
		if !f.Status.Bad() {
			good++
			continue
		}
		p.line("%-*s  %-*s  %8d  %s", sw, f.Status, width, f.Check, f.Notified, shortARN(f.Resource))
	}
	if good > 0 {
		p.line("… and %d passing or not applicable (--json lists every finding)", good)
	}
}

func (p *printer) deadLetters(rep *gameday.Report) {
	if len(rep.Final.DeadLetters) == 0 {
		return
	}
	p.section(fmt.Sprintf("DEAD-LETTER QUEUE: %d message(s)", len(rep.Final.DeadLetters)))
	for _, d := range rep.Final.DeadLetters {
		p.line("%s %s %s: %s", d.Kind, d.Function, d.DetailType, firstLine(d.Reason))
	}
}

func (p *printer) expectations(rep *gameday.Report) {
	p.section("EXPECTATIONS")
	failed := 0
	for _, e := range rep.Expectations {
		mark := "✓"
		if !e.OK {
			mark, failed = "✗", failed+1
		}
		p.line("%s %s: %s", mark, e.Path, e.Detail)
	}
	total := len(rep.Expectations)
	switch {
	case total == 0:
		p.line("(none: the scenario expects nothing)")
		p.line("\nPASS")
	case failed == 0:
		p.line("\nPASS: %d of %d expectations hold", total, total)
	default:
		p.line("\nFAIL: %d of %d expectations did not hold", failed, total)
	}
}

// shortARN is an ARN's resource and region, e.g. "backup-vault:nightly
// (us-east-1)".
func shortARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return arn
	}
	res := parts[5]
	// A group's ARN holds an id nobody reads before its name.
	if _, name, ok := strings.Cut(res, ":autoScalingGroupName/"); ok {
		res = "autoScalingGroup/" + name
	}
	if parts[3] == "" {
		return res
	}
	return res + " (" + parts[3] + ")"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
