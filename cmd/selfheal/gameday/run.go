package gameday

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfheal/selfheal/cmd/selfheal/internal/bus"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/shared/awssim"
)

// Tick is how often the game day delivers events and samples capacity: the
// sim's own reconcile step.
const Tick = awssim.DefaultTick

// maxRoundsPerTick bounds the deliveries that may cascade within one
// instant (an invocation whose writes emit events that are delivered at
// once), so that a feedback loop shows up as a slow run, not a hang.
const maxRoundsPerTick = 20

// Run builds the scenario's world and plays it.
func Run(ctx context.Context, sc *scenario.Scenario, opts Options) (*Report, error) {
	w, err := Build(ctx, sc, opts)
	if err != nil {
		return nil, err
	}
	return w.Run(ctx, opts)
}

// delivery is one pending attempt to invoke a function with an event, or
// to put a failure record on the dead-letter queue.
type delivery struct {
	due      time.Time
	seq      int
	function string
	ev       bus.Event
	rule     string
	attempt  int
	// requestID is Lambda's id of the delivery, kept across its retries.
	requestID string
	// deadLetter: the attempts are exhausted; send the failure record.
	deadLetter bool
	lastErr    string
}

type runner struct {
	w       *World
	opts    Options
	rep     *Report
	pending []delivery
	seq     int
	series  map[string]*groupTrack
	order   []string
}

type groupTrack struct {
	in          *account
	series      GroupSeries
	last        Sample
	minIn       int
	minAt       Offset
	sampledOnce bool
}

// Run plays the timeline from the world's current state.
func (w *World) Run(ctx context.Context, opts Options) (*Report, error) {
	sc := w.Scenario
	r := &runner{w: w, opts: opts, series: map[string]*groupTrack{}, rep: &Report{
		SchemaVersion: SchemaVersion, Scenario: sc.Name, Description: sc.Description, Region: sc.Region,
		Seed: w.seedOf(opts), DryRun: sc.Policy.DryRun, Start: w.Start, Faults: faultRecords(opts.Faults),
		Bus: BusStats{Unrouted: map[string]int{}}, Timeline: []Entry{},
	}}
	if opts.Duplicates > 1 {
		r.rep.Duplicates = opts.Duplicates
	}
	for _, a := range w.accounts {
		for _, g := range a.state.Groups {
			k := a.groupKey(g.Region, g.Name)
			var azs []string
			for _, az := range a.sim.AZs(g.Region) {
				azs = append(azs, az.Name)
			}
			series := GroupSeries{Name: g.Name, Region: g.Region, AZs: azs}
			if a.sim != w.Sim {
				series.Account = a.id
			}
			r.series[k] = &groupTrack{series: series, in: a}
			r.order = append(r.order, k)
		}
	}
	end := w.Start.Add(sc.Duration)
	next := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		now := w.Sim.Now()
		for next < len(sc.Timeline) && !w.Start.Add(sc.Timeline[next].At).After(now) {
			r.step(ctx, sc.Timeline[next])
			next++
		}
		r.deliver(ctx)
		r.sample()
		if !now.Before(end) {
			break
		}
		t := now.Add(Tick)
		if next < len(sc.Timeline) {
			if at := w.Start.Add(sc.Timeline[next].At); at.Before(t) {
				t = at
			}
		}
		if due, ok := r.nextDue(); ok && due.After(now) && due.Before(t) {
			t = due
		}
		if t.After(end) {
			t = end
		}
		w.Sim.AdvanceTo(t)
	}
	r.finish()
	return r.rep, nil
}

func (w *World) seedOf(opts Options) uint64 {
	switch {
	case opts.Seed != 0:
		return opts.Seed
	case w.Scenario.Seed != 0:
		return w.Scenario.Seed
	}
	return 1
}

func (r *runner) entry(e Entry) {
	now := r.w.Sim.Now()
	e.Time, e.Offset = now, r.w.offset(now)
	r.rep.Timeline = append(r.rep.Timeline, e)
}

