package awssim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// AWS Backup: vaults and Vault Lock (backup_vault.go), plans, selections
// and schedules (backup_plan.go, backup_schedule.go), backup and copy jobs
// and recovery points (backup_jobs.go), and the EventBridge events they
// emit (backup_events.go). This file holds the state, the reconcile loop
// and the exported controls.

type backupState struct {
	s *Sim

	vaults    map[string]*backupVault // "region/name"
	plans     map[string]*backupPlan  // by id
	planOrder []string
	jobs      []*backupJob // creation order, all regions
	copies    []*copyJob
	points    map[string]*recoveryPoint // by ARN
	rpOrder   []string
	// byVault indexes rpOrder by "region/vault"; nil after any change to
	// the recovery points, rebuilt on the next read.
	byVault map[string][]*recoveryPoint

	jobFaults  []*backupJobFaultRule
	copyFaults []*copyJobFaultRule
	timings    BackupTimings

	// Restore testing (backup_restore.go).
	restorePlans     map[string]*restoreTestingPlan // "region/name"
	restorePlanOrder []string
	restoreJobs      []*restoreJob
	restoreFaults    []*restoreFaultRule
	restoreTimings   RestoreTimings
}

// BackupTimings is how long the sim's AWS Backup takes. AWS documents no
// durations; the defaults are of the order seen in the documented events.
type BackupTimings struct {
	// JobStartDelay: a backup job stays CREATED this long before RUNNING.
	JobStartDelay time.Duration
	// JobDuration: a backup job stays RUNNING this long.
	JobDuration time.Duration
	// CopyStartDelay and CopyDuration: the same for copy jobs.
	CopyStartDelay time.Duration
	CopyDuration   time.Duration
}

// DefaultBackupTimings are the timings of a new Sim.
var DefaultBackupTimings = BackupTimings{
	JobStartDelay: 30 * time.Second, JobDuration: 2 * time.Minute,
	CopyStartDelay: 30 * time.Second, CopyDuration: 15 * time.Minute,
}

func newBackupState(s *Sim) *backupState {
	return &backupState{
		s: s, vaults: map[string]*backupVault{}, plans: map[string]*backupPlan{},
		points: map[string]*recoveryPoint{}, timings: DefaultBackupTimings,
		restorePlans: map[string]*restoreTestingPlan{}, restoreTimings: DefaultRestoreTimings,
	}
}

func (s *Sim) registerBackup() {
	b := s.backup
	handle(s, ServiceBackup, "CreateBackupVault", b.createBackupVault)
	handle(s, ServiceBackup, "DescribeBackupVault", b.describeBackupVault)
	handle(s, ServiceBackup, "ListBackupVaults", b.listBackupVaults)
	handle(s, ServiceBackup, "DeleteBackupVault", b.deleteBackupVault)
	handle(s, ServiceBackup, "PutBackupVaultLockConfiguration", b.putVaultLock)
	handle(s, ServiceBackup, "DeleteBackupVaultLockConfiguration", b.deleteVaultLock)
	handle(s, ServiceBackup, "CreateBackupPlan", b.createBackupPlan)
	handle(s, ServiceBackup, "GetBackupPlan", b.getBackupPlan)
	handle(s, ServiceBackup, "ListBackupPlans", b.listBackupPlans)
	handle(s, ServiceBackup, "CreateBackupSelection", b.createBackupSelection)
	handle(s, ServiceBackup, "ListBackupSelections", b.listBackupSelections)
	handle(s, ServiceBackup, "StartBackupJob", b.startBackupJob)
	handle(s, ServiceBackup, "DescribeBackupJob", b.describeBackupJob)
	handle(s, ServiceBackup, "ListBackupJobs", b.listBackupJobs)
	handle(s, ServiceBackup, "StartCopyJob", b.startCopyJob)
	handle(s, ServiceBackup, "DescribeCopyJob", b.describeCopyJob)
	handle(s, ServiceBackup, "ListCopyJobs", b.listCopyJobs)
	handle(s, ServiceBackup, "DescribeRecoveryPoint", b.describeRecoveryPoint)
	handle(s, ServiceBackup, "DeleteRecoveryPoint", b.deleteRecoveryPoint)
	handle(s, ServiceBackup, "ListRecoveryPointsByBackupVault", b.listRecoveryPointsByVault)
	handle(s, ServiceBackup, "ListRecoveryPointsByResource", b.listRecoveryPointsByResource)
	handle(s, ServiceBackup, "ListProtectedResources", b.listProtectedResources)
	s.registerRestoreTesting()
	s.registerBackupPlanChanges()
}

// reconcile runs AWS Backup's own work for the current instant: due plan
// rules start jobs, jobs and copies move on, lifecycles expire recovery
// points.
func (b *backupState) reconcile() {
	now := b.s.now
	for _, id := range b.planOrder {
		b.runSchedule(b.plans[id], now)
	}
	for _, j := range slices.Clone(b.jobs) {
		b.advanceJob(j, now)
	}
	for _, c := range slices.Clone(b.copies) {
		b.advanceCopy(c, now)
	}
	b.runRestoreTestings(now)
	for _, j := range slices.Clone(b.restoreJobs) {
		b.advanceRestore(j, now)
	}
	b.applyLifecycles(now)
}

