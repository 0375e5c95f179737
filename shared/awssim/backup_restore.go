package awssim

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// AWS Backup restore testing: restore testing plans and their selections,
// the restore jobs a plan starts on its schedule, the resources those jobs
// restore, and the validation AWS Backup waits for before it deletes them.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html
//
// On its schedule a plan picks, for every protected resource its selections
// name, one recovery point within SelectionWindowDays from the vaults it
// includes (the latest, or a random one), and starts a restore job. A job
// goes CREATED → PENDING → RUNNING → COMPLETED (or FAILED, ABORTED), taking
// RestoreTimings.Base plus PerGiB for each GiB of the recovery point. A
// completed job has made a resource — a DynamoDB table holding the items
// the recovery point holds, an RDS instance or Aurora cluster that is
// available — tagged awsbackup-restore-test, which AWS Backup deletes once
// someone puts a validation result or the selection's validation window
// ends (ValidationStatus TIMED_OUT).
// https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing-validation.html

type restoreTestingPlan struct {
	name, arn, region string
	expr, tz          string
	schedule          *backupSchedule
	startWindowHours  int32
	rpSelection       backuptypes.RestoreTestingRecoveryPointSelection
	created, lastRun  time.Time
	next              time.Time
	selections        []*restoreTestingSelection
	creatorRequestID  string
}

type restoreTestingSelection struct {
	name, resourceType, iamRole string
	arns                        []string
	equals, notEquals           []backuptypes.KeyValue
	validationWindowHours       int32
	created                     time.Time
}

type restoreJob struct {
	id, region                       string
	planArn                          string // the restore testing plan; "" for other restores
	rpArn, vaultArn                  string
	sourceArn, resourceType, iamRole string
	rpCreated                        time.Time
	size                             int64
	status                           backuptypes.RestoreJobStatus
	statusMessage                    string
	created, started, completed      time.Time
	createdArn                       string
	validationHours                  int32
	validation                       backuptypes.RestoreValidationStatus
	validationMessage                string
	deletion                         backuptypes.RestoreDeletionStatus
	deletionMessage                  string
	fault                            *RestoreFault
	snapshot                         *ddbSnapshot
}

// RestoreTimings is how long the sim's restore jobs take. AWS documents no
// durations; a restore's grows with the size of what it restores.
type RestoreTimings struct {
	// StartDelay: a job is CREATED, then PENDING, and RUNNING after this.
	StartDelay time.Duration
	// Base and PerGiB: a job runs Base plus PerGiB per GiB of its recovery
	// point.
	Base   time.Duration
	PerGiB time.Duration
}

// DefaultRestoreTimings are the timings of a new Sim.
var DefaultRestoreTimings = RestoreTimings{StartDelay: time.Minute, Base: 10 * time.Minute, PerGiB: time.Minute}

// SetRestoreTimings replaces how long restore jobs take; zero fields keep
// their current value.
func (s *Sim) SetRestoreTimings(t RestoreTimings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := &s.backup.restoreTimings
	for _, f := range []struct{ dst, src *time.Duration }{{&cur.StartDelay, &t.StartDelay}, {&cur.Base, &t.Base}, {&cur.PerGiB, &t.PerGiB}} {
		if *f.src > 0 {
			*f.dst = *f.src
		}
	}
}

// RestoreFaultMode is what a RestoreFault does to a restore job.
type RestoreFaultMode string

// Restore fault modes.
const (
	// RestoreFail: the job runs, then FAILS with the fault's message.
	RestoreFail RestoreFaultMode = "FAIL"
	// RestoreAbort: the job is stopped while it runs (ABORTED).
	RestoreAbort RestoreFaultMode = "ABORT"
	// RestoreBroken: the job COMPLETES, but what it made is not usable: a
	// DynamoDB table restored without its items, an RDS instance or
	// Aurora cluster left in incompatible-restore.
	RestoreBroken RestoreFaultMode = "BROKEN"
	// RestoreSlow: the job runs Delay longer.
	RestoreSlow RestoreFaultMode = "SLOW"
)

// RestoreFault makes the next restore job(s) of a resource end badly, or
// late.
type RestoreFault struct {
	// ResourceArn is the protected resource whose restores it takes; empty
	// matches any.
	ResourceArn string
	Mode        RestoreFaultMode
	// Message is the job's StatusMessage (RestoreFail, RestoreAbort);
	// empty uses one like AWS's.
	Message string
	Delay   time.Duration // for RestoreSlow
	// Count is how many matching jobs the fault takes; 0 means 1.
	Count int
}