// step applies one timeline step.
func (r *runner) step(ctx context.Context, st scenario.Step) {
	w := r.w
	in := w.in(st.Account)
	sim := in.sim
	summary, err := "", error(nil)
	switch a := st.Action.(type) {
	case scenario.ImpairAZ:
		sim.ImpairAZ(a.Region, a.AZ)
		summary = "AZ " + a.AZ + " impaired (no Health event)"
	case scenario.RecoverAZ:
		sim.RecoverAZ(a.Region, a.AZ)
		summary = "AZ " + a.AZ + " recovered"
	case scenario.RaiseHealthIssue:
		arn := sim.RaiseAZIssue(a.Region, a.AZ, a.Service)
		w.health[a.ID] = raisedIssue{in: in, arn: arn}
		summary = fmt.Sprintf("AWS Health: %s issue %q opened in %s", a.Service, a.ID, a.AZ)
	case scenario.CloseHealthIssue:
		issue := w.health[a.ID]
		err = issue.in.sim.CloseHealthEvent(issue.arn)
		summary = fmt.Sprintf("AWS Health: issue %q closed", a.ID)
	case scenario.SetAlarm:
		err = sim.SetAlarmState(a.Region, a.Name, cwtypes.StateValue(a.State), a.Reason)
		summary = fmt.Sprintf("alarm %s set to %s", a.Name, a.State)
	case scenario.FailBackupJob:
		_, err = sim.InjectBackupJobFault(awssim.BackupJobFault{
			ResourceArn: in.resourceARN(a.Resource), Outcome: backuptypes.BackupJobState(a.Outcome),
			StatusMessage: a.Message, Count: a.Count,
		})
		summary = fmt.Sprintf("the next backup job of %s will end %s", orAny(a.Resource.Name), a.Outcome)
	case scenario.FailCopy:
		f := awssim.CopyJobFault{ResourceArn: in.resourceARN(a.Resource), Mode: awssim.CopyFaultMode(a.Mode),
			Delay: a.Delay, StatusMessage: a.Message, Count: a.Count}
		dest := "any vault"
		if a.Vault != "" {
			f.DestinationVaultArn = in.vaultARNs[key(a.VaultRegion, a.Vault)]
			dest = a.Vault + " (" + a.VaultRegion + ")"
		}
		_, err = sim.InjectCopyJobFault(f)
		summary = fmt.Sprintf("the next copy of %s into %s will %s", orAny(a.Resource.Name), dest, map[string]string{
			"FAIL": "fail", "DELAY": "wait " + a.Delay.String(), "NEVER_START": "never start",
		}[a.Mode])
	case scenario.StallPITR:
		err = sim.StallDynamoDBPITR(a.Region, a.Table, a.Stalled)
		summary = fmt.Sprintf("PITR of table %s %s", a.Table, stalledWord(a.Stalled))
	case scenario.StallLogShipping:
		err = sim.StallRDSLogShipping(a.Region, a.ID, a.Stalled)
		summary = fmt.Sprintf("log shipping of %s %s", a.ID, stalledWord(a.Stalled))
	case scenario.StartInstanceRefresh:
		_, err = sim.StartInstanceRefresh(a.Region, a.Group)
		summary = "instance refresh started on " + a.Group
	case scenario.EndInstanceRefresh:
		err = sim.EndInstanceRefresh(a.Region, a.Group, astypes.InstanceRefreshStatus(a.Status))
		summary = fmt.Sprintf("instance refresh of %s ended %s", a.Group, a.Status)
	case scenario.ZonalShiftStep:
		summary, err = zonalShiftStep(sim, a)
	case scenario.Event:
		r.putEvent(st, a)
		return
	case scenario.RunSchedule:
		r.runSchedule(st, a)
		return
	case scenario.RunRestoreTest, scenario.FailRestore, scenario.GrowTable, scenario.EditPlan, scenario.DeletePlan, scenario.SetBackupRetention:
		summary, err = in.restoreStep(ctx, a)
	}
	if st.Account != "" {
		summary = "account " + st.Account + ": " + summary
	}
	e := Entry{Kind: EntryStep, Step: st.Path, Summary: summary}
	if err != nil {
		e.Error = err.Error()
	}
	r.entry(e)
}