// busy reports jobs or copies in flight.
func (b *backupState) busy() bool {
	for _, j := range b.jobs {
		if j.state == backuptypes.BackupJobStateCreated || j.state == backuptypes.BackupJobStateRunning {
			return true
		}
	}
	for _, c := range b.copies {
		if c.state == backuptypes.CopyJobStateCreated || c.state == backuptypes.CopyJobStateRunning {
			return true
		}
	}
	for _, j := range b.restoreJobs {
		if j.status == backuptypes.RestoreJobStatusPending || j.status == backuptypes.RestoreJobStatusRunning {
			return true
		}
	}
	return false
}

// ---- exported controls ----

// SetBackupTimings replaces how long backup and copy jobs take (see
// DefaultBackupTimings). Zero fields keep their current value.
func (s *Sim) SetBackupTimings(t BackupTimings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := &s.backup.timings
	for _, f := range []struct{ dst, src *time.Duration }{
		{&cur.JobStartDelay, &t.JobStartDelay}, {&cur.JobDuration, &t.JobDuration},
		{&cur.CopyStartDelay, &t.CopyStartDelay}, {&cur.CopyDuration, &t.CopyDuration},
	} {
		if *f.src > 0 {
			*f.dst = *f.src
		}
	}
}

// BackupJobFault makes the next backup job(s) that match end badly.
type BackupJobFault struct {
	// ResourceArn and BackupPlanID select jobs; empty matches any. An
	// on-demand job has no plan, so a BackupPlanID never matches it.
	ResourceArn  string
	BackupPlanID string
	// Outcome is backuptypes.BackupJobStateFailed (the job runs, then
	// fails), BackupJobStateAborted (it runs, then is stopped) or
	// BackupJobStateExpired (it never starts and expires at its StartBy,
	// the end of its start window).
	Outcome backuptypes.BackupJobState
	// StatusMessage is the job's StatusMessage; empty uses a message like
	// AWS's for the outcome.
	StatusMessage string
	// Count is how many matching jobs the fault takes; 0 means 1.
	Count int
}

type backupJobFaultRule struct {
	BackupJobFault
	used int
}

// spend counts one use and reports whether the rule is used up.
func (r *backupJobFaultRule) spend() bool { r.used++; return r.used >= max(r.Count, 1) }

// InjectBackupJobFault makes the next Count backup jobs matching f end as
// f.Outcome, decided when each job is created. The returned function
// removes what is left of the fault.
func (s *Sim) InjectBackupJobFault(f BackupJobFault) (remove func(), err error) {
	switch f.Outcome {
	case backuptypes.BackupJobStateFailed, backuptypes.BackupJobStateAborted, backuptypes.BackupJobStateExpired:
	default:
		return nil, fmt.Errorf("awssim: backup job fault outcome %q: want FAILED, ABORTED or EXPIRED", f.Outcome)
	}
	if f.StatusMessage == "" {
		f.StatusMessage = map[backuptypes.BackupJobState]string{
			backuptypes.BackupJobStateFailed:  "Backup job failed because the IAM role is not authorized to create a backup of the resource.",
			backuptypes.BackupJobStateAborted: "Backup job was stopped by user.",
			backuptypes.BackupJobStateExpired: "Backup job failed because there was a running job for the same resource.",
		}[f.Outcome]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rule := &backupJobFaultRule{BackupJobFault: f}
	s.backup.jobFaults = append(s.backup.jobFaults, rule)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.backup.jobFaults = slices.DeleteFunc(s.backup.jobFaults, func(r *backupJobFaultRule) bool { return r == rule })
	}, nil
}

// CopyFaultMode is what a CopyJobFault does to a copy.
type CopyFaultMode string

// Copy fault modes.
const (
	// CopyFail: the copy runs, then FAILS with the fault's status message.
	CopyFail CopyFaultMode = "FAIL"
	// CopyDelay: the copy stays CREATED for Delay longer before it runs,
	// as copies do while AWS Backup retries system errors (for up to two
	// hours on AWS).
	CopyDelay CopyFaultMode = "DELAY"
	// CopyNeverStart: no copy job is created at all, so no event ever says
	// the copy is missing: the case only a sweep can catch.
	CopyNeverStart CopyFaultMode = "NEVER_START"
)

// CopyJobFault makes the next copy job(s) that match fail, wait or never
// start.
type CopyJobFault struct {
	// ResourceArn (of the backed-up resource) and DestinationVaultArn
	// select copies; empty matches any.
	ResourceArn         string
	DestinationVaultArn string
	Mode                CopyFaultMode
	// Delay is for CopyDelay.
	Delay time.Duration
	// StatusMessage is for CopyFail; empty uses a message like AWS's.
	StatusMessage string
	// Count is how many matching copies the fault takes; 0 means 1.
	Count int
}

type copyJobFaultRule struct {
	CopyJobFault
	used int
}

// spend counts one use and reports whether the rule is used up.
func (r *copyJobFaultRule) spend() bool { r.used++; return r.used >= max(r.Count, 1) }

