package config

import "time"

// Tag is a resource tag as a key and a value.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Policy is everything a user decides about how selfheal behaves. The zero
// value is not useful: start from [DefaultPolicy] (which [ParsePolicy] does).
type Policy struct {
	// DryRun plans and reports every action but makes no AWS write other
	// than notifications and selfheal's own state. Default false.
	DryRun bool `json:"dryRun"`
	// OptInTag marks the Auto Scaling groups selfheal may change.
	// Default selfheal:managed=true.
	OptInTag Tag `json:"optInTag"`
	// ExcludeTagKey on a group wins over the opt-in tag, whatever its value.
	// Default selfheal:exclude.
	ExcludeTagKey string `json:"excludeTagKey"`

	Rebalance   Rebalance   `json:"rebalance"`
	VaultLock   VaultLock   `json:"vaultLock"`
	CrossRegion CrossRegion `json:"crossRegion"`
	PITR        PITR        `json:"pitr"`
	Backup      Backup      `json:"backup"`
	Recovery    Recovery    `json:"recovery"`
	Posture     Posture     `json:"posture"`
	Notify      Notify      `json:"notify"`
	Sweep       Sweep       `json:"sweep"`
}

// Rebalance governs the asg-rebalancer: which signals count, and the limits
// on what it may do about them.
type Rebalance struct {
	// HealthServices are the AWS Health service codes whose AZ-scoped issues
	// take capacity down. Default EC2, EBS, ELASTICLOADBALANCING, AUTOSCALING.
	HealthServices []string `json:"healthServices"`
	// AlarmTagKey marks a CloudWatch alarm as an AZ-health signal (any value).
	// Default selfheal:az-signal.
	AlarmTagKey string `json:"alarmTagKey"`
	// AlarmNamePrefix, when set, also marks alarms by name. Default "" (tag only).
	AlarmNamePrefix string `json:"alarmNamePrefix"`
	// AlarmAZTagKey names the AZ an alarm watches when the alarm has no
	// AvailabilityZone dimension. Default selfheal:az.
	AlarmAZTagKey string `json:"alarmAZTagKey"`
	// LaunchFailureThreshold capacity-related launch failures in one AZ within
	// LaunchFailureWindow impair that AZ. Default 3 in 15m.
	LaunchFailureThreshold int      `json:"launchFailureThreshold"`
	LaunchFailureWindow    Duration `json:"launchFailureWindow"`
	// MinHealthyAZs a group must keep after an evacuation. Default 2.
	MinHealthyAZs int `json:"minHealthyAZs"`
	// MaxGroupsPerEvent bounds the blast radius of one signal. Default 10.
	MaxGroupsPerEvent int `json:"maxGroupsPerEvent"`
	// MaxEvacuatedAZs bounds how many AZs one group may have evacuated at
	// once. Default 1.
	MaxEvacuatedAZs int `json:"maxEvacuatedAZs"`
	// RecoveryHysteresis: an alarm must stay OK this long before capacity
	// goes back. Default 10m.
	RecoveryHysteresis Duration `json:"recoveryHysteresis"`
	// Breaker stops all writes after too many evacuations in a window.
	Breaker Breaker `json:"breaker"`
	// ImbalanceAction for a group whose AZ counts differ by more than one with
	// AZRebalance suspended by someone else: "report" (default) or "resume".
	ImbalanceAction ImbalanceAction `json:"imbalanceAction"`
	// ZonalShift governs evacuations of groups enrolled in ARC zonal shift.
	ZonalShift ZonalShift `json:"zonalShift"`
}

// ZonalShift is how the rebalancer evacuates a group with zonal shift
// enabled (AvailabilityZoneImpairmentPolicy.ZonalShiftEnabled): with an ARC
// zonal shift on the group instead of taking subnets out.
type ZonalShift struct {
	// Enabled uses ARC zonal shift for enrolled groups; false evacuates them
	// by subnets like the others. Default true.
	Enabled bool `json:"enabled"`
	// ExpiresIn is how long a shift lasts unless extended: while its signal
	// holds, every invocation with less than half of it left extends it by
	// as much again. A shift selfheal can no longer extend ends by itself.
	// Whole minutes, 5m to 72h. Default 1h.
	ExpiresIn Duration `json:"expiresIn"`
}

// Breaker is the rebalancer's circuit breaker.
type Breaker struct {
	// MaxEvacuations in Window open the breaker. Default 5 in 1h.
	MaxEvacuations int      `json:"maxEvacuations"`
	Window         Duration `json:"window"`
}

// VaultLock is the policy for AWS Backup Vault Lock on every vault in scope.
type VaultLock struct {
	// RequireComplianceMode turns a governance-mode lock, or one still in its
	// grace time, from WARN into FAIL. Default false.
	RequireComplianceMode bool `json:"requireComplianceMode"`
	// MinRetentionDays the lock must enforce at least. Default 7.
	MinRetentionDays int `json:"minRetentionDays"`
	// MaxRetentionDays the lock may allow at most; 0 means no maximum. Default 0.
	MaxRetentionDays int `json:"maxRetentionDays"`
}

// CrossRegion is the disaster-recovery copy policy.
type CrossRegion struct {
	// Required makes a backup rule without a cross-region copy a FAIL
	// (otherwise a WARN). Default true.
	Required bool `json:"required"`
	// DRRegions the copy must land in (any one of them). Empty means any
	// region other than the source. Default empty.
	DRRegions []string `json:"drRegions"`
	// CopyDeadline after the backup completes by which the copy must have
	// completed. Default 24h.
	CopyDeadline Duration `json:"copyDeadline"`
}