// zonalShiftStep does what a person, ARC or AWS FIS does with a group's
// zonal shifts.
func zonalShiftStep(sim *awssim.Sim, a scenario.ZonalShiftStep) (string, error) {
	var err error
	switch a.Op {
	case "start":
		_, err = sim.StartZonalShiftOf(a.Region, a.Group, a.AZ, a.ExpiresIn, a.Comment)
		return fmt.Sprintf("someone shifts %s away from %s for %s (%q)", a.Group, a.AZ, a.ExpiresIn, a.Comment), err
	case "update":
		err = sim.UpdateZonalShiftOf(a.Region, a.Group, a.ExpiresIn, a.Comment)
		return fmt.Sprintf("someone updates the zonal shift of %s (%s, %q)", a.Group, a.ExpiresIn, a.Comment), err
	case "cancel":
		err = sim.CancelZonalShiftOf(a.Region, a.Group)
		return "someone cancels the zonal shift of " + a.Group, err
	case "practiceRun":
		_, err = sim.StartPracticeRun(a.Region, a.Group, a.AZ)
		return fmt.Sprintf("ARC starts a practice run of %s away from %s", a.Group, a.AZ), err
	}
	_, err = sim.StartFISShift(a.Region, a.Group, a.AZ, a.ExpiresIn)
	return fmt.Sprintf("an AWS FIS experiment shifts %s away from %s for %s", a.Group, a.AZ, a.ExpiresIn), err
}

func orAny(name string) string {
	if name == "" {
		return "any resource"
	}
	return name
}

func stalledWord(stalled bool) string {
	if stalled {
		return "stalled"
	}
	return "resumed"
}

// putEvent puts a scenario's event on the bus, or hands it straight to one
// function.
func (r *runner) putEvent(st scenario.Step, a scenario.Event) {
	raw := a.JSON
	if a.StampTime {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			m["time"] = r.w.Sim.Now().UTC().Format(time.RFC3339)
			if b, err := json.Marshal(m); err == nil {
				raw = b
			}
		}
	}
	ev, err := bus.Parse(raw)
	if err != nil {
		// Only a direct invocation may carry a payload that is not an
		// object (the parser made sure).
		ev = bus.Event{Raw: raw}
	}
	e := Entry{Kind: EntryStep, Step: st.Path, EventID: ev.ID, Source: ev.Source, DetailType: ev.DetailType}
	if a.To != "" {
		e.Summary = fmt.Sprintf("event %s sent to %s: %s", a.Origin, a.To, DescribeEvent(raw))
		r.entry(e)
		r.pushCopies(delivery{due: r.w.Sim.Now(), function: a.To, ev: ev, attempt: 1})
		return
	}
	e.Summary = fmt.Sprintf("event %s put on the bus: %s", a.Origin, DescribeEvent(raw))
	r.entry(e)
	r.route([]bus.Event{ev})
}

// runSchedule fires a scheduled function's rule: EventBridge sends it a
// "Scheduled Event".
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
func (r *runner) runSchedule(st scenario.Step, a scenario.RunSchedule) {
	w := r.w
	raw, _ := json.Marshal(map[string]any{
		"version": "0", "id": w.newEventID(), "detail-type": "Scheduled Event", "source": "aws.events",
		"account": w.Sim.AccountID(), "time": w.Sim.Now().UTC().Format(time.RFC3339), "region": w.Env.Region,
		"resources": []string{fmt.Sprintf("arn:aws:events:%s:%s:rule/selfheal-%s", w.Env.Region, w.Sim.AccountID(), a.Function)},
		"detail":    map[string]any{},
	})
	ev, _ := bus.Parse(raw)
	if !strings.HasPrefix(st.Path, "schedules.") {
		// A recurring schedule shows as its invocations only.
		r.entry(Entry{Kind: EntryStep, Step: st.Path, Summary: "schedule of " + a.Function + " fired", EventID: ev.ID, Source: ev.Source, DetailType: ev.DetailType})
	}
	r.pushCopies(delivery{due: w.Sim.Now(), function: a.Function, ev: ev, attempt: 1, rule: "selfheal-" + a.Function})
}

// pushCopies queues a delivery that bypasses the rules, as many times as
// Options.Duplicates says.
func (r *runner) pushCopies(d delivery) {
	for range max(r.opts.Duplicates, 1) {
		r.push(d)
	}
}

