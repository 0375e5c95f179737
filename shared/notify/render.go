package notify

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// SchemaVersion of the JSON document; bumped on any incompatible change.
const SchemaVersion = "1.0"

// SNS limits: the subject must be ASCII, without line breaks, and "less
// than 100 characters"; the whole message, attributes included, at most
// 256 KiB. https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
const (
	maxSubject      = 99
	maxMessageBytes = 256 * 1024
	// Room kept for attributes and the JSON envelope of the structure.
	messageBudget = maxMessageBytes - 16*1024
)

// Rendered is a message as SNS receives it.
type Rendered struct {
	Subject    string
	Text       string // email
	JSON       string // every other protocol
	Attributes map[string]types.MessageAttributeValue
}

// document is the JSON every machine subscriber receives.
type document struct {
	SchemaVersion string `json:"schemaVersion"`
	Message
	Status    Status   `json:"status"`
	Severity  Severity `json:"severity"`
	Truncated int      `json:"truncated,omitempty"` // findings left out to fit SNS's size limit
}

// Render formats m for SNS.
func Render(m Message) (Rendered, error) {
	// Fit SNS's size limit: passing findings go first, then the tail of
	// the list; the counts say what was left out.
	fitted, dropped := m, 0
	for {
		r, err := render(fitted, dropped)
		if err != nil {
			return Rendered{}, err
		}
		if len(r.JSON)+len(r.Text) <= messageBudget || len(fitted.Findings) == 0 {
			return r, nil
		}
		fitted, dropped = shrink(fitted, dropped)
	}
}

func shrink(m Message, dropped int) (Message, int) {
	var bad []Finding
	for _, f := range m.Findings {
		if f.Status.Bad() {
			bad = append(bad, f)
		}
	}
	if len(bad) < len(m.Findings) {
		dropped += len(m.Findings) - len(bad)
		m.Findings = bad
		return m, dropped
	}
	keep := len(m.Findings) * 3 / 4
	dropped += len(m.Findings) - keep
	m.Findings = append([]Finding(nil), m.Findings[:keep]...)
	return m, dropped
}

func render(m Message, truncated int) (Rendered, error) {
	status, severity := m.worst()
	doc := document{SchemaVersion: SchemaVersion, Message: m, Status: status, Severity: severity, Truncated: truncated}
	if m.Kind == KindDigest && m.Digest != nil {
		doc.Status, doc.Severity = digestWorst(*m.Digest)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return Rendered{}, fmt.Errorf("encode notification: %w", err)
	}
	return Rendered{
		Subject:    subject(m, doc.Status),
		Text:       text(m, doc.Status, truncated),
		JSON:       string(js),
		Attributes: attributes(m, doc.Status, doc.Severity),
	}, nil
}

// digestWorst is a digest's status and severity: the worst of what the run
// found and of what is still open, so a digest never reads better than
// where things stand.
func digestWorst(d Digest) (Status, Severity) {
	st, sev := StatusPass, SeverityInfo
	worse := func(s Status, n int) {
		if n > 0 && statusRank[s] > statusRank[st] {
			st = s
		}
	}
	for _, byStatus := range d.Counts {
		for s, n := range byStatus {
			worse(s, n)
		}
	}
	for s, n := range d.OpenCounts {
		worse(s, n)
	}
	for _, f := range d.Worst {
		if severityRank[f.Severity] > severityRank[sev] {
			sev = f.Severity
		}
	}
	for _, o := range d.Open {
		if severityRank[o.Severity] > severityRank[sev] {
			sev = o.Severity
		}
	}
	if !d.Complete && statusRank[st] < statusRank[StatusError] {
		st = StatusError
	}
	return st, sev
}

// subject is the one line an inbox shows.
func subject(m Message, status Status) string {
	var b strings.Builder
	b.WriteString("[selfheal] ")
	if m.DryRun {
		b.WriteString("[dry-run] ")
	}
	switch m.Kind {
	case KindFindings, KindResolved:
		label := string(status)
		if m.Kind == KindResolved {
			label = "RESOLVED"
		}
		lead, rest := leadFinding(m)
		fmt.Fprintf(&b, "%s %s: %s", label, subjectOf(lead), lead.Summary)
		if rest > 0 {
			fmt.Fprintf(&b, " (+%d more)", rest)
		}
	case KindRemediation:
		lead, rest := leadAction(m)
		fmt.Fprintf(&b, "%s %s", lead.Kind, lead.Summary)
		if rest > 0 {
			fmt.Fprintf(&b, " (+%d more)", rest)
		}
	case KindDigest:
		if m.Headline != "" {
			b.WriteString(m.Headline)
		} else {
			fmt.Fprintf(&b, "Sweep %s", m.Region)
		}
	}
	return clampSubject(b.String())
}