// PITR is the point-in-time recovery policy for DynamoDB, RDS and Aurora.
type PITR struct {
	// MinWindowDays of restorable history: DynamoDB RecoveryPeriodInDays,
	// RDS/Aurora BackupRetentionPeriod. Default 7 (AWS allows 1–35).
	MinWindowDays int `json:"minWindowDays"`
	// MaxLag of the latest restorable time behind now. Default 15m (AWS
	// documents about 5 minutes in normal operation).
	MaxLag Duration `json:"maxLag"`
	// ScopeTag limits the sweep's PITR checks to tagged tables and
	// databases. Empty key means all of them. Default empty.
	ScopeTag Tag `json:"scopeTag"`
}

// Backup is the policy for plans and recovery points.
type Backup struct {
	// MinRetentionDays a recovery point (and a plan rule) must keep its data.
	// Default 7.
	MinRetentionDays int `json:"minRetentionDays"`
	// MaxInterval between two backups of a protected resource, checked on
	// plan schedules and on the last recovery point. Default 24h.
	MaxInterval Duration `json:"maxInterval"`
	// Slack added to MaxInterval before the last recovery point is late
	// (a job takes time to run). Default 2h.
	Slack Duration `json:"slack"`
}

// Recovery is the policy for restore tests (AWS Backup restore testing):
// how fast a restore must be, how old the restored data may be, and how
// long a protected resource may go untested.
type Recovery struct {
	// RTOTarget: a restore test must take at most this long from the
	// restore job's creation to its completion, with the restored resource
	// validated usable (RESTORE_RTO). A resource's selfheal:rto tag
	// overrides it.
	// Default 4h.
	RTOTarget Duration `json:"rtoTarget"`
	// RPOTarget: the restored recovery point must be at most this old when
	// the restore job starts (RESTORE_RPO). A resource's selfheal:rpo tag
	// overrides it. Default 26h: a daily backup and the backup slack.
	RPOTarget Duration `json:"rpoTarget"`
	// MaxUntested: a protected resource must have had a successful restore
	// test within this long (RESTORE_TESTED, by the sweep); a resource
	// protected for less time is not due yet. 0 turns the check off.
	// Default 840h (35 days).
	MaxUntested Duration `json:"maxUntested"`
}

// Posture is the policy for the sweep's Auto Scaling posture checks.
type Posture struct {
	// Health-check grace period bounds. Default 60s to 15m.
	MinHealthCheckGracePeriod Duration `json:"minHealthCheckGracePeriod"`
	MaxHealthCheckGracePeriod Duration `json:"maxHealthCheckGracePeriod"`
}

// Notify governs SNS notifications.
type Notify struct {
	// DedupeWindow: the same (check, resource, status) is not sent again
	// within it. Default 24h.
	DedupeWindow Duration `json:"dedupeWindow"`
	// NotifyPass also sends messages whose findings all pass. Default false.
	NotifyPass bool `json:"notifyPass"`
}

// Sweep governs the scheduled compliance sweep.
type Sweep struct {
	// Concurrency of read calls per service and region. Default 8.
	Concurrency int `json:"concurrency"`
}

// DefaultPolicy is the policy of a user who sets nothing.
func DefaultPolicy() Policy {
	return Policy{
		OptInTag:      Tag{Key: "selfheal:managed", Value: "true"},
		ExcludeTagKey: "selfheal:exclude",
		Rebalance: Rebalance{
			HealthServices:         []string{"EC2", "EBS", "ELASTICLOADBALANCING", "AUTOSCALING"},
			AlarmTagKey:            "selfheal:az-signal",
			AlarmAZTagKey:          "selfheal:az",
			LaunchFailureThreshold: 3,
			LaunchFailureWindow:    Dur(15 * time.Minute),
			MinHealthyAZs:          2,
			MaxGroupsPerEvent:      10,
			MaxEvacuatedAZs:        1,
			RecoveryHysteresis:     Dur(10 * time.Minute),
			Breaker:                Breaker{MaxEvacuations: 5, Window: Dur(time.Hour)},
			ImbalanceAction:        ImbalanceReport,
			ZonalShift:             ZonalShift{Enabled: true, ExpiresIn: Dur(time.Hour)},
		},
		VaultLock:   VaultLock{MinRetentionDays: 7},
		CrossRegion: CrossRegion{Required: true, CopyDeadline: Dur(24 * time.Hour)},
		PITR:        PITR{MinWindowDays: 7, MaxLag: Dur(15 * time.Minute)},
		Backup:      Backup{MinRetentionDays: 7, MaxInterval: Dur(24 * time.Hour), Slack: Dur(2 * time.Hour)},
		Recovery:    Recovery{RTOTarget: Dur(4 * time.Hour), RPOTarget: Dur(26 * time.Hour), MaxUntested: Dur(35 * 24 * time.Hour)},
		Posture: Posture{
			MinHealthCheckGracePeriod: Dur(60 * time.Second),
			MaxHealthCheckGracePeriod: Dur(15 * time.Minute),
		},
		Notify: Notify{DedupeWindow: Dur(24 * time.Hour)},
		Sweep:  Sweep{Concurrency: 8},
	}
}

// ImbalanceAction is what the rebalancer does about a group left unbalanced
// with AZRebalance suspended by someone else.
type ImbalanceAction string

// Imbalance actions.
const (
	ImbalanceReport ImbalanceAction = "report"
	ImbalanceResume ImbalanceAction = "resume"
)
