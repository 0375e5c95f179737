package scenario

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/selfheal/selfheal/shared/config"
)

// stepKinds are the keys of which a step has exactly one.
var stepKinds = []string{
	"impairAZ", "recoverAZ", "raiseHealthIssue", "closeHealthIssue", "setAlarm",
	"failBackupJob", "failCopy", "stallPITR", "stallLogShipping",
	"startInstanceRefresh", "endInstanceRefresh", "event", "eventFile", "runSchedule",
	"startZonalShift", "updateZonalShift", "cancelZonalShift", "startPracticeRun", "startFISShift",
	"runRestoreTest", "failRestore", "growTable", "editPlan", "deletePlan", "setBackupRetention",
}

// StepKinds lists the step types, for documentation and messages.
func StepKinds() []string { return slices.Clone(stepKinds) }

var (
	alarmStates     = []string{"ALARM", "OK", "INSUFFICIENT_DATA"}
	jobOutcomes     = []string{"FAILED", "ABORTED", "EXPIRED"}
	copyModes       = []string{"FAIL", "DELAY", "NEVER_START"}
	refreshStatuses = []string{"Successful", "Failed", "Cancelled"}
)

func (w *world) step(o *object, path string) (Step, bool) {
	st := Step{Path: path, Account: o.str("account", false)}
	var atOK bool
	st.At, atOK = o.duration("at", true)
	accountOK := w.in(o.at("account"), st.Account)
	defer func() { w.cur = &w.sc.State }()
	var kinds []string
	for _, k := range stepKinds {
		if o.has(k) {
			kinds = append(kinds, k)
		}
	}
	var act Action
	switch len(kinds) {
	case 0:
		// Mark every kind known so that a misspelt one is reported as
		// unknown next to this message.
		for _, k := range stepKinds {
			o.get(k)
		}
		o.r.addf(path, "has no action: give one of %s", strings.Join(stepKinds, ", "))
	case 1:
		act = w.action(o, kinds[0])
	default:
		for _, k := range stepKinds {
			o.get(k)
		}
		o.r.addf(path, "has %d actions (%s): give one per step", len(kinds), strings.Join(kinds, ", "))
	}
	switch act.(type) {
	case Event, RunSchedule, CloseHealthIssue:
		if st.Account != "" {
			o.r.addf(o.at("account"), "only applies to steps that act in an account (an event names its own; an issue closes where it was raised)")
		}
	}
	if _, isEvent := act.(Event); !isEvent && len(kinds) == 1 {
		for _, k := range []string{"to", "stampTime"} {
			if o.has(k) {
				o.get(k)
				o.r.addf(o.at(k), "only applies to event and eventFile steps")
			}
		}
	}
	o.done()
	if act == nil || !atOK || !accountOK {
		return st, false
	}
	st.Action = act
	return st, true
}

