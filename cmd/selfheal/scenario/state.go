package scenario

import (
	"slices"
	"strings"

	"github.com/selfheal/selfheal/shared/config"
)

// maxLockedDaysAgo bounds how far back a lock may be set: the sim ages the
// account to get there.
const maxLockedDaysAgo = 365

var supportPlans = []string{"BASIC", "DEVELOPER", "BUSINESS", "ENTERPRISE_ON_RAMP", "ENTERPRISE"}

// The Auto Scaling processes a group may start with suspended.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html
var scalingProcesses = []string{
	"Launch", "Terminate", "AddToLoadBalancer", "AlarmNotification", "AZRebalance",
	"HealthCheck", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions",
}

func parseState(o *object, region string) State {
	st := State{SupportPlan: "BUSINESS", AZCount: 3}
	regions := o.strings("regions", false)
	for i, rg := range regions {
		if !config.ValidRegion(rg) {
			o.r.addf(index(o.at("regions"), i), "%q is not an AWS region name", rg)
		}
	}
	if len(regions) > 0 && region != "" && !slices.Contains(regions, region) {
		o.r.addf(o.at("regions"), "must include the scenario's region %s", region)
	}
	st.Regions = regionsWith(regions, region)
	if n, ok := o.integer("azCount", false, 2, 6); ok {
		st.AZCount = n
	}
	st.SupportPlan = o.oneOf("supportPlan", false, "BUSINESS", supportPlans...)

	for _, g := range o.objects("groups") {
		grp := Group{
			Name: g.str("name", true), Region: g.str("region", false),
			AZs: g.strings("azs", true), Tags: g.tags("tags"),
			SuspendedProcesses: g.strings("suspendedProcesses", false),
			ZonalShift:         g.oneOf("zonalShift", false, "", "ReplaceUnhealthy", "IgnoreUnhealthy"),
		}
		grp.Min, _ = g.integer("min", true, 0, 10000)
		grp.Max, _ = g.integer("max", true, 0, 10000)
		grp.Desired, _ = g.integer("desired", true, 0, 10000)
		grp.HealthCheckGracePeriod, _ = g.duration("healthCheckGracePeriod", false)
		if grp.Min > grp.Desired || grp.Desired > grp.Max {
			g.r.addf(g.path, "want min ≤ desired ≤ max, got min %d, desired %d, max %d", grp.Min, grp.Desired, grp.Max)
		}
		for i, p := range grp.SuspendedProcesses {
			if !slices.Contains(scalingProcesses, p) {
				g.r.addf(index(g.at("suspendedProcesses"), i), "%q is not an Auto Scaling process (%s)", p, strings.Join(scalingProcesses, ", "))
			}
		}
		g.done()
		st.Groups = append(st.Groups, grp)
	}
	for _, v := range o.objects("vaults") {
		vault := Vault{Name: v.str("name", true), Region: v.str("region", false)}
		if l, ok := v.child("lock", false); ok {
			lock := &VaultLock{}
			lock.MinRetentionDays, _ = l.integer("minRetentionDays", false, 1, 36500)
			lock.MaxRetentionDays, _ = l.integer("maxRetentionDays", false, 1, 36500)
			lock.ChangeableForDays, _ = l.integer("changeableForDays", false, 3, 36500)
			lock.LockedDaysAgo, _ = l.integer("lockedDaysAgo", false, 0, maxLockedDaysAgo)
			if lock.MaxRetentionDays > 0 && lock.MaxRetentionDays < lock.MinRetentionDays {
				l.r.addf(l.at("maxRetentionDays"), "%d is less than minRetentionDays %d", lock.MaxRetentionDays, lock.MinRetentionDays)
			}
			l.done()
			vault.Lock = lock
		}
		v.done()
		st.Vaults = append(st.Vaults, vault)
	}
	for _, t := range o.objects("tables") {
		tb := Table{Name: t.str("name", true), Region: t.str("region", false), Tags: t.tags("tags")}
		tb.PITR, _ = t.boolean("pitr")
		tb.Items, _ = t.integer("items", false, 0, 10000)
		tb.SizeGiB, _ = t.integer("sizeGiB", false, 0, 1_000_000)
		if n, ok := t.integer("recoveryPeriodDays", false, 1, 35); ok {
			tb.RecoveryPeriodDays = n
			if !tb.PITR {
				t.r.addf(t.at("recoveryPeriodDays"), "is only meaningful with \"pitr\": true")
			}
		}
		t.done()
		st.Tables = append(st.Tables, tb)
	}
	for _, d := range o.objects("dbInstances") {
		db := DBInstance{ID: d.str("id", true), Region: d.str("region", false), Engine: d.str("engine", false), Tags: d.tags("tags")}
		if db.Engine == "" {
			db.Engine = "postgres"
		}
		db.BackupRetentionDays, _ = d.integer("backupRetentionDays", false, 0, 35)
		d.done()
		st.DBInstances = append(st.DBInstances, db)
	}
	for _, d := range o.objects("dbClusters") {
		db := DBCluster{ID: d.str("id", true), Region: d.str("region", false), Engine: d.str("engine", false), Tags: d.tags("tags")}
		if db.Engine == "" {
			db.Engine = "aurora-postgresql"
		}
		if !strings.HasPrefix(db.Engine, "aurora") {
			d.r.addf(d.at("engine"), "%q is not an Aurora engine (aurora-postgresql, aurora-mysql)", db.Engine)
		}
		if n, ok := d.integer("backupRetentionDays", false, 1, 35); ok {
			db.BackupRetentionDays = n
		} else {
			db.BackupRetentionDays = 1 // Aurora keeps at least one day
		}
		d.done()
		st.DBClusters = append(st.DBClusters, db)
	}
	for _, p := range o.objects("plans") {
		plan := Plan{
			Name: p.str("name", true), Region: p.str("region", false),
			Tables: p.strings("tables", false), DBInstances: p.strings("dbInstances", false),
			DBClusters: p.strings("dbClusters", false), ARNs: p.strings("resourceArns", false),
		}
		plan.Rules = parseRules(p)
		if len(plan.Tables)+len(plan.DBInstances)+len(plan.DBClusters)+len(plan.ARNs) == 0 {
			p.r.addf(p.path, "selects nothing: give tables, dbInstances, dbClusters or resourceArns")
		}
		p.done()
		st.Plans = append(st.Plans, plan)
	}
	st.RestoreTestingPlans = parseRestoreTestingPlans(o)
	for _, a := range o.objects("alarms") {
		al := Alarm{Name: a.str("name", true), Region: a.str("region", false), AZ: a.str("az", false), Tags: a.tags("tags")}
		a.done()
		st.Alarms = append(st.Alarms, al)
	}
	o.done()
	return st
}