type restoreFaultRule struct {
	RestoreFault
	used int
}

func (r *restoreFaultRule) spend() bool { r.used++; return r.used >= max(r.Count, 1) }

// InjectRestoreFault makes the next Count restore jobs matching f fail,
// stop, restore something unusable or run late. The returned function
// removes what is left of it.
func (s *Sim) InjectRestoreFault(f RestoreFault) (remove func(), err error) {
	switch f.Mode {
	case RestoreFail, RestoreAbort, RestoreBroken:
	case RestoreSlow:
		if f.Delay <= 0 {
			return nil, fmt.Errorf("awssim: slow restore fault needs a positive Delay")
		}
	default:
		return nil, fmt.Errorf("awssim: restore fault mode %q: want FAIL, ABORT, BROKEN or SLOW", f.Mode)
	}
	if f.Message == "" {
		f.Message = map[RestoreFaultMode]string{
			RestoreFail:  "Restore job failed because the IAM role is not authorized to create the resource.",
			RestoreAbort: "Restore job was stopped by user.",
		}[f.Mode]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rule := &restoreFaultRule{RestoreFault: f}
	s.backup.restoreFaults = append(s.backup.restoreFaults, rule)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.backup.restoreFaults = slices.DeleteFunc(s.backup.restoreFaults, func(r *restoreFaultRule) bool { return r == rule })
	}, nil
}

// RunRestoreTestingPlan starts a plan's restore tests now, as its schedule
// would (a game day's "run it now").
func (s *Sim) RunRestoreTestingPlan(region, name string) (jobIDs []string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.backup.restorePlans[region+"/"+name]
	if p == nil {
		return nil, fmt.Errorf("awssim: no restore testing plan %s in %s", name, region)
	}
	for _, j := range s.backup.runRestoreTestingPlan(p, s.now) {
		jobIDs = append(jobIDs, j.id)
	}
	return jobIDs, nil
}

// RestoreJobValidation returns what was put as a restore job's validation
// result, and whether the job exists.
func (s *Sim) RestoreJobValidation(id string) (status backuptypes.RestoreValidationStatus, message string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.backup.restoreJobs {
		if j.id == id {
			return j.validation, j.validationMessage, true
		}
	}
	return "", "", false
}

func (s *Sim) registerRestoreTesting() {
	b := s.backup
	handle(s, ServiceBackup, "CreateRestoreTestingPlan", b.createRestoreTestingPlan)
	handle(s, ServiceBackup, "GetRestoreTestingPlan", b.getRestoreTestingPlan)
	handle(s, ServiceBackup, "CreateRestoreTestingSelection", b.createRestoreTestingSelection)
	handle(s, ServiceBackup, "DescribeRestoreJob", b.describeRestoreJob)
	handle(s, ServiceBackup, "ListRestoreJobs", b.listRestoreJobs)
	handle(s, ServiceBackup, "PutRestoreValidationResult", b.putRestoreValidationResult)
}

// ---- API: plans and selections ----

// "It must consist of only alphanumeric characters and underscores."
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreTestingPlanForCreate.html
var restorePlanNameRE = regexp.MustCompile(`^[a-zA-Z0-9_]{1,50}$`)

