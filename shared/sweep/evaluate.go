package sweep

import (
	"time"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// evaluation is everything a run decides from: what it read, the policy,
// and the time.
type evaluation struct {
	policy  config.Policy
	now     time.Time
	account string
	// copies are the expected copies missing past their deadline, as this
	// run found them (closed if they landed after all).
	copies  []state.ExpectedCopy
	regions []*regionScan
	// open are the failures open before the run: those about a resource
	// the run listed every one of its type without finding are gone.
	open []state.OpenFailure
	// restores are the restore tests and protection dates the run read;
	// nil when it could not.
	restores *restoreView
}

// evaluate runs every check on what was read. It is pure: the checks are
// shared/compliance's, the same the event path runs.
func evaluate(e evaluation) []notify.Finding {
	p := e.policy
	var out []notify.Finding
	for _, c := range e.copies {
		out = append(out, compliance.CrossRegionCopyCompleted(c, e.now))
	}
	for _, s := range e.regions {
		vaults := make(map[string]*compliance.VaultState, len(s.vaults))
		for i := range s.vaults {
			v := &s.vaults[i]
			vaults[v.ARN] = v
			out = append(out, compliance.VaultChecks(*v, p.VaultLock, e.now)...)
		}
		for _, rp := range s.points {
			// A vault not listed (the listing stopped) leaves the lock's
			// bounds unchecked, and the policy's still checked.
			out = append(out, compliance.RecoveryPointRetention(rp, vaults[rp.VaultARN], p), compliance.RecoveryPointEncrypted(rp))
		}
		for _, ps := range s.plans {
			out = append(out,
				compliance.CrossRegionCopyConfigured(ps.plan, p.CrossRegion),
				compliance.PlanMinFrequencyAndRetention(ps.plan, ps.schedules, p.Backup, e.now))
		}
		for _, x := range s.pitr {
			out = append(out, compliance.PITRChecks(x.state, p.PITR, x.at)...)
		}
		for _, g := range s.groups {
			out = append(out, compliance.ASGPosture(g, p.Posture)...)
		}
	}
	out = append(out, lastRecoveryPoints(e)...)
	out = append(out, goneResources(e, out)...)
	for i := range out {
		// S3 and EC2 snapshot ARNs carry no account or region.
		if out[i].Account == "" {
			out[i].Account = e.account
		}
	}
	return out
}

// lastRecoveryPoints checks each protected resource once, however many
// regions list it: a copy makes a resource appear in its DR region too, so
// the newest backup anywhere counts. A table or database the run listed
// its region's resources without finding is gone, and its old backups
// are no news.
func lastRecoveryPoints(e evaluation) []notify.Finding {
	type seen struct {
		r      compliance.ProtectedResourceState
		region string
	}
	byARN := map[string]seen{}
	var order []string
	scans := map[string]*regionScan{}
	for _, s := range e.regions {
		scans[s.region] = s
		for _, r := range s.protected {
			prev, ok := byARN[r.ResourceARN]
			if !ok {
				order = append(order, r.ResourceARN)
			}
			if !ok || newer(r.LastBackup, prev.r.LastBackup) {
				byARN[r.ResourceARN] = seen{r, s.region}
			}
		}
	}
	out := make([]notify.Finding, 0, len(order))
	for _, a := range order {
		x := byARN[a]
		region := compliance.RegionOf(a)
		kind := compliance.PITRKindOf(a, x.r.ResourceType)
		if s := scans[region]; s != nil && kind != compliance.PITRNotSupported && kind != compliance.PITRS3 && s.listed[kind] && !s.exists[a] {
			x.r.NotFound = true
		}
		f := compliance.LastRecoveryPointCreated(x.r, e.policy.Backup, e.now)
		if f.Region == "" {
			f.Region = x.region
		}
		out = append(out, f)
		if t, ok := restoreTested(e, x.r); ok {
			if t.Region == "" {
				t.Region = x.region
			}
			out = append(out, t)
		}
	}
	return out
}

// goneResources closes the open failures of resources that no longer
// exist: a table, database, vault, recovery point, plan or group the run
// listed every one of (in its region, its type) without finding. Each
// failure is judged NOT_APPLICABLE, which the dedupe turns into a
// "resolved" message, once; a resource the run judged anyway (an
// outstanding copy of a recovery point) is left to that judgement.
func goneResources(e evaluation, judged []notify.Finding) []notify.Finding {
	scans := map[string]*regionScan{}
	for _, s := range e.regions {
		scans[s.region] = s
	}
	type key struct{ check, resource string }
	seen := map[key]bool{}
	for _, f := range judged {
		seen[key{f.Check, f.Resource}] = true
	}
	var out []notify.Finding
	for _, o := range e.open {
		region := o.Region
		if region == "" {
			region = compliance.RegionOf(o.Resource)
		}
		s := scans[region]
		if s == nil || seen[key{o.Check, o.Resource}] || (o.Account != "" && e.account != "" && o.Account != e.account) ||
			!s.gone(o.ResourceType, o.Resource) {
			continue
		}
		f := notify.Finding{
			Check: o.Check, Status: notify.StatusNotApplicable, Severity: notify.SeverityInfo,
			Resource: o.Resource, ResourceType: o.ResourceType, Account: o.Account, Region: region,
			Summary:  "no longer exists",
			Observed: map[string]string{"exists": "false", "listedIn": region, "was": o.Status + ": " + o.Summary},
		}
		if p := o.Protected; p.ARN != "" {
			f.ProtectedResource = &notify.ProtectedResource{Type: p.Type, Name: p.Name, ARN: p.ARN}
		}
		out = append(out, f)
	}
	return out
}

func newer(a, b *time.Time) bool {
	return a != nil && (b == nil || a.After(*b))
}