// world holds what cross-references are checked against.
type world struct {
	sc     *Scenario
	opts   Options
	r      *reader
	health map[string]healthIssue
	// cur is the state names are resolved in: the hub's, or the member
	// account's a step or expectation names.
	cur *State
}

// in makes names resolve in account ("" for the hub); it reports false,
// with a problem at path, for an account the scenario does not have.
func (w *world) in(path, account string) bool {
	w.cur = &w.sc.State
	if account == "" {
		return true
	}
	for i := range w.sc.Accounts {
		if w.sc.Accounts[i].ID == account {
			w.cur = &w.sc.Accounts[i].State
			return true
		}
	}
	ids := make([]string, len(w.sc.Accounts))
	for i, a := range w.sc.Accounts {
		ids[i] = a.ID
	}
	if len(ids) == 0 {
		w.r.addf(path, "no account %q: the scenario has no accounts", account)
	} else {
		w.r.addf(path, "no account %q in accounts (%s)", account, strings.Join(ids, ", "))
	}
	return false
}

// accounts reads the organization's member accounts.
func (w *world) accounts(root *object) {
	seen := map[string]string{}
	for i, ao := range root.objects("accounts") {
		path := index("accounts", i)
		a := Account{Path: path, ID: ao.str("id", true), Name: ao.str("name", false), MemberRole: true}
		if b, set := ao.boolean("memberRole"); set {
			a.MemberRole = b
		}
		switch {
		case a.ID != "" && !config.ValidAccountID(a.ID):
			w.r.addf(ao.at("id"), "%q is not a 12-digit account id", a.ID)
		case a.ID == DefaultHubAccount:
			w.r.addf(ao.at("id"), "%s is the hub's own account", a.ID)
		case seen[a.ID] != "":
			w.r.addf(ao.at("id"), "account %s is defined twice (first at %s)", a.ID, seen[a.ID])
		}
		seen[a.ID] = path
		if st, ok := ao.child("state", false); ok {
			a.State = parseState(st, w.sc.Region)
			if !st.has("regions") {
				a.State.Regions = w.sc.State.Regions
			}
		} else {
			a.State = State{Regions: w.sc.State.Regions, AZCount: w.sc.State.AZCount, SupportPlan: "BUSINESS"}
		}
		ao.done()
		w.sc.Accounts = append(w.sc.Accounts, a)
	}
	for i := range w.sc.Accounts {
		w.cur = &w.sc.Accounts[i].State
		w.index(w.cur)
		w.checkState(w.sc.Accounts[i].Path + ".state")
		w.checkRestoreTestingPlans(w.sc.Accounts[i].Path + ".state")
	}
	w.cur = &w.sc.State
}