// CreateRestoreTestingPlan validates the plan (name, cron schedule,
// recovery point selection) and starts running its schedule on the sim
// clock.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateRestoreTestingPlan.html
func (b *backupState) createRestoreTestingPlan(r *Region, in *backup.CreateRestoreTestingPlanInput) (*backup.CreateRestoreTestingPlanOutput, error) {
	in2 := in.RestoreTestingPlan
	name := aws.ToString(in2.RestoreTestingPlanName)
	if !restorePlanNameRE.MatchString(name) {
		return nil, backupErrInvalidParam("Invalid restore testing plan name %q: alphanumeric characters and underscores only", name)
	}
	if p := b.restorePlans[r.Name+"/"+name]; p != nil {
		if rid := aws.ToString(in.CreatorRequestId); rid != "" && rid == p.creatorRequestID {
			return &backup.CreateRestoreTestingPlanOutput{CreationTime: aws.Time(p.created), RestoreTestingPlanArn: aws.String(p.arn), RestoreTestingPlanName: aws.String(p.name)}, nil
		}
		return nil, &backuptypes.AlreadyExistsException{Message: aws.String("Restore testing plan " + name + " already exists"), Arn: aws.String(p.arn)}
	}
	sel := in2.RecoveryPointSelection
	if sel == nil || sel.Algorithm == "" || len(sel.IncludeVaults) == 0 || len(sel.RecoveryPointTypes) == 0 {
		return nil, backupErrInvalidParam("RecoveryPointSelection needs Algorithm, IncludeVaults and RecoveryPointTypes")
	}
	switch sel.Algorithm {
	case backuptypes.RestoreTestingRecoveryPointSelectionAlgorithmLatestWithinWindow, backuptypes.RestoreTestingRecoveryPointSelectionAlgorithmRandomWithinWindow:
	default:
		return nil, backupErrInvalidParam("Invalid Algorithm %q", sel.Algorithm)
	}
	rps := *sel
	if rps.SelectionWindowDays == 0 {
		rps.SelectionWindowDays = 30 // "Default value is 30 days."
	}
	if rps.SelectionWindowDays < 1 || rps.SelectionWindowDays > 365 {
		return nil, backupErrInvalidParam("SelectionWindowDays must be 1 to 365, got %d", rps.SelectionWindowDays)
	}
	expr, tz := aws.ToString(in2.ScheduleExpression), aws.ToString(in2.ScheduleExpressionTimezone)
	if tz == "" {
		tz = "Etc/UTC"
	}
	sched, err := parseBackupSchedule(expr, tz)
	if err != nil {
		return nil, err
	}
	start := in2.StartWindowHours
	if start == 0 {
		start = 24 // "Defaults to 24 hours."
	}
	if start < 1 || start > 168 {
		return nil, backupErrInvalidParam("StartWindowHours must be 1 to 168, got %d", start)
	}
	p := &restoreTestingPlan{
		name: name, region: r.Name, expr: expr, tz: tz, schedule: sched, startWindowHours: start, rpSelection: rps,
		arn:     fmt.Sprintf("arn:aws:backup:%s:%s:restore-testing-plan:%s-%s", r.Name, b.s.accountID, name, b.s.uuid()),
		created: b.s.now, creatorRequestID: aws.ToString(in.CreatorRequestId),
	}
	p.next = sched.next(b.s.now)
	b.restorePlans[r.Name+"/"+name] = p
	b.restorePlanOrder = append(b.restorePlanOrder, r.Name+"/"+name)
	return &backup.CreateRestoreTestingPlanOutput{CreationTime: aws.Time(p.created), RestoreTestingPlanArn: aws.String(p.arn), RestoreTestingPlanName: aws.String(p.name)}, nil
}