// InjectCopyJobFault makes the next Count copies matching f fail, wait or
// never start, for copies of plan rules and StartCopyJob alike. The
// returned function removes what is left of the fault.
func (s *Sim) InjectCopyJobFault(f CopyJobFault) (remove func(), err error) {
	switch f.Mode {
	case CopyFail, CopyNeverStart:
	case CopyDelay:
		if f.Delay <= 0 {
			return nil, fmt.Errorf("awssim: copy delay fault needs a positive Delay")
		}
	default:
		return nil, fmt.Errorf("awssim: copy fault mode %q: want CopyFail, CopyDelay or CopyNeverStart", f.Mode)
	}
	if f.StatusMessage == "" {
		f.StatusMessage = "Copy job failed because the destination vault's KMS key is not accessible to the copy role."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rule := &copyJobFaultRule{CopyJobFault: f}
	s.backup.copyFaults = append(s.backup.copyFaults, rule)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.backup.copyFaults = slices.DeleteFunc(s.backup.copyFaults, func(r *copyJobFaultRule) bool { return r == rule })
	}, nil
}

// StopContinuousBackup turns an AVAILABLE continuous recovery point STOPPED
// with statusMessage, as when AWS Backup loses the permissions it needs,
// and emits its Recovery Point State Change. The next run of its plan rule
// starts a new continuous recovery point, as AWS does.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeRecoveryPoint.html#Backup-DescribeRecoveryPoint-response-Status
func (s *Sim) StopContinuousBackup(recoveryPointArn, statusMessage string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.backup.points[recoveryPointArn]
	if rp == nil || !rp.continuous {
		return fmt.Errorf("awssim: no continuous recovery point %s", recoveryPointArn)
	}
	if rp.status != backuptypes.RecoveryPointStatusAvailable {
		return fmt.Errorf("awssim: recovery point %s is %s, not AVAILABLE", recoveryPointArn, rp.status)
	}
	if statusMessage == "" {
		statusMessage = "Continuous backup stopped: AWS Backup no longer has the permissions it needs on the resource."
	}
	rp.status, rp.statusMessage = backuptypes.RecoveryPointStatusStopped, statusMessage
	s.backup.emitRecoveryPoint(rp)
	return nil
}

// ---- shared helpers ----

func backupErrNotFound(format string, args ...any) error {
	return &backuptypes.ResourceNotFoundException{Message: aws.String(fmt.Sprintf(format, args...))}
}

func backupErrInvalidParam(format string, args ...any) error {
	return &backuptypes.InvalidParameterValueException{Message: aws.String(fmt.Sprintf(format, args...))}
}

func backupErrInvalidRequest(format string, args ...any) error {
	return &backuptypes.InvalidRequestException{Message: aws.String(fmt.Sprintf(format, args...))}
}

// arnRegion and arnAccount read fields 4 and 5 of an ARN.
func arnField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[i]
}

func arnRegion(arn string) string  { return arnField(arn, 3) }
func arnAccount(arn string) string { return arnField(arn, 4) }

// upperUUID is the form AWS Backup gives copy job ids.
func (b *backupState) upperUUID() string { return strings.ToUpper(b.s.uuid()) }

// retentionDays is how long a lifecycle keeps a recovery point; nil is
// forever.
func retentionDays(l *backuptypes.Lifecycle) *int64 {
	if l == nil || l.DeleteAfterDays == nil {
		return nil
	}
	return l.DeleteAfterDays
}

func cloneLifecycle(l *backuptypes.Lifecycle) *backuptypes.Lifecycle {
	if l == nil {
		return nil
	}
	c := *l
	return &c
}

// validateLifecycle applies AWS Backup's lifecycle rule: a recovery point
// moved to cold storage stays there at least 90 days, and retention is at
// least a day.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html
func validateLifecycle(l *backuptypes.Lifecycle, continuous bool) error {
	if l == nil {
		if continuous {
			return backupErrInvalidParam("Continuous backup rules need Lifecycle.DeleteAfterDays between 1 and 35")
		}
		return nil
	}
	if l.DeleteAfterDays != nil && *l.DeleteAfterDays < 1 {
		return backupErrInvalidParam("DeleteAfterDays must be at least 1, got %d", *l.DeleteAfterDays)
	}
	if l.MoveToColdStorageAfterDays != nil {
		if continuous {
			return backupErrInvalidParam("Continuous backups cannot be moved to cold storage")
		}
		if l.DeleteAfterDays != nil && *l.DeleteAfterDays < *l.MoveToColdStorageAfterDays+90 {
			return backupErrInvalidParam("DeleteAfterDays (%d) must be at least 90 days greater than MoveToColdStorageAfterDays (%d)",
				*l.DeleteAfterDays, *l.MoveToColdStorageAfterDays)
		}
	}
	if continuous && (l.DeleteAfterDays == nil || *l.DeleteAfterDays > 35) {
		// Continuous backups keep 1 to 35 days.
		// https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html
		return backupErrInvalidParam("Continuous backup rules need Lifecycle.DeleteAfterDays between 1 and 35")
	}
	return nil
}