type healthIssue struct {
	path   string
	raised bool
}

// index fills in default regions; it runs before any check that resolves a
// name in a region.
func (w *world) index(st *State) {
	def := func(r *string) {
		if *r == "" {
			*r = w.sc.Region
		}
	}
	for i := range st.Groups {
		def(&st.Groups[i].Region)
	}
	for i := range st.Vaults {
		def(&st.Vaults[i].Region)
	}
	for i := range st.Tables {
		def(&st.Tables[i].Region)
	}
	for i := range st.DBInstances {
		def(&st.DBInstances[i].Region)
	}
	for i := range st.DBClusters {
		def(&st.DBClusters[i].Region)
	}
	for i := range st.Plans {
		p := &st.Plans[i]
		def(&p.Region)
		for j := range p.Rules {
			for k := range p.Rules[j].Copies {
				def(&p.Rules[j].Copies[k].Region)
			}
		}
	}
	for i := range st.Alarms {
		def(&st.Alarms[i].Region)
	}
	for i := range st.RestoreTestingPlans {
		def(&st.RestoreTestingPlans[i].Region)
	}
}

// region checks that a region of the account is named.
func (w *world) region(path, region string) bool {
	if !slices.Contains(w.cur.Regions, region) {
		w.r.addf(path, "region %q is not one of the account's regions (%s)", region, strings.Join(w.cur.Regions, ", "))
		return false
	}
	return true
}

// az checks an AZ name and returns its region: AZ names are the region's
// name and a letter, a to the account's AZ count.
func (w *world) az(path, az string) (string, bool) {
	if len(az) < 2 {
		w.r.addf(path, "%q is not an Availability Zone name", az)
		return "", false
	}
	region, letter := az[:len(az)-1], az[len(az)-1]
	if !config.ValidRegion(region) || letter < 'a' || letter > 'z' {
		w.r.addf(path, "%q is not an Availability Zone name like us-east-1a", az)
		return "", false
	}
	if !slices.Contains(w.cur.Regions, region) {
		w.r.addf(path, "%q is in region %s, not one of the account's regions (%s)", az, region, strings.Join(w.cur.Regions, ", "))
		return "", false
	}
	if int(letter-'a') >= w.cur.AZCount {
		w.r.addf(path, "%q does not exist: the account has %d AZs per region (%s to %s)", az, w.cur.AZCount, region+"a", region+string(rune('a'+w.cur.AZCount-1)))
		return "", false
	}
	return region, true
}

func (w *world) group(name, region string) *Group {
	for i, g := range w.cur.Groups {
		if g.Name == name && g.Region == region {
			return &w.cur.Groups[i]
		}
	}
	return nil
}

func (w *world) hasVault(name, region string) bool {
	return slices.ContainsFunc(w.cur.Vaults, func(v Vault) bool { return v.Name == name && v.Region == region })
}

