package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Error lists every problem found in a configuration, each prefixed by the
// JSON path (or variable name) it is about.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

type problems []string

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, path+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Problems: p}
}

// regionName matches AWS region names such as us-east-1, eu-central-2,
// us-gov-west-1 and ap-southeast-5.
var regionName = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]{1,2}$`)

// ValidRegion reports whether s is shaped like an AWS region name.
func ValidRegion(s string) bool { return regionName.MatchString(s) }

// healthServiceCode matches AWS Health service codes (EC2, ELASTICLOADBALANCING).
var healthServiceCode = regexp.MustCompile(`^[A-Z0-9_]+$`)

// AWS Backup Vault Lock accepts retention from 1 day to 36,500 days (100
// years). https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html
const (
	vaultLockMinDays = 1
	vaultLockMaxDays = 36500
)

// maxDedupeWindow stays within how long finding states are remembered.
const maxDedupeWindow = 90 * 24 * time.Hour

// Validate reports every problem with p in one error, or nil.
func (p Policy) Validate() error {
	var errs problems
	p.validate(&errs)
	return errs.err()
}

func (p Policy) validate(errs *problems) {
	if p.OptInTag.Key == "" {
		errs.add("optInTag.key", "must not be empty")
	}
	if p.OptInTag.Value == "" {
		errs.add("optInTag.value", "must not be empty")
	}
	if p.ExcludeTagKey == "" {
		errs.add("excludeTagKey", "must not be empty")
	} else if p.ExcludeTagKey == p.OptInTag.Key {
		errs.add("excludeTagKey", "%q is also the opt-in tag key", p.ExcludeTagKey)
	}
	p.Rebalance.validate(errs)
	p.VaultLock.validate(errs)
	p.CrossRegion.validate(errs)
	p.PITR.validate(errs)
	p.Backup.validate(errs)
	p.Recovery.validate(errs)
	p.Posture.validate(errs)
	duration(errs, "notify.dedupeWindow", p.Notify.DedupeWindow, true)
	// Finding states are remembered 180 days after their last change
	// (shared/state); a longer window would forget a suppressed problem
	// and send it again.
	if w := p.Notify.DedupeWindow.Duration; w > maxDedupeWindow {
		errs.add("notify.dedupeWindow", "%s is longer than %s", w, maxDedupeWindow)
	}
	if c := p.Sweep.Concurrency; c < 1 || c > 64 {
		errs.add("sweep.concurrency", "%d is outside 1–64", c)
	}
}

func (r Rebalance) validate(errs *problems) {
	if len(r.HealthServices) == 0 {
		errs.add("rebalance.healthServices", "must name at least one service")
	}
	for i, s := range r.HealthServices {
		if !healthServiceCode.MatchString(s) {
			errs.add(fmt.Sprintf("rebalance.healthServices[%d]", i), "%q is not an AWS Health service code (like EC2)", s)
		}
	}
	if r.AlarmTagKey == "" {
		errs.add("rebalance.alarmTagKey", "must not be empty")
	}
	if r.AlarmAZTagKey == "" {
		errs.add("rebalance.alarmAZTagKey", "must not be empty")
	}
	atLeast(errs, "rebalance.launchFailureThreshold", r.LaunchFailureThreshold, 1)
	duration(errs, "rebalance.launchFailureWindow", r.LaunchFailureWindow, true)
	atLeast(errs, "rebalance.minHealthyAZs", r.MinHealthyAZs, 1)
	atLeast(errs, "rebalance.maxGroupsPerEvent", r.MaxGroupsPerEvent, 1)
	atLeast(errs, "rebalance.maxEvacuatedAZs", r.MaxEvacuatedAZs, 1)
	duration(errs, "rebalance.recoveryHysteresis", r.RecoveryHysteresis, false)
	atLeast(errs, "rebalance.breaker.maxEvacuations", r.Breaker.MaxEvacuations, 1)
	duration(errs, "rebalance.breaker.window", r.Breaker.Window, true)
	switch r.ImbalanceAction {
	case ImbalanceReport, ImbalanceResume:
	default:
		errs.add("rebalance.imbalanceAction", "%q is not %q or %q", r.ImbalanceAction, ImbalanceReport, ImbalanceResume)
	}
	// ARC takes a zonal shift's length in whole minutes or hours, at most 72
	// hours. https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_StartZonalShift.html
	if d := r.ZonalShift.ExpiresIn.Duration; d < 5*time.Minute || d > 72*time.Hour || d%time.Minute != 0 {
		errs.add("rebalance.zonalShift.expiresIn", "%s is not a whole number of minutes from 5m to 72h", d)
	}
}

func (v VaultLock) validate(errs *problems) {
	if v.MinRetentionDays < vaultLockMinDays || v.MinRetentionDays > vaultLockMaxDays {
		errs.add("vaultLock.minRetentionDays", "%d is outside %d–%d", v.MinRetentionDays, vaultLockMinDays, vaultLockMaxDays)
	}
	switch {
	case v.MaxRetentionDays == 0:
	case v.MaxRetentionDays < 0 || v.MaxRetentionDays > vaultLockMaxDays:
		errs.add("vaultLock.maxRetentionDays", "%d is outside %d–%d (0 for no maximum)", v.MaxRetentionDays, vaultLockMinDays, vaultLockMaxDays)
	case v.MaxRetentionDays < v.MinRetentionDays:
		errs.add("vaultLock", "minRetentionDays %d > maxRetentionDays %d", v.MinRetentionDays, v.MaxRetentionDays)
	}
}

func (c CrossRegion) validate(errs *problems) {
	seen := map[string]bool{}
	for i, r := range c.DRRegions {
		path := fmt.Sprintf("crossRegion.drRegions[%d]", i)
		switch {
		case !ValidRegion(r):
			errs.add(path, "%q is not an AWS region name", r)
		case seen[r]:
			errs.add(path, "%q is listed twice", r)
		}
		seen[r] = true
	}
	duration(errs, "crossRegion.copyDeadline", c.CopyDeadline, true)
}

func (p PITR) validate(errs *problems) {
	// DynamoDB RecoveryPeriodInDays and RDS BackupRetentionPeriod both top
	// out at 35 days.
	if p.MinWindowDays < 1 || p.MinWindowDays > 35 {
		errs.add("pitr.minWindowDays", "%d is outside 1–35", p.MinWindowDays)
	}
	duration(errs, "pitr.maxLag", p.MaxLag, true)
	if p.ScopeTag.Key == "" && p.ScopeTag.Value != "" {
		errs.add("pitr.scopeTag.key", "must be set when scopeTag.value is")
	}
}

func (b Backup) validate(errs *problems) {
	atLeast(errs, "backup.minRetentionDays", b.MinRetentionDays, 1)
	duration(errs, "backup.maxInterval", b.MaxInterval, true)
	duration(errs, "backup.slack", b.Slack, false)
}

// maxUntested bounds recovery.maxUntested: restore test records are kept
// 400 days (shared/state), so a longer window would forget tests it counts.
const maxUntested = 365 * 24 * time.Hour

func (r Recovery) validate(errs *problems) {
	duration(errs, "recovery.rtoTarget", r.RTOTarget, true)
	duration(errs, "recovery.rpoTarget", r.RPOTarget, true)
	duration(errs, "recovery.maxUntested", r.MaxUntested, false)
	switch d := r.MaxUntested.Duration; {
	case d == 0:
	case d < 24*time.Hour:
		errs.add("recovery.maxUntested", "%s is less than a day (0 turns the check off)", d)
	case d > maxUntested:
		errs.add("recovery.maxUntested", "%s is longer than %s", d, maxUntested)
	}
}

func (p Posture) validate(errs *problems) {
	duration(errs, "posture.minHealthCheckGracePeriod", p.MinHealthCheckGracePeriod, false)
	duration(errs, "posture.maxHealthCheckGracePeriod", p.MaxHealthCheckGracePeriod, true)
	if p.MinHealthCheckGracePeriod.Duration > p.MaxHealthCheckGracePeriod.Duration {
		errs.add("posture", "minHealthCheckGracePeriod %s > maxHealthCheckGracePeriod %s",
			p.MinHealthCheckGracePeriod.Duration, p.MaxHealthCheckGracePeriod.Duration)
	}
}

func atLeast(errs *problems, path string, v, minimum int) {
	if v < minimum {
		errs.add(path, "%d is less than %d", v, minimum)
	}
}

func duration(errs *problems, path string, d Duration, mustBePositive bool) {
	if msg := d.problem(mustBePositive); msg != "" {
		errs.add(path, "%s", msg)
	}
}