// route matches events against the rules and queues one delivery per
// matching rule, each event Duplicates times, interleaved.
func (r *runner) route(evs []bus.Event) {
	copies := max(r.opts.Duplicates, 1)
	for c := range copies {
		for _, ev := range evs {
			rules := r.w.bus.Route(ev)
			if c == 0 {
				r.rep.Bus.Events++
				if len(rules) == 0 {
					r.rep.Bus.Unrouted[ev.Source+": "+ev.DetailType]++
				} else {
					r.rep.Bus.Routed++
				}
			}
			for _, rule := range rules {
				r.push(delivery{due: r.w.Sim.Now(), function: rule.Function, ev: ev, rule: rule.Name, attempt: 1})
			}
		}
	}
}

func (r *runner) push(d delivery) {
	if d.requestID == "" {
		d.requestID = r.w.newEventID()
	}
	d.seq = r.seq
	r.seq++
	r.pending = append(r.pending, d)
}

func (r *runner) nextDue() (time.Time, bool) {
	if len(r.pending) == 0 {
		return time.Time{}, false
	}
	t := r.pending[0].due
	for _, d := range r.pending[1:] {
		if d.due.Before(t) {
			t = d.due
		}
	}
	return t, true
}

// popDue removes and returns the deliveries due by now, in due order.
func (r *runner) popDue(now time.Time) []delivery {
	var due, rest []delivery
	for _, d := range r.pending {
		if d.due.After(now) {
			rest = append(rest, d)
		} else {
			due = append(due, d)
		}
	}
	r.pending = rest
	slices.SortFunc(due, func(a, b delivery) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	return due
}

// drain takes the events the accounts emitted since the last drain: those
// of the deployment's region go on its bus — a member's through the
// forwarding rule its member stack has, to the hub's bus, unchanged
// (its account is the member's).
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
func (r *runner) drain() []bus.Event {
	var out []bus.Event
	for _, a := range r.w.accounts {
		for _, e := range a.sim.DrainEvents() {
			if e.Region != r.w.Env.Region {
				r.rep.Bus.OtherRegions++
				continue
			}
			ev, err := bus.Parse(e.JSON)
			if err != nil {
				continue // the sim only emits objects
			}
			out = append(out, ev)
		}
	}
	return out
}

// deliver runs everything due now, including what those runs cause at the
// same instant.
func (r *runner) deliver(ctx context.Context) {
	now := r.w.Sim.Now()
	for range maxRoundsPerTick {
		r.route(r.drain())
		due := r.popDue(now)
		if len(due) == 0 {
			return
		}
		for _, d := range due {
			r.run(ctx, d)
		}
	}
}

func (r *runner) run(ctx context.Context, d delivery) {
	w := r.w
	if d.deadLetter {
		r.sendDeadLetter(ctx, d)
		return
	}
	r.rep.Bus.Deliveries++
	if w.deployed[d.function].tasks != nil {
		// The schedule starts the state machine, which invokes the
		// function for each of its tasks.
		r.execute(ctx, d)
		return
	}
	inv, err := w.Invoke(ctx, d.function, d.ev.Raw, d.attempt, d.requestID)
	if err != nil {
		// The parser only lets known functions through.
		inv = Invocation{Function: d.function, Attempt: d.attempt, Status: StatusError, Error: err.Error()}
	}
	r.entry(Entry{
		Kind: EntryInvocation, Summary: DescribeEvent(d.ev.Raw), EventID: d.ev.ID, Source: d.ev.Source,
		DetailType: d.ev.DetailType, Rule: d.rule, Invocation: &inv,
	})
	if !inv.Failed() {
		return
	}
	fn := w.deployed[d.function].fn
	if d.attempt <= fn.Retries {
		next := d
		next.attempt++
		next.due = w.Sim.Now().Add(bus.RetryDelay(next.attempt))
		r.push(next)
		return
	}
	dl := d
	dl.deadLetter, dl.lastErr, dl.due = true, inv.Error, w.Sim.Now()
	r.push(dl)
}

// sendDeadLetter is Lambda putting an exhausted event's record on the
// on-failure destination. If the queue refuses (injected faults), Lambda
// tries again at the next tick: the record is never dropped.
func (r *runner) sendDeadLetter(ctx context.Context, d delivery) {
	w := r.w
	rec, err := bus.NewFailureRecord(w.Sim.Now(), w.newEventID(), w.deployed[d.function].arn, d.attempt, d.ev.Raw, d.lastErr)
	if err == nil {
		_, err = sqs.NewFromConfig(w.Sim.Config(w.Env.Region)).SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: aws.String(w.Env.Config.QueueURL), MessageBody: aws.String(string(rec)),
		})
	}
	e := Entry{Kind: EntryDeadLetter, EventID: d.ev.ID, Source: d.ev.Source, DetailType: d.ev.DetailType,
		Summary: fmt.Sprintf("%s gave up after %d attempts; the event went to the dead-letter queue", d.function, d.attempt)}
	if err != nil {
		e.Summary = fmt.Sprintf("%s gave up after %d attempts; the dead-letter queue refused the record, trying again", d.function, d.attempt)
		e.Error = err.Error()
		d.due = w.Sim.Now().Add(Tick)
		r.push(d)
	}
	r.entry(e)
}