func (w *world) action(o *object, kind string) Action {
	at := o.at(kind)
	switch kind {
	case "impairAZ", "recoverAZ":
		az := o.str(kind, true)
		region, ok := w.az(at, az)
		if !ok {
			return nil
		}
		if kind == "impairAZ" {
			return ImpairAZ{Region: region, AZ: az}
		}
		return RecoverAZ{Region: region, AZ: az}
	case "raiseHealthIssue":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := RaiseHealthIssue{ID: c.str("id", true), AZ: c.str("az", true), Service: strings.ToUpper(c.str("service", false))}
		if a.Service == "" {
			a.Service = "EC2"
		}
		c.done()
		if a.AZ != "" {
			a.Region, _ = w.az(c.at("az"), a.AZ)
		}
		if a.ID != "" {
			if prev, dup := w.health[a.ID]; dup && prev.raised {
				w.r.addf(c.at("id"), "Health issue %q is raised twice (first at %s)", a.ID, prev.path)
			}
			w.health[a.ID] = healthIssue{path: o.path, raised: true}
		}
		return a
	case "closeHealthIssue":
		id := o.str(kind, true)
		if _, seen := w.health[id]; !seen {
			w.health[id] = healthIssue{path: o.path}
		}
		return CloseHealthIssue{ID: id}
	case "setAlarm":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := SetAlarm{Name: c.str("name", true), Region: c.str("region", false), Reason: c.str("reason", false),
			State: c.oneOf("state", true, "", alarmStates...)}
		c.done()
		if a.Region == "" {
			a.Region = w.sc.Region
		}
		if a.Name != "" && !w.hasAlarm(a.Name, a.Region) {
			w.r.addf(c.at("name"), "no alarm %q in %s in state.alarms", a.Name, a.Region)
		}
		if a.Reason == "" {
			a.Reason = "game day: set to " + a.State
		}
		return a
	case "failBackupJob":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := FailBackupJob{Resource: w.resource(c), Outcome: c.oneOf("outcome", false, "FAILED", jobOutcomes...),
			Message: c.str("message", false)}
		a.Count, _ = c.integer("count", false, 1, 1000)
		c.done()
		return a
	case "failCopy":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := FailCopy{Resource: w.resource(c), Vault: c.str("vault", false), VaultRegion: c.str("vaultRegion", false),
			Mode: c.oneOf("mode", false, "FAIL", copyModes...), Message: c.str("message", false)}
		a.Delay, _ = c.duration("delay", false)
		a.Count, _ = c.integer("count", false, 1, 1000)
		if a.VaultRegion == "" {
			a.VaultRegion = w.sc.Region
		}
		if a.Vault != "" && w.region(c.at("vaultRegion"), a.VaultRegion) && !w.hasVault(a.Vault, a.VaultRegion) {
			w.r.addf(c.at("vault"), "no vault %q in %s in state.vaults", a.Vault, a.VaultRegion)
		}
		switch {
		case a.Mode == "DELAY" && a.Delay == 0:
			w.r.addf(c.at("delay"), "is required with mode DELAY")
		case a.Mode != "DELAY" && c.has("delay"):
			w.r.addf(c.at("delay"), "only applies to mode DELAY")
		}
		c.done()
		return a
	case "stallPITR":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := StallPITR{Table: c.str("table", true), Region: c.str("region", false), Stalled: true}
		if b, set := c.boolean("stalled"); set {
			a.Stalled = b
		}
		c.done()
		if a.Region == "" {
			a.Region = w.sc.Region
		}
		if a.Table != "" && !w.hasTable(a.Table, a.Region) {
			w.r.addf(c.at("table"), "no table %q in %s in state.tables", a.Table, a.Region)
		}
		return a
	case "stallLogShipping":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := StallLogShipping{ID: c.str("id", true), Region: c.str("region", false), Stalled: true}
		if b, set := c.boolean("stalled"); set {
			a.Stalled = b
		}
		c.done()
		if a.Region == "" {
			a.Region = w.sc.Region
		}
		if a.ID != "" && !w.hasDBInstance(a.ID, a.Region) && !w.hasDBCluster(a.ID, a.Region) {
			w.r.addf(c.at("id"), "no DB instance or cluster %q in %s in state", a.ID, a.Region)
		}
		return a
	case "startInstanceRefresh", "endInstanceRefresh":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		name, region := c.str("group", true), c.str("region", false)
		status := ""
		if kind == "endInstanceRefresh" {
			status = c.oneOf("status", false, "Successful", refreshStatuses...)
		}
		c.done()
		if region == "" {
			region = w.sc.Region
		}
		if name != "" && w.group(name, region) == nil {
			w.r.addf(c.at("group"), "no group %q in %s in state.groups", name, region)
		}
		if kind == "startInstanceRefresh" {
			return StartInstanceRefresh{Group: name, Region: region}
		}
		return EndInstanceRefresh{Group: name, Region: region, Status: status}
	case "startZonalShift", "updateZonalShift", "cancelZonalShift", "startPracticeRun", "startFISShift":
		return w.zonalShift(o, kind)
	case "event", "eventFile":
		return w.event(o, kind)
	case "runRestoreTest", "failRestore", "growTable", "editPlan", "deletePlan", "setBackupRetention":
		return w.restoreAction(o, kind)
	case "runSchedule":
		name := o.str(kind, true)
		fn, ok := w.function(at, name)
		if ok && !fn.Scheduled {
			w.r.addf(at, "%s runs on events, not on a schedule", name)
		}
		return RunSchedule{Function: name}
	}
	return nil
}

// zonalShift reads a step on an enrolled group's zonal shifts.
func (w *world) zonalShift(o *object, kind string) Action {
	op := map[string]string{"startZonalShift": "start", "updateZonalShift": "update", "cancelZonalShift": "cancel",
		"startPracticeRun": "practiceRun", "startFISShift": "fis"}[kind]
	c, ok := o.child(kind, true)
	if !ok {
		return nil
	}
	a := ZonalShiftStep{Op: op, Group: c.str("group", true), Region: c.str("region", false)}
	if a.Region == "" {
		a.Region = w.sc.Region
	}
	switch op {
	case "start", "practiceRun", "fis":
		a.AZ = c.str("az", true)
		if a.AZ != "" {
			w.az(c.at("az"), a.AZ)
		}
	}
	switch op {
	case "start", "fis":
		a.ExpiresIn, _ = c.duration("expiresIn", true)
	case "update":
		a.ExpiresIn, _ = c.duration("expiresIn", false)
	}
	if op == "start" || op == "update" {
		a.Comment = c.str("comment", op == "start")
	}
	c.done()
	if g := w.group(a.Group, a.Region); a.Group != "" && g == nil {
		w.r.addf(c.at("group"), "no group %q in %s in state.groups", a.Group, a.Region)
	} else if g != nil && g.ZonalShift == "" {
		w.r.addf(c.at("group"), "group %q is not enrolled in zonal shift: give it \"zonalShift\" in state.groups", a.Group)
	}
	return a
}