// leadFinding is the finding a subject names: the worst, then the most
// severe; rest counts the other findings of the same kind of news.
func leadFinding(m Message) (Finding, int) {
	fs := append([]Finding(nil), m.Findings...)
	sort.SliceStable(fs, func(i, j int) bool {
		if a, b := statusRank[fs[i].Status], statusRank[fs[j].Status]; a != b {
			return a > b
		}
		return severityRank[fs[i].Severity] > severityRank[fs[j].Severity]
	})
	if len(fs) == 0 {
		return Finding{Summary: "no findings"}, 0
	}
	n := 0
	for _, f := range fs {
		if m.Kind == KindResolved || f.Status.Bad() {
			n++
		}
	}
	return fs[0], max(n-1, 0)
}

func leadAction(m Message) (Action, int) {
	if len(m.Actions) == 0 {
		return Action{Kind: ActionReport, Summary: "nothing to do"}, 0
	}
	as := append([]Action(nil), m.Actions...)
	sort.SliceStable(as, func(i, j int) bool { return severityRank[as[i].Severity] > severityRank[as[j].Severity] })
	return as[0], len(as) - 1
}

// asciiFor spells the typography of summaries in ASCII for subjects.
var asciiFor = map[rune]string{'→': "->", '←': "<-", '–': "-", '—': "-", '…': "...", '≥': ">=", '≤': "<=", '×': "x", '‘': "'", '’': "'", '“': `"`, '”': `"`}

// clampSubject keeps printable ASCII only and cuts to SNS's limit.
func clampSubject(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if a, ok := asciiFor[r]; ok {
			b = append(b, a...)
			continue
		}
		switch {
		case r >= 0x20 && r < 0x7f:
			b = append(b, byte(r))
		case r == '\n' || r == '\r' || r == '\t':
			b = append(b, ' ')
		default:
			b = append(b, '?')
		}
	}
	if len(b) > maxSubject {
		b = append(b[:maxSubject-3], "..."...)
	}
	return string(b)
}

