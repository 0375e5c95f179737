package compliance

import (
	"fmt"
	"strconv"
	"time"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

// Restore tests: AWS Backup restore testing restores a recovery point on a
// schedule; selfheal validates what it restored, tells AWS Backup the
// result, and measures how long the restore took (RTO) and how old the
// restored data was (RPO).
// https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html

// RestoreJobState is a restore job as DescribeRestoreJob (or its event)
// shows it.
type RestoreJobState struct {
	ID     string
	Status string // PENDING, RUNNING, COMPLETED, ABORTED, FAILED
	// StatusMessage says why a job failed.
	StatusMessage    string
	RecoveryPointARN string
	VaultARN         string
	// SourceResourceARN is the protected resource; CreatedResourceARN
	// what the job restored.
	SourceResourceARN  string
	CreatedResourceARN string
	ResourceType       string // AWS Backup's name
	// TestingPlanARN is the restore testing plan that started the job
	// (CreatedBy.RestoreTestingPlanArn); empty for other restores.
	TestingPlanARN       string
	Created, Completed   time.Time
	RecoveryPointCreated time.Time
	BackupSizeInBytes    int64
	// ValidationStatus is what was put for the job (SUCCESSFUL, FAILED,
	// VALIDATING) or AWS Backup's TIMED_OUT; empty when nothing yet.
	ValidationStatus  string
	ValidationMessage string
	// NotFound: AWS knows no such job.
	NotFound bool
}

// Validation statuses of a restore job, as PutRestoreValidationResult
// takes them.
const (
	ValidationSuccessful = "SUCCESSFUL"
	ValidationFailed     = "FAILED"
	ValidationTimedOut   = "TIMED_OUT"
)

// RestoredKind is what a restore made, as selfheal validates it.
type RestoredKind string

// Restored kinds.
const (
	RestoredTable     RestoredKind = "DYNAMODB_TABLE" // DescribeTable and one Scan
	RestoredInstance  RestoredKind = "RDS_INSTANCE"   // DescribeDBInstances
	RestoredCluster   RestoredKind = "AURORA_CLUSTER" // DescribeDBClusters
	RestoredByJobOnly RestoredKind = "JOB_ONLY"       // S3, EBS, …: what the restore job says
)

// RestoredKindOf says how the resource a restore of backupType made is
// validated.
func RestoredKindOf(createdARN, backupType string) RestoredKind {
	switch ResourceType(backupType, createdARN) {
	case "AWS::DynamoDB::Table":
		return RestoredTable
	case "AWS::RDS::DBInstance":
		return RestoredInstance
	case "AWS::RDS::DBCluster":
		if backupType == "Aurora" || backupType == "RDS" {
			return RestoredCluster
		}
	}
	return RestoredByJobOnly
}

// RestoredState is what the read-only validation reads found of a
// restored resource.
type RestoredState struct {
	ARN  string
	Kind RestoredKind
	// NotFound: the resource does not exist (any more).
	NotFound bool
	// Status is the table's TableStatus or the database's status.
	Status string
	// ItemCount is DescribeTable's (DynamoDB refreshes it about every six
	// hours; a restored table's is the restored count).
	ItemCount int64
	// Read: a Scan of one item answered; ItemRead: it returned an item.
	Read, ItemRead bool
}

// ValidateRestore judges a completed restore job by what it made: a table
// ACTIVE and readable, with items if its backup held data; a DB instance
// or cluster available; for types selfheal does not read, the job having
// made something. It returns whether the restore is usable, and the
// message put to AWS Backup.
func ValidateRestore(job RestoreJobState, r RestoredState) (bool, string) {
	name := orPlaceholder(protectedName(r.ARN), r.ARN)
	switch {
	case r.Kind == RestoredByJobOnly && job.CreatedResourceARN == "":
		return false, "the restore job completed without naming a restored resource"
	case r.Kind == RestoredByJobOnly:
		return true, fmt.Sprintf("AWS Backup restored %s (%s resources are validated by the restore job's outcome only)", job.CreatedResourceARN, orPlaceholder(job.ResourceType, "these"))
	case r.NotFound:
		return false, name + " does not exist: deleted before it was validated (is the selection's validation window 0 hours?)"
	}
	switch r.Kind {
	case RestoredTable:
		switch {
		case r.Status != "ACTIVE":
			return false, fmt.Sprintf("table %s is %s, not ACTIVE", name, orPlaceholder(r.Status, "of no status"))
		case !r.Read:
			return false, fmt.Sprintf("table %s did not answer a read", name)
		case !r.ItemRead && job.BackupSizeInBytes > 0:
			return false, fmt.Sprintf("table %s is empty, but the backup held %d bytes", name, job.BackupSizeInBytes)
		case !r.ItemRead:
			return true, fmt.Sprintf("table %s ACTIVE and readable, empty like its backup", name)
		}
		return true, fmt.Sprintf("table %s ACTIVE and readable, %s restored", name, plural(r.ItemCount, "item"))
	case RestoredInstance, RestoredCluster:
		what := "DB instance"
		if r.Kind == RestoredCluster {
			what = "DB cluster"
		}
		if r.Status != "available" {
			return false, fmt.Sprintf("%s %s is %s, not available", what, name, orPlaceholder(r.Status, "of no status"))
		}
		return true, fmt.Sprintf("%s %s available", what, name)
	}
	return false, "unknown restored resource kind " + string(r.Kind)
}

// Tags that override the recovery targets of one protected resource.
const (
	TagRTO = "selfheal:rto"
	TagRPO = "selfheal:rpo"
)

// RecoveryTargets are the targets a protected resource's restore tests
// are judged by: the policy's, or its own tags'.
type RecoveryTargets struct {
	RTO, RPO time.Duration
	// From says where each came from ("policy" or the tag), and Problems
	// what was wrong with a tag that was set but not used.
	RTOFrom, RPOFrom string
	Problems         []string
}

// TargetsFor reads a resource's targets from its tags, falling back to the
// policy for a tag that is absent or not a positive duration.
func TargetsFor(tags map[string]string, p config.Recovery) RecoveryTargets {
	t := RecoveryTargets{RTO: p.RTOTarget.Duration, RPO: p.RPOTarget.Duration, RTOFrom: "policy", RPOFrom: "policy"}
	for _, x := range []struct {
		key  string
		dst  *time.Duration
		from *string
	}{{TagRTO, &t.RTO, &t.RTOFrom}, {TagRPO, &t.RPO, &t.RPOFrom}} {
		v, ok := tags[x.key]
		if !ok {
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Problems = append(t.Problems, fmt.Sprintf("tag %s=%q is not a positive duration (like \"2h\"): the policy's target applies", x.key, v))
			continue
		}
		*x.dst, *x.from = d, "tag "+x.key
	}
	return t
}

// restoreObserved is what a restore test finding shows.
func restoreObserved(t state.RestoreTest) map[string]string {
	obs := map[string]string{
		"restoreJob":      t.RestoreJobID,
		"recoveryPoint":   t.RecoveryPointARN,
		"succeeded":       yes(t.Succeeded),
		"message":         t.Message,
		"ended":           stamp(&t.At),
		"jobCreated":      stamp(&t.JobCreated),
		"createdResource": orPlaceholder(t.CreatedResourceARN, "none"),
	}
	if !t.RecoveryPointCreated.IsZero() {
		obs["recoveryPointCreated"] = stamp(&t.RecoveryPointCreated)
	}
	if !t.ValidatedAt.IsZero() {
		obs["validated"] = stamp(&t.ValidatedAt)
	}
	return obs
}

// restoreAbout marks a restore test's finding with the resource it
// protects, typed as the test recorded it (AWS Backup's type names what an
// ARN alone does not, an EBS volume's).
func restoreAbout(f notify.Finding, t state.RestoreTest) notify.Finding {
	f.ProtectedResource = &notify.ProtectedResource{Type: t.ResourceType, Name: protectedName(t.ResourceARN), ARN: t.ResourceARN}
	return f
}

func restoreRegion(t state.RestoreTest) string {
	return orPlaceholder(RegionOf(t.RecoveryPointARN), RegionOf(t.ResourceARN))
}

// RestoreTestFailed: the restore test restored the resource and its
// validation passed. A failed or stopped restore job, or a restore that
// made nothing usable, FAILs with the reason.
func RestoreTestFailed(t state.RestoreTest) notify.Finding {
	name := protectedName(t.ResourceARN)
	if t.Succeeded {
		return restoreAbout(finding(CheckRestoreTestFailed, notify.StatusPass, t.ResourceARN, t.ResourceType,
			fmt.Sprintf("restore test of %s passed: %s", name, t.Message), restoreObserved(t), ""), t)
	}
	fix := fmt.Sprintf("aws backup describe-restore-job --restore-job-id %s --region %s shows the cause; fix it (the restore role, the restore metadata overrides, the recovery point), then let the restore testing plan run again",
		t.RestoreJobID, restoreRegion(t))
	return restoreAbout(finding(CheckRestoreTestFailed, notify.StatusFail, t.ResourceARN, t.ResourceType,
		fmt.Sprintf("restore test of %s failed: %s", name, t.Message), restoreObserved(t), fix), t)
}

// nearTarget is the share of a target past which a measurement WARNs: a
// recovery getting close to what the business tolerates is news before it
// fails.
const nearTarget = 0.8

// judgeTarget FAILs a measurement over its target and WARNs one within the
// last fifth of it.
func judgeTarget(got, target time.Duration) notify.Status {
	switch {
	case target <= 0:
		return notify.StatusNotApplicable
	case got > target:
		return notify.StatusFail
	case float64(got) >= nearTarget*float64(target):
		return notify.StatusWarn
	}
	return notify.StatusPass
}

// RestoreRTO: the restore test's recovery time (restore job created →
// restored resource validated) is within its target: FAIL over it, WARN
// in its last fifth.
func RestoreRTO(t state.RestoreTest, from string) notify.Finding {
	return recoveryMeasure(CheckRestoreRTO, "recovery time", t.RTO, t.RTOTarget, from, t,
		"make restores faster: restore from a recovery point in the same Region and storage tier, size the restored resource (restore metadata overrides), or raise the target if the business accepts it: tag "+TagRTO)
}

// RestoreRPO: the restored recovery point was no older than the target
// when the restore started: FAIL over it, WARN in its last fifth.
func RestoreRPO(t state.RestoreTest, from string) notify.Finding {
	if t.RecoveryPointCreated.IsZero() {
		obs := restoreObserved(t)
		obs["target"], obs["targetFrom"] = t.RPOTarget.String(), from
		return restoreAbout(finding(CheckRestoreRPO, notify.StatusNotApplicable, t.ResourceARN, t.ResourceType,
			"when the restored recovery point was made is not known: recovery point age not measured", obs, ""), t)
	}
	return recoveryMeasure(CheckRestoreRPO, "recovery point age", t.RPO, t.RPOTarget, from, t,
		"back up more often (a shorter rule schedule, or continuous backup for point-in-time recovery), or have the restore testing plan pick the latest recovery point (LATEST_WITHIN_WINDOW)")
}

func recoveryMeasure(check, what string, got, target time.Duration, from string, t state.RestoreTest, fix string) notify.Finding {
	st := judgeTarget(got, target)
	obs := restoreObserved(t)
	obs["measured"] = got.Round(time.Second).String()
	obs["target"] = target.String()
	obs["targetFrom"] = from
	obs["measuredSeconds"] = strconv.FormatInt(int64(got.Seconds()), 10)
	name := protectedName(t.ResourceARN)
	var summary string
	switch st {
	case notify.StatusFail:
		summary = fmt.Sprintf("%s of %s was %s, over its target of %s", what, name, roughSpan(got), roughSpan(target))
	case notify.StatusWarn:
		summary = fmt.Sprintf("%s of %s was %s, within a fifth of its target of %s", what, name, roughSpan(got), roughSpan(target))
	default:
		summary = fmt.Sprintf("%s of %s was %s (target %s)", what, name, roughSpan(got), roughSpan(target))
	}
	return restoreAbout(finding(check, st, t.ResourceARN, t.ResourceType, summary, obs, fix), t)
}

// roughSpan writes a duration to the minute: 42m, 3h5m, 2d4h.
func roughSpan(d time.Duration) string {
	d = d.Round(time.Minute)
	if d >= 48*time.Hour {
		days := d / (24 * time.Hour)
		if rest := (d % (24 * time.Hour)).Round(time.Hour); rest > 0 {
			return fmt.Sprintf("%dd%dh", days, rest/time.Hour)
		}
		return fmt.Sprintf("%dd", days)
	}
	return everyText(d)
}