func (w *world) function(path, name string) (Function, bool) {
	if name == "" {
		return Function{}, false
	}
	for _, f := range w.opts.Functions {
		if f.Name != name {
			continue
		}
		switch {
		case f.Shape == ShapeHub && len(w.sc.Accounts) == 0:
			w.r.addf(path, "%s is deployed only to an organization's hub: give the scenario accounts", name)
			return f, false
		case f.Shape == ShapeSingle && len(w.sc.Accounts) > 0:
			w.r.addf(path, "%s is not deployed to an organization's hub (its sweep runs in the organization sweep)", name)
			return f, false
		}
		return f, true
	}
	names := make([]string, len(w.opts.Functions))
	for i, f := range w.opts.Functions {
		names[i] = f.Name
	}
	w.r.addf(path, "no function %q in this build (have: %s)", name, strings.Join(names, ", "))
	return Function{}, false
}

func (w *world) event(o *object, kind string) Action {
	at := o.at(kind)
	ev := Event{Origin: "inline", To: o.str("to", false)}
	ev.StampTime, _ = o.boolean("stampTime")
	if ev.To != "" {
		w.function(o.at("to"), ev.To)
	}
	var doc any
	if kind == "event" {
		doc, _ = o.get(kind)
	} else {
		path := o.str(kind, true)
		if path == "" {
			return nil
		}
		ev.Origin = path
		if w.opts.ReadEvent == nil {
			w.r.addf(at, "event files cannot be read here")
			return nil
		}
		data, err := w.opts.ReadEvent(path)
		if err != nil {
			w.r.addf(at, "%v", err)
			return nil
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			if ev.To == "" {
				w.r.addf(at, "%s is not JSON (%v): only an event sent straight to a function (\"to\") may be malformed", path, err)
				return nil
			}
			ev.JSON = data
			return ev
		}
		ev.JSON = data
	}
	m, isObj := doc.(map[string]any)
	if !isObj && ev.To == "" {
		w.r.addf(at, "an event on the bus must be a JSON object, not %s", config.DescribeJSON(doc))
		return nil
	}
	if ev.To == "" {
		for _, k := range []string{"source", "detail-type"} {
			if s, ok := m[k].(string); !ok || s == "" {
				w.r.addf(at, "an event on the bus needs a %q string (or send it straight to a function with \"to\")", k)
			}
		}
	}
	if ev.StampTime && !isObj {
		w.r.addf(o.at("stampTime"), "needs an event that is a JSON object")
	}
	if ev.JSON == nil {
		raw, err := json.Marshal(doc)
		if err != nil {
			w.r.addf(at, "%v", err)
			return nil
		}
		ev.JSON = raw
	}
	return ev
}

// resource reads the optional resource reference of a fault step: one of
// table, dbInstance, dbCluster or resourceArn, with region.
func (w *world) resource(c *object) Resource {
	var res Resource
	var given []string
	for _, k := range []string{"table", "dbInstance", "dbCluster", "resourceArn"} {
		if v := c.str(k, false); v != "" {
			given = append(given, k)
			res = Resource{Kind: k, Name: v}
		}
	}
	res.Region = c.str("region", false)
	if res.Region == "" {
		res.Region = w.sc.Region
	}
	if len(given) > 1 {
		w.r.addf(c.path, "names %s: give at most one resource", strings.Join(given, " and "))
		return Resource{}
	}
	switch res.Kind {
	case "table":
		if !w.hasTable(res.Name, res.Region) {
			w.r.addf(c.at("table"), "no table %q in %s in state.tables", res.Name, res.Region)
		}
	case "dbInstance":
		if !w.hasDBInstance(res.Name, res.Region) {
			w.r.addf(c.at("dbInstance"), "no DB instance %q in %s in state.dbInstances", res.Name, res.Region)
		}
	case "dbCluster":
		if !w.hasDBCluster(res.Name, res.Region) {
			w.r.addf(c.at("dbCluster"), "no DB cluster %q in %s in state.dbClusters", res.Name, res.Region)
		}
	case "resourceArn":
		if !strings.HasPrefix(res.Name, "arn:") {
			w.r.addf(c.at("resourceArn"), "%q is not an ARN", res.Name)
		}
	}
	return res
}

// checkHealthIssues: every closed issue was raised before it is closed.
func (w *world) checkHealthIssues() {
	raisedAt := map[string]int{}
	for i, st := range w.sc.Timeline {
		switch a := st.Action.(type) {
		case RaiseHealthIssue:
			raisedAt[a.ID] = i
		case CloseHealthIssue:
			if _, ok := raisedAt[a.ID]; !ok {
				if _, later := w.health[a.ID]; later && w.health[a.ID].raised {
					w.r.addf(st.Path+".closeHealthIssue", "Health issue %q is closed before it is raised", a.ID)
				} else {
					w.r.addf(st.Path+".closeHealthIssue", "no raiseHealthIssue step has id %q", a.ID)
				}
			}
		}
	}
}