// sample records every group's capacity at this tick.
func (r *runner) sample() {
	w := r.w
	now := w.Sim.Now()
	for _, k := range r.order {
		tr := r.series[k]
		sim := tr.in.sim
		g, ok := sim.Group(tr.series.Region, tr.series.Name)
		if !ok {
			continue
		}
		s := Sample{Offset: w.offset(now), Time: now, AZCounts: map[string]int{}, Min: g.Min, Max: g.Max, Desired: g.Desired,
			Subnets: g.Subnets, SubnetAZs: subnetAZs(sim, g.Region, g.Subnets)}
		for _, az := range tr.series.AZs {
			s.AZCounts[az] = 0
			if sim.AZImpaired(g.Region, az) {
				s.Impaired = append(s.Impaired, az)
			}
		}
		for _, in := range g.Instances {
			if in.LifecycleState == astypes.LifecycleStateInService && in.Healthy {
				s.AZCounts[in.AZ]++
				s.InService++
			}
		}
		if !tr.sampledOnce || s.InService < tr.minIn {
			tr.minIn, tr.minAt = s.InService, s.Offset
		}
		if !tr.sampledOnce || !s.same(tr.last) {
			tr.series.Samples = append(tr.series.Samples, s)
		}
		tr.last, tr.sampledOnce = s, true
	}
}

func subnetAZs(sim *awssim.Sim, region string, subnets []string) []string {
	all := sim.Subnets(region)
	out := make([]string, 0, len(subnets))
	for _, id := range subnets {
		az := "?"
		for _, sn := range all {
			if sn.ID == id {
				az = sn.AZ
			}
		}
		out = append(out, az)
	}
	return out
}

// finish collects the end state and checks the expectations.
func (r *runner) finish() {
	w, rep := r.w, r.rep
	rep.End = w.Sim.Now()
	for _, m := range inPublishingOrder(w.Sim.Published()) {
		if m.Time.Before(w.Start) {
			continue
		}
		n := notificationOf(m)
		n.Offset = w.offset(n.Time)
		rep.Notifications = append(rep.Notifications, n)
	}
	if rep.Notifications == nil {
		rep.Notifications = []Notification{}
	}
	rep.Actions = actionRecords(rep.Notifications)
	rep.Findings = findingRecords(rep.Notifications)
	rep.Calls = callStats(w.calls(), w.Env.Config.TableName)
	rep.Final.DeadLetters = deadLetters(w.Sim.QueueMessages(w.Env.Config.QueueURL))
	rep.Final.Groups = []FinalGroup{}
	for _, k := range r.order {
		tr := r.series[k]
		rep.Capacity = append(rep.Capacity, tr.series)
		g, ok := tr.in.sim.Group(tr.series.Region, tr.series.Name)
		if !ok {
			continue
		}
		last := tr.last
		rep.Final.Groups = append(rep.Final.Groups, FinalGroup{
			Account: tr.series.Account, Name: g.Name, Region: g.Region, Min: g.Min, Max: g.Max, Desired: g.Desired,
			Subnets: g.Subnets, SubnetAZs: last.SubnetAZs, OriginalSubnets: slices.Equal(g.Subnets, tr.in.groups[key(g.Region, g.Name)].Subnets),
			AZCounts: last.AZCounts, InService: last.InService, Suspended: g.Suspended, Tags: g.Tags,
			MinInService: tr.minIn, MinInServiceAt: tr.minAt,
		})
	}
	if rep.Capacity == nil {
		rep.Capacity = []GroupSeries{}
	}
	rep.Expectations = r.check()
	rep.Passed = len(rep.Failures()) == 0
}
