package scenario

import (
	"fmt"
	"regexp"
	"time"
)

// Restore testing, backup plans changing and databases losing their
// automated backups: the state, steps and expectations of the game days
// of issue #15 (restore-test, rto-regression, plan-loses-copy).

// RestoreTestingPlan is an AWS Backup restore testing plan with one
// selection per resource type it names, restoring the latest recovery
// point.
type RestoreTestingPlan struct {
	Name, Region string
	// Schedule is a cron expression; default daily at 06:00 UTC.
	Schedule string
	// ValidationWindowHours the restored resources are kept for
	// validation (0–168); default 4.
	ValidationWindowHours           int
	Tables, DBInstances, DBClusters []string
}

// RunRestoreTest runs a restore testing plan now.
type RunRestoreTest struct{ Plan, Region string }

// FailRestore makes the next Count restore jobs of a resource fail (FAIL),
// be stopped (ABORT), restore something unusable (BROKEN: an empty table,
// a database in incompatible-restore) or take Delay longer (SLOW).
type FailRestore struct {
	Resource Resource
	Mode     string
	Message  string
	Delay    time.Duration
	Count    int
}

// GrowTable makes a table hold SizeGiB of data: its backups grow, and so
// does the time their restores take.
type GrowTable struct {
	Table, Region string
	SizeGiB       int
}

// EditPlan replaces a backup plan's rules (UpdateBackupPlan), as someone
// editing it would.
type EditPlan struct {
	Plan, Region string
	Rules        []Rule
}

// DeletePlan removes a backup plan's selections, then the plan.
type DeletePlan struct{ Plan, Region string }

// SetBackupRetention sets an RDS instance's backup retention at once (0
// turns automated backups off).
type SetBackupRetention struct {
	ID, Region string
	Days       int
}

func (RunRestoreTest) action()     {}
func (FailRestore) action()        {}
func (GrowTable) action()          {}
func (EditPlan) action()           {}
func (DeletePlan) action()         {}
func (SetBackupRetention) action() {}

// RestoreTestExpect checks what selfheal told AWS Backup about the last
// restore test of a resource: the validation result it put.
type RestoreTestExpect struct {
	Path     string
	Resource Resource
	// Validation is SUCCESSFUL, FAILED, or NONE (no result put: a dry run,
	// or a job that failed before it restored anything).
	Validation string
	// AtLeast restore tests of the resource ran.
	AtLeast int
}

var (
	restoreModes       = []string{"FAIL", "ABORT", "BROKEN", "SLOW"}
	validationStatuses = []string{"SUCCESSFUL", "FAILED", "NONE"}
)

func parseRestoreTestingPlans(o *object) []RestoreTestingPlan {
	var out []RestoreTestingPlan
	for _, p := range o.objects("restoreTestingPlans") {
		rp := RestoreTestingPlan{
			Name: p.str("name", true), Region: p.str("region", false), Schedule: p.str("schedule", false),
			Tables: p.strings("tables", false), DBInstances: p.strings("dbInstances", false), DBClusters: p.strings("dbClusters", false),
			ValidationWindowHours: 4,
		}
		if n, ok := p.integer("validationWindowHours", false, 0, 168); ok {
			rp.ValidationWindowHours = n
		}
		if rp.Schedule == "" {
			rp.Schedule = "cron(0 6 ? * * *)"
		}
		if len(rp.Tables)+len(rp.DBInstances)+len(rp.DBClusters) == 0 {
			p.r.addf(p.path, "tests nothing: give tables, dbInstances or dbClusters")
		}
		p.done()
		out = append(out, rp)
	}
	return out
}

// parseRules reads the rules of a plan (state.plans[].rules, editPlan).
func parseRules(p *object) []Rule {
	var rules []Rule
	if _, ok := p.array("rules", true); !ok {
		return nil
	}
	for i, ro := range p.objects("rules") {
		rule := Rule{Name: ro.str("name", false), Vault: ro.str("vault", true), Schedule: ro.str("schedule", false)}
		if rule.Name == "" {
			rule.Name = fmt.Sprintf("rule-%d", i+1)
		}
		rule.DeleteAfterDays, _ = ro.integer("deleteAfterDays", false, 1, 36500)
		rule.Continuous, _ = ro.boolean("continuous")
		for _, co := range ro.objects("copies") {
			c := Copy{Vault: co.str("vault", true), Region: co.str("region", false)}
			c.DeleteAfterDays, _ = co.integer("deleteAfterDays", false, 1, 36500)
			co.done()
			rule.Copies = append(rule.Copies, c)
		}
		ro.done()
		rules = append(rules, rule)
	}
	if len(rules) == 0 {
		p.r.addf(p.at("rules"), "must have at least one rule")
	}
	return rules
}

func (w *world) hasPlan(name, region string) bool {
	for _, p := range w.cur.Plans {
		if p.Name == name && p.Region == region {
			return true
		}
	}
	return false
}

func (w *world) hasRestoreTestingPlan(name, region string) bool {
	for _, p := range w.cur.RestoreTestingPlans {
		if p.Name == name && p.Region == region {
			return true
		}
	}
	return false
}