// text is the e-mail body: what happened, what is wrong, what to do.
func text(m Message, status Status, truncated int) string {
	var b strings.Builder
	if m.DryRun {
		b.WriteString("DRY RUN: nothing was changed; this is what selfheal would have done.\n\n")
	}
	switch m.Kind {
	case KindFindings, KindResolved:
		lead, _ := leadFinding(m)
		label := string(status)
		if m.Kind == KindResolved {
			label = "RESOLVED"
		}
		fmt.Fprintf(&b, "%s: %s (%s, account %s)\n", label, subjectOf(lead),
			firstOf(lead.Region, m.Region), firstOf(lead.Account, m.Account))
	case KindRemediation:
		fmt.Fprintf(&b, "Auto Scaling remediation in %s (account %s)\n", m.Region, m.Account)
	case KindDigest:
		// A sweep may cover several regions: the heading says where it ran,
		// the digest's Covered lines what it read in each region.
		what := "Compliance sweep of account"
		if m.Digest != nil && len(m.Digest.Accounts) > 0 {
			what = "Organization sweep from the hub account"
		}
		fmt.Fprintf(&b, "%s %s", what, m.Account)
		if m.Region != "" {
			fmt.Fprintf(&b, ", run in %s", m.Region)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Event: %s %s at %s\n", m.EventType, m.EventID, m.Time.UTC().Format(time.RFC3339))

	var bad, good []Finding
	for _, f := range m.Findings {
		if f.Status.Bad() {
			bad = append(bad, f)
		} else {
			good = append(good, f)
		}
	}
	if m.Kind == KindResolved {
		b.WriteString("\nResolved:\n")
		for _, f := range m.Findings {
			fmt.Fprintf(&b, "  %-5s %s  %s: %s (was %s)\n", f.Status, f.Check, subjectOf(f), f.Summary, f.Previous)
			writeAbout(&b, f)
		}
	} else if len(bad) > 0 {
		b.WriteString("\nNeeds attention:\n")
		for _, f := range bad {
			fmt.Fprintf(&b, "  %-5s %s  %s: %s\n", f.Status, f.Check, subjectOf(f), f.Summary)
			writeAbout(&b, f)
			if f.Remediation != "" {
				fmt.Fprintf(&b, "        what to do: %s\n", f.Remediation)
			}
		}
		if len(good) > 0 {
			fmt.Fprintf(&b, "\nPassing: %d other checks.\n", len(good))
		}
	} else if len(good) > 0 {
		fmt.Fprintf(&b, "\nAll %d checks pass.\n", len(good))
	}
	if truncated > 0 {
		fmt.Fprintf(&b, "(%d more findings left out to fit the notification size limit; see the JSON document.)\n", truncated)
	}
	if len(m.Actions) > 0 {
		b.WriteString("\nActions:\n")
		for _, a := range m.Actions {
			fmt.Fprintf(&b, "  %-8s %s %s: %s\n", a.Outcome, a.Kind, shortName(a.Resource), a.Summary)
			if a.Reason != "" {
				fmt.Fprintf(&b, "           why: %s\n", a.Reason)
			}
		}
	}
	if d := m.Digest; d != nil {
		writeDigest(&b, *d)
	}
	return b.String()
}

// writeDigest says what a run covered and what it could not, then what it
// found.
func writeDigest(b *strings.Builder, d Digest) {
	if !d.Complete {
		b.WriteString("\nINCOMPLETE RUN: not everything was checked; do not read this as all clear.\n")
		for _, n := range d.NotCovered {
			fmt.Fprintf(b, "  not covered: %s\n", n)
		}
	}
	b.WriteString("\nCovered:\n")
	if len(d.Covered) == 0 {
		b.WriteString("  nothing was read\n")
	}
	for _, c := range d.Covered {
		fmt.Fprintf(b, "  %s\n", c)
	}
	writeAccounts(b, d.Accounts)
	checks := make([]string, 0, len(d.Counts))
	for c := range d.Counts {
		checks = append(checks, c)
	}
	sort.Strings(checks)
	b.WriteString("\nChecks (FAIL / WARN / ERROR / PASS):\n")
	for _, c := range checks {
		n := d.Counts[c]
		fmt.Fprintf(b, "  %-45s %4d %4d %4d %4d\n", c, n[StatusFail], n[StatusWarn], n[StatusError], n[StatusPass]+n[StatusNotApplicable])
	}
	writeOpen(b, d)
	writeRecovery(b, d.Recovery)
	if len(d.Worst) > 0 {
		b.WriteString("\nWorst resources this run:\n")
		for _, f := range d.Worst {
			fmt.Fprintf(b, "  %-5s %s  %s: %s\n", f.Status, f.Check, subjectOf(f), f.Summary)
		}
	}
	if len(d.Resolved) > 0 {
		b.WriteString("\nResolved since the last run:\n")
		for _, f := range d.Resolved {
			fmt.Fprintf(b, "  %s  %s\n", f.Check, subjectOf(f))
		}
	}
}

// writeRecovery says how restore tests went, per resource type: the
// trend of recovery times people watch.
func writeRecovery(b *strings.Builder, stats []RecoveryStats) {
	if len(stats) == 0 {
		return
	}
	fmt.Fprintf(b, "\nRestore tests, last %d days (recovery time of those that passed):\n", int(RecoveryWindow.Hours()/24))
	for _, s := range stats {
		line := fmt.Sprintf("  %-22s %3d tested, %d failed", humanType(s.ResourceType), s.Tests, s.Failed)
		if s.Tests > s.Failed {
			line += fmt.Sprintf("   RTO p50 %s, max %s", shortSpan(s.RTOP50Seconds), shortSpan(s.RTOMaxSeconds))
		}
		b.WriteString(line + "\n")
	}
}

// shortSpan writes seconds to the minute: 42m, 2h5m.
func shortSpan(seconds int64) string {
	d := (time.Duration(seconds) * time.Second).Round(time.Minute)
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// attributes let subscribers filter: severity, status, checks,
// resource_type, account, region, event_type, kind, dry_run. SNS refuses
// empty attribute values, so empty ones are left out.
func attributes(m Message, status Status, severity Severity) map[string]types.MessageAttributeValue {
	attrs := map[string]types.MessageAttributeValue{}
	set := func(k, v string) {
		if v != "" {
			attrs[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	statusAttr := string(status)
	switch m.Kind {
	case KindResolved:
		statusAttr = "RESOLVED"
	case KindRemediation:
		statusAttr = "ACTION"
	}
	set("severity", string(severity))
	set("status", statusAttr)
	set("account", m.Account)
	set("region", m.Region)
	set("event_type", m.EventType)
	set("kind", string(m.Kind))
	set("dry_run", fmt.Sprint(m.DryRun))

	var checks []string
	seen := map[string]bool{}
	for _, f := range m.Findings {
		if (f.Status.Bad() || m.Kind == KindResolved) && !seen[f.Check] {
			seen[f.Check] = true
			checks = append(checks, f.Check)
		}
	}
	if len(checks) > 0 {
		js, _ := json.Marshal(checks) // strings always marshal
		attrs["checks"] = types.MessageAttributeValue{DataType: aws.String("String.Array"), StringValue: aws.String(string(js))}
	}
	// The resource type of what the subject names.
	switch {
	case len(m.Findings) > 0:
		lead, _ := leadFinding(m)
		set("resource_type", lead.ResourceType)
	case len(m.Actions) > 0:
		lead, _ := leadAction(m)
		set("resource_type", lead.ResourceType)
	}
	return attrs
}

// humanType names a CloudFormation-style resource type for people.
func humanType(t string) string {
	switch t {
	case "AWS::Backup::BackupVault":
		return "backup vault"
	case "AWS::Backup::RecoveryPoint":
		return "recovery point"
	case "AWS::Backup::BackupPlan":
		return "backup plan"
	case "AWS::Backup::BackupJob":
		return "backup job"
	case "AWS::Backup::CopyJob":
		return "copy job"
	case "AWS::DynamoDB::Table":
		return "DynamoDB table"
	case "AWS::RDS::DBInstance":
		return "RDS instance"
	case "AWS::RDS::DBCluster":
		return "Aurora cluster"
	case "AWS::AutoScaling::AutoScalingGroup":
		return "Auto Scaling group"
	case "AWS::S3::Bucket":
		return "S3 bucket"
	case "":
		return "resource"
	}
	return t
}

// subjectOf names what a finding is about as its owners know it: the
// protected resource of a recovery point, copy or job ("DynamoDB table
// orders"), else the resource itself ("backup vault prod").
func subjectOf(f Finding) string {
	if p := f.ProtectedResource; p != nil && p.Name != "" {
		return humanType(p.Type) + " " + p.Name
	}
	return humanType(f.ResourceType) + " " + shortName(f.Resource)
}

// writeAbout names the recovery point or job a finding was checked on when
// its subject is the protected resource.
func writeAbout(b *strings.Builder, f Finding) {
	if p := f.ProtectedResource; p != nil && p.Name != "" && f.Resource != p.ARN {
		fmt.Fprintf(b, "        %s: %s\n", humanType(f.ResourceType), f.Resource)
	}
}

// writeOpen lists the failures still open: the page people read to know
// where they stand.
// writeAccounts lists an organization digest's account-regions: what each
// found and, when it was not swept, why.
func writeAccounts(b *strings.Builder, accounts []AccountDigest) {
	if len(accounts) == 0 {
		return
	}
	b.WriteString("\nAccounts (FAIL / WARN / ERROR / PASS, open):\n")
	for _, a := range accounts {
		n := a.Counts
		fmt.Fprintf(b, "  %-12s %-14s %-13s %4d %4d %4d %4d  open %d\n", a.Account, a.Region, a.Coverage,
			n[StatusFail], n[StatusWarn], n[StatusError], n[StatusPass]+n[StatusNotApplicable], a.Open)
		if a.Reason != "" {
			fmt.Fprintf(b, "      %s\n", a.Reason)
		}
		checks := make([]string, 0, len(a.Failing))
		for c := range a.Failing {
			checks = append(checks, c)
		}
		sort.Strings(checks)
		for _, c := range checks {
			fmt.Fprintf(b, "      %s: %d failing\n", c, a.Failing[c])
		}
	}
}

func writeOpen(b *strings.Builder, d Digest) {
	total := 0
	for _, n := range d.OpenCounts {
		total += n
	}
	if total == 0 {
		fmt.Fprintf(b, "\nOpen failures: none (%d new this run).\n", len(d.New))
		return
	}
	fmt.Fprintf(b, "\nOpen failures: %s (%d new this run)\n", CountStatuses(d.OpenCounts), len(d.New))
	for _, o := range d.Open {
		fmt.Fprintf(b, "  %-5s %s  %s: %s (since %s, %s)\n", o.Status, o.Check,
			subjectOf(Finding{Resource: o.Resource, ResourceType: o.ResourceType, ProtectedResource: o.ProtectedResource}),
			o.Summary, o.First.UTC().Format("2006-01-02 15:04 UTC"), Times(o.Notified))
	}
	if total > len(d.Open) {
		fmt.Fprintf(b, "  … and %d more (see the JSON document's openCounts)\n", total-len(d.Open))
	}
}

// CountStatuses says "2 FAIL, 1 WARN" of bad statuses, worst first; "" when
// there are none.
func CountStatuses(n map[Status]int) string {
	var parts []string
	for _, st := range []Status{StatusFail, StatusError, StatusWarn} {
		if n[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	return strings.Join(parts, ", ")
}

// Times says how often something was notified: "notified once",
// "notified 3 times".
func Times(n int) string {
	switch n {
	case 0:
		return "not notified yet"
	case 1:
		return "notified once"
	case 2:
		return "notified twice"
	}
	return fmt.Sprintf("notified %d times", n)
}

// shortName is what people call a resource: the last part of its ARN.
func shortName(arn string) string {
	if i := strings.LastIndexAny(arn, ":/"); i >= 0 && i < len(arn)-1 {
		return arn[i+1:]
	}
	return arn
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