func (w *world) hasTable(name, region string) bool {
	return slices.ContainsFunc(w.cur.Tables, func(t Table) bool { return t.Name == name && t.Region == region })
}

func (w *world) hasDBInstance(id, region string) bool {
	return slices.ContainsFunc(w.cur.DBInstances, func(d DBInstance) bool { return d.ID == id && d.Region == region })
}

func (w *world) hasDBCluster(id, region string) bool {
	return slices.ContainsFunc(w.cur.DBClusters, func(d DBCluster) bool { return d.ID == id && d.Region == region })
}

func (w *world) hasAlarm(name, region string) bool {
	return slices.ContainsFunc(w.cur.Alarms, func(a Alarm) bool { return a.Name == name && a.Region == region })
}

// unique reports the second and later uses of a key.
func unique[T any](w *world, path string, items []T, key func(T) string) {
	seen := map[string]bool{}
	for i, it := range items {
		k := key(it)
		if k == "" {
			continue
		}
		if seen[k] {
			w.r.addf(index(path, i), "%s is defined twice", strings.ReplaceAll(k, "\x00", " in "))
		}
		seen[k] = true
	}
}

// checkState checks names, regions, AZs and references inside the
// current state, written at prefix ("state" or "accounts[i].state").
func (w *world) checkState(prefix string) {
	st := w.cur
	unique(w, prefix+".groups", st.Groups, func(g Group) string { return "group " + g.Name + "\x00" + g.Region })
	unique(w, prefix+".vaults", st.Vaults, func(v Vault) string { return "vault " + v.Name + "\x00" + v.Region })
	unique(w, prefix+".tables", st.Tables, func(t Table) string { return "table " + t.Name + "\x00" + t.Region })
	unique(w, prefix+".dbInstances", st.DBInstances, func(d DBInstance) string { return "DB instance " + d.ID + "\x00" + d.Region })
	unique(w, prefix+".dbClusters", st.DBClusters, func(d DBCluster) string { return "DB cluster " + d.ID + "\x00" + d.Region })
	unique(w, prefix+".plans", st.Plans, func(p Plan) string { return "plan " + p.Name + "\x00" + p.Region })
	unique(w, prefix+".alarms", st.Alarms, func(a Alarm) string { return "alarm " + a.Name + "\x00" + a.Region })

	for i, g := range st.Groups {
		path := index(prefix+".groups", i)
		if !w.region(path+".region", g.Region) {
			continue
		}
		seen := map[string]bool{}
		for j, az := range g.AZs {
			p := index(path+".azs", j)
			if r, ok := w.az(p, az); ok && r != g.Region {
				w.r.addf(p, "%q is not in the group's region %s", az, g.Region)
			}
			if seen[az] {
				w.r.addf(p, "%q is listed twice", az)
			}
			seen[az] = true
		}
	}
	for i, v := range st.Vaults {
		w.region(index(prefix+".vaults", i)+".region", v.Region)
	}
	for i, t := range st.Tables {
		w.region(index(prefix+".tables", i)+".region", t.Region)
	}
	for i, d := range st.DBInstances {
		w.region(index(prefix+".dbInstances", i)+".region", d.Region)
	}
	for i, d := range st.DBClusters {
		w.region(index(prefix+".dbClusters", i)+".region", d.Region)
	}
	for i, a := range st.Alarms {
		path := index(prefix+".alarms", i)
		if w.region(path+".region", a.Region) && a.AZ != "" {
			if r, ok := w.az(path+".az", a.AZ); ok && r != a.Region {
				w.r.addf(path+".az", "%q is not in the alarm's region %s", a.AZ, a.Region)
			}
		}
	}
	for i, p := range st.Plans {
		path := index(prefix+".plans", i)
		if !w.region(path+".region", p.Region) {
			continue
		}
		w.checkRules(path+".rules", p.Region, p.Rules)
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
		for j, a := range p.ARNs {
			if !strings.HasPrefix(a, "arn:") {
				w.r.addf(index(path+".resourceArns", j), "%q is not an ARN", a)
			}
		}
	}
}