func (b *backupState) restorePlan(r *Region, name string) (*restoreTestingPlan, error) {
	p := b.restorePlans[r.Name+"/"+name]
	if p == nil {
		return nil, backupErrNotFound("Restore testing plan %s not found", name)
	}
	return p, nil
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetRestoreTestingPlan.html
func (b *backupState) getRestoreTestingPlan(r *Region, in *backup.GetRestoreTestingPlanInput) (*backup.GetRestoreTestingPlanOutput, error) {
	p, err := b.restorePlan(r, aws.ToString(in.RestoreTestingPlanName))
	if err != nil {
		return nil, err
	}
	sel := p.rpSelection
	out := &backuptypes.RestoreTestingPlanForGet{
		CreationTime: aws.Time(p.created), RecoveryPointSelection: &sel, RestoreTestingPlanArn: aws.String(p.arn),
		RestoreTestingPlanName: aws.String(p.name), ScheduleExpression: aws.String(p.expr), ScheduleExpressionTimezone: aws.String(p.tz),
		StartWindowHours: p.startWindowHours, CreatorRequestId: nonEmpty(p.creatorRequestID),
	}
	if !p.lastRun.IsZero() {
		out.LastExecutionTime = aws.Time(p.lastRun)
	}
	return &backup.GetRestoreTestingPlanOutput{RestoreTestingPlan: out}, nil
}

// restoreTestingTypes are the protected resource types a selection takes.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreTestingSelectionForCreate.html
var restoreTestingTypes = []string{"Aurora", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS", "S3"}

// CreateRestoreTestingSelection assigns protected resources of one type to
// a plan: by ARN (up to 30, or "*") and by tag conditions.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateRestoreTestingSelection.html
func (b *backupState) createRestoreTestingSelection(r *Region, in *backup.CreateRestoreTestingSelectionInput) (*backup.CreateRestoreTestingSelectionOutput, error) {
	p, err := b.restorePlan(r, aws.ToString(in.RestoreTestingPlanName))
	if err != nil {
		return nil, err
	}
	in2 := in.RestoreTestingSelection
	typ := aws.ToString(in2.ProtectedResourceType)
	if !slices.Contains(restoreTestingTypes, typ) {
		return nil, backupErrInvalidParam("Invalid ProtectedResourceType %q", typ)
	}
	if aws.ToString(in2.IamRoleArn) == "" {
		return nil, backupErrInvalidParam("IamRoleArn is required")
	}
	name := aws.ToString(in2.RestoreTestingSelectionName)
	if !restorePlanNameRE.MatchString(name) {
		return nil, backupErrInvalidParam("Invalid restore testing selection name %q", name)
	}
	for _, s := range p.selections {
		if s.name == name {
			return nil, &backuptypes.AlreadyExistsException{Message: aws.String("Restore testing selection " + name + " already exists")}
		}
		if s.resourceType == typ {
			// "Each protected resource type can have one single value."
			return nil, backupErrInvalidParam("Restore testing plan %s already has a selection of %s resources", p.name, typ)
		}
	}
	arns := in2.ProtectedResourceArns
	var conds backuptypes.ProtectedResourceConditions
	if c := in2.ProtectedResourceConditions; c != nil {
		conds = *c
	}
	switch {
	case len(arns) == 0 && len(conds.StringEquals)+len(conds.StringNotEquals) == 0:
		return nil, backupErrInvalidParam("A restore testing selection needs ProtectedResourceArns or ProtectedResourceConditions")
	case len(arns) > 30:
		return nil, backupErrInvalidParam("ProtectedResourceArns takes up to 30 ARNs, got %d", len(arns))
	case slices.Contains(arns, "*") && len(arns) > 1:
		return nil, backupErrInvalidParam(`ProtectedResourceArns is either ["*"] or a list of ARNs`)
	case len(conds.StringEquals)+len(conds.StringNotEquals) > 0 && len(arns) > 0 && !slices.Equal(arns, []string{"*"}):
		return nil, backupErrInvalidParam(`ProtectedResourceConditions apply with ProtectedResourceArns ["*"] only`)
	}
	hours := aws.ToInt32(in2.ValidationWindowHours)
	if hours < 0 || hours > 168 {
		return nil, backupErrInvalidParam("ValidationWindowHours must be 0 to 168, got %d", hours)
	}
	s := &restoreTestingSelection{
		name: name, resourceType: typ, iamRole: aws.ToString(in2.IamRoleArn), arns: slices.Clone(arns),
		equals: slices.Clone(conds.StringEquals), notEquals: slices.Clone(conds.StringNotEquals),
		validationWindowHours: hours, created: b.s.now,
	}
	p.selections = append(p.selections, s)
	return &backup.CreateRestoreTestingSelectionOutput{
		CreationTime: aws.Time(s.created), RestoreTestingPlanArn: aws.String(p.arn), RestoreTestingPlanName: aws.String(p.name),
		RestoreTestingSelectionName: aws.String(s.name),
	}, nil
}

// ---- schedule ----

// runRestoreTestings starts the restore tests of every plan that is due.
func (b *backupState) runRestoreTestings(now time.Time) {
	for _, k := range b.restorePlanOrder {
		p := b.restorePlans[k]
		if p.next.After(now) {
			continue
		}
		p.next = p.schedule.next(now)
		b.runRestoreTestingPlan(p, now)
	}
}

// runRestoreTestingPlan starts one restore job per selected protected
// resource that has a recovery point to test.
func (b *backupState) runRestoreTestingPlan(p *restoreTestingPlan, now time.Time) []*restoreJob {
	p.lastRun = now
	var jobs []*restoreJob
	for _, sel := range p.selections {
		for _, arn := range b.restoreCandidates(p, sel) {
			rp := b.pickRecoveryPoint(p, arn, now)
			if rp == nil {
				continue
			}
			jobs = append(jobs, b.newRestoreJob(p, sel, rp))
		}
	}
	return jobs
}

// restoreCandidates are the protected resources of a selection: those of
// its type with a recovery point in the plan's region, by ARN or matching
// its tag conditions (keys "aws:ResourceTag/<key>").
func (b *backupState) restoreCandidates(p *restoreTestingPlan, sel *restoreTestingSelection) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range b.rpOrder {
		rp := b.points[a]
		if rp.region != p.region || rp.resourceType != sel.resourceType || seen[rp.resourceArn] {
			continue
		}
		seen[rp.resourceArn] = true
		if !slices.Contains(sel.arns, "*") && len(sel.arns) > 0 && !slices.Contains(sel.arns, rp.resourceArn) {
			continue
		}
		tags := b.resourceTags(rp.resourceArn)
		ok := true
		for _, kv := range sel.equals {
			k := strings.TrimPrefix(aws.ToString(kv.Key), "aws:ResourceTag/")
			ok = ok && tags[k] == aws.ToString(kv.Value)
		}
		for _, kv := range sel.notEquals {
			k := strings.TrimPrefix(aws.ToString(kv.Key), "aws:ResourceTag/")
			ok = ok && tags[k] != aws.ToString(kv.Value)
		}
		if ok {
			out = append(out, rp.resourceArn)
		}
	}
	return out
}

// resourceTags are the tags of a resource the sim models.
func (b *backupState) resourceTags(arn string) map[string]string {
	region, name := arnRegion(arn), resourceNameOf(arn)
	switch resourceTypeOf(arn) {
	case "DynamoDB":
		if t := b.s.ddb.tables[region+"/"+name]; t != nil {
			return t.tags
		}
	case "RDS":
		if in := b.s.rds.instances[region+"/"+name]; in != nil {
			return in.tags
		}
	case "Aurora":
		if c := b.s.rds.clusters[region+"/"+name]; c != nil {
			return c.tags
		}
	}
	return nil
}

// pickRecoveryPoint chooses the recovery point of a resource to restore:
// the latest, or a random one, created within the plan's selection window
// in an included (and not excluded) vault, of an included type.
func (b *backupState) pickRecoveryPoint(p *restoreTestingPlan, resourceArn string, now time.Time) *recoveryPoint {
	sel := p.rpSelection
	since := now.AddDate(0, 0, -int(sel.SelectionWindowDays))
	var found []*recoveryPoint
	for _, a := range b.rpOrder {
		rp := b.points[a]
		if rp.resourceArn != resourceArn || rp.region != p.region || rp.created.Before(since) ||
			(rp.status != backuptypes.RecoveryPointStatusCompleted && rp.status != backuptypes.RecoveryPointStatusAvailable) {
			continue
		}
		kind := backuptypes.RestoreTestingRecoveryPointTypeSnapshot
		if rp.continuous {
			kind = backuptypes.RestoreTestingRecoveryPointTypeContinuous
		}
		if !slices.Contains(sel.RecoveryPointTypes, kind) || !vaultIn(sel.IncludeVaults, rp.vaultArn) || vaultIn(sel.ExcludeVaults, rp.vaultArn) {
			continue
		}
		found = append(found, rp)
	}
	if len(found) == 0 {
		return nil
	}
	if sel.Algorithm == backuptypes.RestoreTestingRecoveryPointSelectionAlgorithmRandomWithinWindow {
		return found[b.s.rng.IntN(len(found))]
	}
	latest := found[0]
	for _, rp := range found[1:] {
		if !rp.created.Before(latest.created) {
			latest = rp
		}
	}
	return latest
}

func vaultIn(list []string, vaultArn string) bool {
	return slices.ContainsFunc(list, func(v string) bool { return v == "*" || v == vaultArn })
}

// ---- jobs ----

func (b *backupState) newRestoreJob(p *restoreTestingPlan, sel *restoreTestingSelection, rp *recoveryPoint) *restoreJob {
	j := &restoreJob{
		id: b.upperUUID(), region: p.region, planArn: p.arn, rpArn: rp.arn, vaultArn: rp.vaultArn,
		sourceArn: rp.resourceArn, resourceType: rp.resourceType, iamRole: sel.iamRole, rpCreated: rp.created,
		size: rp.size, status: backuptypes.RestoreJobStatusPending, created: b.s.now,
		validationHours: sel.validationWindowHours, snapshot: rp.snapshot, fault: b.takeRestoreFault(rp.resourceArn),
	}
	b.restoreJobs = append(b.restoreJobs, j)
	b.emitRestoreJob(j, "CREATED")
	b.emitRestoreJob(j, "")
	return j
}

func (b *backupState) takeRestoreFault(resourceArn string) *RestoreFault {
	f := takeFault(&b.restoreFaults, func(f *restoreFaultRule) bool { return f.ResourceArn == "" || f.ResourceArn == resourceArn })
	if f == nil {
		return nil
	}
	out := f.RestoreFault
	return &out
}

// restoreDuration is how long a job runs: Base plus PerGiB per GiB.
func (b *backupState) restoreDuration(j *restoreJob) time.Duration {
	t := b.restoreTimings
	d := t.Base + time.Duration(float64(t.PerGiB)*float64(j.size)/float64(1<<30))
	if j.fault != nil && j.fault.Mode == RestoreSlow {
		d += j.fault.Delay
	}
	return d
}

func (b *backupState) advanceRestore(j *restoreJob, now time.Time) {
	switch j.status {
	case backuptypes.RestoreJobStatusPending:
		if now.Sub(j.created) < b.restoreTimings.StartDelay {
			return
		}
		j.status, j.started = backuptypes.RestoreJobStatusRunning, now
		b.emitRestoreJob(j, "")
	case backuptypes.RestoreJobStatusRunning:
		if j.fault != nil && j.fault.Mode == RestoreAbort && now.Sub(j.started) >= b.restoreDuration(j)/2 {
			j.status, j.statusMessage, j.completed = backuptypes.RestoreJobStatusAborted, j.fault.Message, now
			b.emitRestoreJob(j, "")
			return
		}
		if now.Sub(j.started) < b.restoreDuration(j) {
			return
		}
		if j.fault != nil && j.fault.Mode == RestoreFail {
			j.status, j.statusMessage = backuptypes.RestoreJobStatusFailed, j.fault.Message
			b.emitRestoreJob(j, "")
			return
		}
		broken := j.fault != nil && j.fault.Mode == RestoreBroken
		j.createdArn = b.restoreResource(j, broken)
		j.status, j.completed = backuptypes.RestoreJobStatusCompleted, now
		b.emitRestoreJob(j, "")
	case backuptypes.RestoreJobStatusCompleted:
		// The restored resource is deleted once validated, or when the
		// validation window ends.
		switch {
		case j.deletion != "":
		case j.validation == backuptypes.RestoreValidationStatusSuccessful || j.validation == backuptypes.RestoreValidationStatusFailed:
			b.deleteRestored(j)
		case !now.Before(j.completed.Add(time.Duration(j.validationHours) * time.Hour)):
			if j.planArn != "" && j.validation == "" {
				j.validation, j.validationMessage = backuptypes.RestoreValidationStatusTimedOut, "The validation window ended before a validation result was put."
			}
			b.deleteRestored(j)
		}
	}
}

// restoredName is the name a restore test gives what it restores.
func restoredName(jobID string) string {
	return "awsbackup-restore-test-" + strings.ToLower(jobID[:8])
}

// restoreResource makes what a completed job restored, and returns its
// ARN. Types the sim does not model get an ARN only.
func (b *backupState) restoreResource(j *restoreJob, broken bool) string {
	name := restoredName(j.id)
	switch j.resourceType {
	case "DynamoDB":
		snap := j.snapshot
		if broken || snap == nil {
			snap = snap.emptied()
		}
		return b.s.ddb.restoreTable(j.region, name, snap, j.id).arn
	case "RDS":
		return b.s.rds.restoreInstance(j.region, name, j.sourceArn, broken, j.id)
	case "Aurora":
		return b.s.rds.restoreCluster(j.region, name, j.sourceArn, broken, j.id)
	case "S3":
		return "arn:aws:s3:::" + name
	case "EBS":
		return fmt.Sprintf("arn:aws:ec2:%s:%s:volume/%s", j.region, b.s.accountID, b.s.nextID("vol-", 17))
	case "EC2":
		return fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", j.region, b.s.accountID, b.s.nextID("i-", 17))
	}
	return fmt.Sprintf("arn:aws:backup:%s:%s:restored-resource:%s", j.region, b.s.accountID, name)
}

// deleteRestored removes what a restore test made, as AWS Backup does
// after its validation.
func (b *backupState) deleteRestored(j *restoreJob) {
	switch j.resourceType {
	case "DynamoDB":
		delete(b.s.ddb.tables, j.region+"/"+restoredName(j.id))
	case "RDS":
		delete(b.s.rds.instances, j.region+"/"+restoredName(j.id))
	case "Aurora":
		delete(b.s.rds.clusters, j.region+"/"+restoredName(j.id))
	}
	j.deletion, j.deletionMessage = backuptypes.RestoreDeletionStatusSuccessful, "Restored resource deleted after restore testing."
}

// ---- API: jobs ----

func (b *backupState) restoreJobAPI(j *restoreJob) backuptypes.RestoreJobsListMember {
	out := backuptypes.RestoreJobsListMember{
		AccountId: aws.String(b.s.accountID), RestoreJobId: aws.String(j.id), RecoveryPointArn: aws.String(j.rpArn),
		BackupVaultArn: aws.String(j.vaultArn), SourceResourceArn: aws.String(j.sourceArn), ResourceType: aws.String(j.resourceType),
		IamRoleArn: aws.String(j.iamRole), CreationDate: aws.Time(j.created), RecoveryPointCreationDate: aws.Time(j.rpCreated),
		BackupSizeInBytes: aws.Int64(j.size), Status: j.status, StatusMessage: nonEmpty(j.statusMessage),
		CreatedResourceArn: nonEmpty(j.createdArn), ValidationStatus: j.validation, ValidationStatusMessage: nonEmpty(j.validationMessage),
		DeletionStatus: j.deletion, DeletionStatusMessage: nonEmpty(j.deletionMessage),
		PercentDone: aws.String(restorePercent(j)),
	}
	if j.planArn != "" {
		out.CreatedBy = &backuptypes.RestoreJobCreator{RestoreTestingPlanArn: aws.String(j.planArn)}
	}
	if !j.completed.IsZero() {
		out.CompletionDate = aws.Time(j.completed)
	}
	return out
}

func restorePercent(j *restoreJob) string {
	if j.status == backuptypes.RestoreJobStatusCompleted {
		return "100.00%"
	}
	return "0.00%"
}

func (b *backupState) restoreJob(r *Region, id string) (*restoreJob, error) {
	for _, j := range b.restoreJobs {
		if j.id == id && j.region == r.Name {
			return j, nil
		}
	}
	return nil, backupErrNotFound("Restore job %s not found", id)
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeRestoreJob.html
func (b *backupState) describeRestoreJob(r *Region, in *backup.DescribeRestoreJobInput) (*backup.DescribeRestoreJobOutput, error) {
	j, err := b.restoreJob(r, aws.ToString(in.RestoreJobId))
	if err != nil {
		return nil, err
	}
	m := b.restoreJobAPI(j)
	return &backup.DescribeRestoreJobOutput{
		AccountId: m.AccountId, RestoreJobId: m.RestoreJobId, RecoveryPointArn: m.RecoveryPointArn, BackupVaultArn: m.BackupVaultArn,
		SourceResourceArn: m.SourceResourceArn, ResourceType: m.ResourceType, IamRoleArn: m.IamRoleArn, CreationDate: m.CreationDate,
		CompletionDate: m.CompletionDate, RecoveryPointCreationDate: m.RecoveryPointCreationDate, BackupSizeInBytes: m.BackupSizeInBytes,
		Status: m.Status, StatusMessage: m.StatusMessage, CreatedResourceArn: m.CreatedResourceArn, CreatedBy: m.CreatedBy,
		ValidationStatus: m.ValidationStatus, ValidationStatusMessage: m.ValidationStatusMessage,
		DeletionStatus: m.DeletionStatus, DeletionStatusMessage: m.DeletionStatusMessage, PercentDone: m.PercentDone,
	}, nil
}

// ListRestoreJobs lists the restore jobs of this region that match every
// given filter.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRestoreJobs.html
func (b *backupState) listRestoreJobs(r *Region, in *backup.ListRestoreJobsInput) (*backup.ListRestoreJobsOutput, error) {
	if err := backupMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	if in.ByParentJobId != nil {
		return nil, backupErrInvalidParam("awssim does not model parent restore jobs")
	}
	list := []backuptypes.RestoreJobsListMember{}
	for _, j := range b.restoreJobs {
		if j.region != r.Name || (in.ByStatus != "" && in.ByStatus != j.status) ||
			(in.ByResourceType != nil && *in.ByResourceType != j.resourceType) ||
			(in.ByRestoreTestingPlanArn != nil && *in.ByRestoreTestingPlanArn != j.planArn) ||
			!inTimeRange(j.created, in.ByCreatedAfter, in.ByCreatedBefore) ||
			((in.ByCompleteAfter != nil || in.ByCompleteBefore != nil) && !inTimeRange(j.completed, in.ByCompleteAfter, in.ByCompleteBefore)) {
			continue
		}
		list = append(list, b.restoreJobAPI(j))
	}
	pg, next, err := page(list, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	return &backup.ListRestoreJobsOutput{RestoreJobs: pg, NextToken: next}, nil
}

// PutRestoreValidationResult records a validation of a completed restore
// job; AWS Backup then deletes the restored resource. A result cannot be
// put on a job that has not completed, once the window has timed out, or
// as TIMED_OUT (AWS Backup's own verdict).
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutRestoreValidationResult.html
func (b *backupState) putRestoreValidationResult(r *Region, in *backup.PutRestoreValidationResultInput) (*backup.PutRestoreValidationResultOutput, error) {
	j, err := b.restoreJob(r, aws.ToString(in.RestoreJobId))
	if err != nil {
		return nil, err
	}
	switch in.ValidationStatus {
	case backuptypes.RestoreValidationStatusSuccessful, backuptypes.RestoreValidationStatusFailed, backuptypes.RestoreValidationStatusValidating:
	default:
		return nil, backupErrInvalidParam("Invalid ValidationStatus %q", in.ValidationStatus)
	}
	switch {
	case j.status != backuptypes.RestoreJobStatusCompleted:
		return nil, backupErrInvalidRequest("Restore job %s is %s: only a completed restore job can be validated", j.id, j.status)
	case j.validation == backuptypes.RestoreValidationStatusTimedOut:
		return nil, backupErrInvalidRequest("Restore job %s validation already TIMED_OUT", j.id)
	}
	j.validation, j.validationMessage = in.ValidationStatus, aws.ToString(in.ValidationStatusMessage)
	if j.validation != backuptypes.RestoreValidationStatusValidating && j.deletion == "" {
		// Deleted at once rather than on the next tick: a restored
		// resource must not outlive its test into a sweep.
		b.deleteRestored(j)
	}
	return &backup.PutRestoreValidationResultOutput{}, nil
}

// ---- events ----

type restoreJobDetail struct {
	RestoreJobID          string `json:"restoreJobId"`
	BackupVaultArn        string `json:"backupVaultArn,omitempty"`
	RecoveryPointArn      string `json:"recoveryPointArn,omitempty"`
	SourceResourceArn     string `json:"sourceResourceArn,omitempty"`
	BackupSizeInBytes     string `json:"backupSizeInBytes,omitempty"`
	CreationDate          string `json:"creationDate"`
	IamRoleArn            string `json:"iamRoleArn,omitempty"`
	PercentDone           *int   `json:"percentDone,omitempty"`
	ResourceType          string `json:"resourceType,omitempty"`
	Status                string `json:"status,omitempty"`
	State                 string `json:"state,omitempty"`
	StatusMessage         string `json:"statusMessage,omitempty"`
	CreatedResourceArn    string `json:"createdResourceArn,omitempty"`
	CompletionDate        string `json:"completionDate,omitempty"`
	RestoreTestingPlanArn string `json:"restoreTestingPlanArn,omitempty"`
}

// emitRestoreJob emits a Restore Job State Change shaped like the
// documented ones: the CREATED event (state "CREATED") carries only the
// job id, its creation date and state; the others report status, the
// size as a string and percentDone as a number; resources holds the
// restored recovery point; a restore testing plan's job names the plan.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html#aws-backup-events-restore-job
func (b *backupState) emitRestoreJob(j *restoreJob, state string) {
	d := restoreJobDetail{RestoreJobID: j.id, CreationDate: backupEventTime(j.created)}
	if state != "" {
		d.State = state
		b.s.emitLocked(j.region, backupSource, "Restore Job State Change", []string{j.rpArn}, d)
		return
	}
	pct := 0
	if j.status == backuptypes.RestoreJobStatusCompleted {
		pct = 100
	}
	d.BackupVaultArn, d.RecoveryPointArn, d.SourceResourceArn = j.vaultArn, j.rpArn, j.sourceArn
	d.BackupSizeInBytes, d.IamRoleArn, d.PercentDone = strconv.FormatInt(j.size, 10), j.iamRole, &pct
	d.ResourceType, d.Status, d.StatusMessage = j.resourceType, string(j.status), j.statusMessage
	d.CreatedResourceArn, d.RestoreTestingPlanArn = j.createdArn, j.planArn
	if !j.completed.IsZero() {
		d.CompletionDate = backupEventTime(j.completed)
	}
	b.s.emitLocked(j.region, backupSource, "Restore Job State Change", []string{j.rpArn}, d)
}