// checkRestoreTestingPlans checks the names and references of the restore
// testing plans of the current state, written at prefix.
func (w *world) checkRestoreTestingPlans(prefix string) {
	st := w.cur
	unique(w, prefix+".restoreTestingPlans", st.RestoreTestingPlans, func(p RestoreTestingPlan) string {
		return "restore testing plan " + p.Name + "\x00" + p.Region
	})
	for i, p := range st.RestoreTestingPlans {
		path := index(prefix+".restoreTestingPlans", i)
		if !w.region(path+".region", p.Region) {
			continue
		}
		if !restorePlanName.MatchString(p.Name) {
			w.r.addf(path+".name", "%q: a restore testing plan's name has letters, digits and underscores only", p.Name)
		}
		for j, t := range p.Tables {
			if !w.hasTable(t, p.Region) {
				w.r.addf(index(path+".tables", j), "no table %q in %s in state.tables", t, p.Region)
			}
		}
		for j, d := range p.DBInstances {
			if !w.hasDBInstance(d, p.Region) {
				w.r.addf(index(path+".dbInstances", j), "no DB instance %q in %s in state.dbInstances", d, p.Region)
			}
		}
		for j, d := range p.DBClusters {
			if !w.hasDBCluster(d, p.Region) {
				w.r.addf(index(path+".dbClusters", j), "no DB cluster %q in %s in state.dbClusters", d, p.Region)
			}
		}
	}
}

var restorePlanName = regexp.MustCompile(`^[a-zA-Z0-9_]{1,50}$`)

// restoreAction reads the steps of this file.
func (w *world) restoreAction(o *object, kind string) Action {
	at := o.at(kind)
	switch kind {
	case "runRestoreTest":
		a := RunRestoreTest{Plan: o.str(kind, true), Region: w.sc.Region}
		if a.Plan != "" && !w.hasRestoreTestingPlan(a.Plan, a.Region) {
			w.r.addf(at, "no restore testing plan %q in %s in state.restoreTestingPlans", a.Plan, a.Region)
		}
		return a
	case "failRestore":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := FailRestore{Resource: w.resource(c), Mode: c.oneOf("mode", false, "FAIL", restoreModes...), Message: c.str("message", false)}
		a.Delay, _ = c.duration("delay", false)
		a.Count, _ = c.integer("count", false, 1, 1000)
		switch {
		case a.Mode == "SLOW" && a.Delay == 0:
			w.r.addf(c.at("delay"), "is required with mode SLOW")
		case a.Mode != "SLOW" && c.has("delay"):
			w.r.addf(c.at("delay"), "only applies to mode SLOW")
		}
		c.done()
		return a
	case "growTable":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := GrowTable{Table: c.str("table", true), Region: c.str("region", false)}
		a.SizeGiB, _ = c.integer("sizeGiB", true, 0, 1_000_000)
		c.done()
		if a.Region == "" {
			a.Region = w.sc.Region
		}
		if a.Table != "" && !w.hasTable(a.Table, a.Region) {
			w.r.addf(c.at("table"), "no table %q in %s in state.tables", a.Table, a.Region)
		}
		return a
	case "editPlan":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := EditPlan{Plan: c.str("plan", true), Region: c.str("region", false), Rules: parseRules(c)}
		c.done()
		if a.Region == "" {
			a.Region = w.sc.Region
		}
		for i := range a.Rules {
			for j := range a.Rules[i].Copies {
				if a.Rules[i].Copies[j].Region == "" {
					a.Rules[i].Copies[j].Region = w.sc.Region
				}
			}
		}
		w.checkPlanRef(c, a.Plan, a.Region)
		w.checkRules(c.at("rules"), a.Region, a.Rules)
		return a
	case "deletePlan":
		a := DeletePlan{Plan: o.str(kind, true), Region: w.sc.Region}
		if a.Plan != "" && !w.hasPlan(a.Plan, a.Region) {
			w.r.addf(at, "no plan %q in %s in state.plans", a.Plan, a.Region)
		}
		return a
	case "setBackupRetention":
		c, ok := o.child(kind, true)
		if !ok {
			return nil
		}
		a := SetBackupRetention{ID: c.str("dbInstance", true), Region: c.str("region", false)}
		a.Days, _ = c.integer("days", true, 0, 35)
		c.done()
		if a.Region == "" {
			a.Region = w.sc.Region
		}
		if a.ID != "" && !w.hasDBInstance(a.ID, a.Region) {
			w.r.addf(c.at("dbInstance"), "no DB instance %q in %s in state.dbInstances", a.ID, a.Region)
		}
		return a
	}
	return nil
}

func (w *world) checkPlanRef(c *object, name, region string) {
	if name != "" && !w.hasPlan(name, region) {
		w.r.addf(c.at("plan"), "no plan %q in %s in state.plans", name, region)
	}
}

// checkRules checks the vaults a plan's rules name.
func (w *world) checkRules(path, region string, rules []Rule) {
	for j, rule := range rules {
		rp := index(path, j)
		if rule.Vault != "" && !w.hasVault(rule.Vault, region) {
			w.r.addf(rp+".vault", "no vault %q in %s in state.vaults", rule.Vault, region)
		}
		for k, c := range rule.Copies {
			cp := index(rp+".copies", k)
			if w.region(cp+".region", c.Region) && !w.hasVault(c.Vault, c.Region) && c.Vault != "" {
				w.r.addf(cp+".vault", "no vault %q in %s in state.vaults", c.Vault, c.Region)
			}
		}
	}
}

func (w *world) restoreTestExpect(o *object, p string) RestoreTestExpect {
	e := RestoreTestExpect{Path: p, Resource: w.resource(o), Validation: o.oneOf("validation", true, "", validationStatuses...)}
	e.AtLeast, _ = o.integer("atLeast", false, 1, 1000)
	if e.Resource.Kind == "" {
		w.r.addf(p, "names no resource: give table, dbInstance, dbCluster or resourceArn")
	}
	o.done()
	return e
}
