package awssim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// Backup jobs, copy jobs and recovery points.
//
// A backup job goes CREATED → RUNNING → COMPLETED on the sim clock (see
// BackupTimings), waiting while another job backs up the same resource and
// EXPIRED if it cannot start before its StartBy. A completed job makes a
// recovery point and starts a copy job per copy action of its rule. A copy
// job runs in the source region, where its events are emitted and where
// ListCopyJobs finds it, and makes its recovery point in the destination
// vault's region.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup.html
// https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html

type jobSpec struct {
	region, vaultName, resourceArn, iamRole string
	lifecycle                               *backuptypes.Lifecycle
	startWindow, completionWindow           int64
	creator                                 *backuptypes.RecoveryPointCreator
	planID                                  string
	copyActions                             []backuptypes.CopyAction
	continuous                              bool
	idempotencyToken                        string
}

type backupJob struct {
	jobSpec
	id                          string
	resourceType, resourceName  string
	vaultArn                    string
	state                       backuptypes.BackupJobState
	statusMessage               string
	created, started, completed time.Time
	startBy                     time.Time
	rpArn                       string
	size                        int64
	fault                       *BackupJobFault
}

type copyJob struct {
	id, region                                           string // region: the source region
	sourceVaultArn, sourceRPArn, destVaultArn, destRPArn string
	resourceArn, resourceType, resourceName, iamRole     string
	state                                                backuptypes.CopyJobState
	statusMessage                                        string
	created, started, completed, startAt, sourceCreated  time.Time
	size                                                 int64
	lifecycle                                            *backuptypes.Lifecycle
	creator                                              *backuptypes.RecoveryPointCreator
	backupJobID, idempotencyToken                        string
	fault                                                *CopyJobFault
	sourceContinuous                                     bool
}

type recoveryPoint struct {
	arn, region, vaultName, vaultArn        string
	resourceArn, resourceType, resourceName string
	iamRole                                 string
	created, completed                      time.Time
	status                                  backuptypes.RecoveryPointStatus
	statusMessage                           string
	continuous                              bool
	lifecycle                               *backuptypes.Lifecycle
	creator                                 *backuptypes.RecoveryPointCreator
	keyArn                                  string
	size                                    int64
	sourceVaultArn                          string
	storageClass                            backuptypes.StorageClass
	// snapshot is what a DynamoDB table's recovery point holds, for
	// restores (backup_restore_resources.go).
	snapshot *ddbSnapshot
}

// ---- resource types ----

// resourceTypeOf names the AWS Backup resource type of an ARN, "" when AWS
// Backup does not back it up (or the sim does not model it).
// https://docs.aws.amazon.com/aws-backup/latest/devguide/whatisbackup.html#supported-resources
func resourceTypeOf(arn string) string {
	switch {
	case strings.HasPrefix(arn, "arn:aws:dynamodb:") && strings.Contains(arn, ":table/"):
		return "DynamoDB"
	case strings.HasPrefix(arn, "arn:aws:rds:") && strings.Contains(arn, ":db:"):
		return "RDS"
	case strings.HasPrefix(arn, "arn:aws:rds:") && strings.Contains(arn, ":cluster:"):
		return "Aurora"
	case strings.HasPrefix(arn, "arn:aws:s3:::"):
		return "S3"
	case strings.HasPrefix(arn, "arn:aws:ec2:") && strings.Contains(arn, ":instance/"):
		return "EC2"
	case strings.HasPrefix(arn, "arn:aws:ec2:") && strings.Contains(arn, ":volume/"):
		return "EBS"
	case strings.HasPrefix(arn, "arn:aws:elasticfilesystem:"):
		return "EFS"
	}
	return ""
}

// supportsContinuous: continuous backup covers RDS, Aurora and S3.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html
func supportsContinuous(resourceType string) bool {
	return resourceType == "RDS" || resourceType == "Aurora" || resourceType == "S3"
}

func resourceNameOf(arn string) string {
	i := strings.LastIndexAny(arn, ":/")
	return arn[i+1:]
}

// resourceExists checks the resources the sim models; others are assumed
// to exist.
func (b *backupState) resourceExists(arn string) bool {
	region, name := arnRegion(arn), resourceNameOf(arn)
	switch resourceTypeOf(arn) {
	case "DynamoDB":
		return b.s.ddb.tables[region+"/"+name] != nil
	case "RDS":
		return b.s.rds.instances[region+"/"+name] != nil
	case "Aurora":
		return b.s.rds.clusters[region+"/"+name] != nil
	}
	return true
}

// resourceSize is a DynamoDB table's size (0 for an empty table), or a
// seeded size for others.
func (b *backupState) resourceSize(arn string) int64 {
	if resourceTypeOf(arn) == "DynamoDB" {
		if t := b.s.ddb.tables[arnRegion(arn)+"/"+resourceNameOf(arn)]; t != nil {
			return aws.ToInt64(t.describe().TableSizeBytes)
		}
	}
	return 1<<20 + b.s.rng.Int64N(1<<30)
}

// snapshotARN is the ARN of a snapshot recovery point, in the form each
// service gives it: RDS snapshots for RDS and Aurora, AMIs and EBS
// snapshots for EC2, AWS Backup recovery points for the rest.
func (b *backupState) snapshotARN(region, resourceType, jobID string) string {
	switch resourceType {
	case "RDS":
		return fmt.Sprintf("arn:aws:rds:%s:%s:snapshot:awsbackup:job-%s", region, b.s.accountID, jobID)
	case "Aurora":
		return fmt.Sprintf("arn:aws:rds:%s:%s:cluster-snapshot:awsbackup:job-%s", region, b.s.accountID, jobID)
	case "EC2":
		return fmt.Sprintf("arn:aws:ec2:%s::image/%s", region, b.s.nextID("ami-", 17))
	case "EBS":
		return fmt.Sprintf("arn:aws:ec2:%s::snapshot/%s", region, b.s.nextID("snap-", 17))
	}
	return fmt.Sprintf("arn:aws:backup:%s:%s:recovery-point:%s", region, b.s.accountID, b.s.uuid())
}

func (b *backupState) continuousARN(region, resourceArn string) string {
	id := strings.ToLower(resourceNameOf(resourceArn))
	switch resourceTypeOf(resourceArn) {
	case "RDS":
		if in := b.s.rds.instances[region+"/"+id]; in != nil {
			id = strings.ToLower(in.resourceID)
		}
	case "Aurora":
		if c := b.s.rds.clusters[region+"/"+id]; c != nil {
			id = strings.ToLower(c.resourceID)
		}
	}
	return fmt.Sprintf("arn:aws:backup:%s:%s:recovery-point:continuous:%s-%s", region, b.s.accountID, id, b.s.nextID("", 8))
}

// ---- faults ----

func (b *backupState) takeJobFault(resourceArn, planID string) *BackupJobFault {
	f := takeFault(&b.jobFaults, func(f *backupJobFaultRule) bool {
		return (f.ResourceArn == "" || f.ResourceArn == resourceArn) && (f.BackupPlanID == "" || f.BackupPlanID == planID)
	})
	if f == nil {
		return nil
	}
	out := f.BackupJobFault
	return &out
}

func (b *backupState) takeCopyFault(resourceArn, destVault string) *CopyJobFault {
	f := takeFault(&b.copyFaults, func(f *copyJobFaultRule) bool {
		return (f.ResourceArn == "" || f.ResourceArn == resourceArn) && (f.DestinationVaultArn == "" || f.DestinationVaultArn == destVault)
	})
	if f == nil {
		return nil
	}
	out := f.CopyJobFault
	return &out
}

// takeFault uses the first rule that matches, and drops it once it has
// fired Count times (once when Count is 0).
func takeFault[R interface{ spend() bool }](rules *[]R, matches func(R) bool) R {
	var none R
	for _, f := range *rules {
		if !matches(f) {
			continue
		}
		if f.spend() {
			*rules = slices.DeleteFunc(*rules, func(r R) bool { return any(r) == any(f) })
		}
		return f
	}
	return none
}

// ---- backup jobs ----

func (b *backupState) newJob(spec jobSpec) *backupJob {
	now := b.s.now
	j := &backupJob{
		jobSpec: spec, id: b.s.uuid(), resourceType: resourceTypeOf(spec.resourceArn), resourceName: resourceNameOf(spec.resourceArn),
		vaultArn: fmt.Sprintf("arn:aws:backup:%s:%s:backup-vault:%s", spec.region, b.s.accountID, spec.vaultName),
		state:    backuptypes.BackupJobStateCreated, created: now,
		startBy: now.Add(time.Duration(spec.startWindow) * time.Minute),
		fault:   b.takeJobFault(spec.resourceArn, spec.planID),
	}
	if !spec.continuous {
		j.rpArn = b.snapshotARN(spec.region, j.resourceType, j.id)
	}
	b.jobs = append(b.jobs, j)
	b.emitJob(j)
	return j
}

func (b *backupState) finishJob(j *backupJob, state backuptypes.BackupJobState, message string) {
	j.state, j.statusMessage = state, message
	if state != backuptypes.BackupJobStateFailed {
		j.completed = b.s.now
	}
	b.emitJob(j)
}

func (b *backupState) runningJobFor(resourceArn string, except *backupJob) bool {
	return slices.ContainsFunc(b.jobs, func(o *backupJob) bool {
		return o != except && o.resourceArn == resourceArn && o.state == backuptypes.BackupJobStateRunning
	})
}

func (b *backupState) advanceJob(j *backupJob, now time.Time) {
	switch j.state {
	case backuptypes.BackupJobStateCreated:
		if j.fault != nil && j.fault.Outcome == backuptypes.BackupJobStateExpired {
			if !now.Before(j.startBy) {
				b.finishJob(j, backuptypes.BackupJobStateExpired, j.fault.StatusMessage)
			}
			return
		}
		if now.Sub(j.created) < b.timings.JobStartDelay {
			return
		}
		if b.runningJobFor(j.resourceArn, j) {
			if !now.Before(j.startBy) {
				b.finishJob(j, backuptypes.BackupJobStateExpired, "Backup job failed because there was a running job for the same resource.")
			}
			return
		}
		v := b.vaults[j.region+"/"+j.vaultName]
		switch {
		case v == nil:
			b.finishJob(j, backuptypes.BackupJobStateFailed, fmt.Sprintf("Backup job failed because backup vault %s does not exist.", j.vaultName))
			return
		case !b.resourceExists(j.resourceArn):
			b.finishJob(j, backuptypes.BackupJobStateFailed, fmt.Sprintf("Backup job failed because resource %s was not found.", j.resourceArn))
			return
		}
		if why, ok := v.retentionAllowed(retentionDays(j.lifecycle)); !ok {
			b.finishJob(j, backuptypes.BackupJobStateFailed, "Backup job failed because "+why+".")
			return
		}
		j.state, j.started = backuptypes.BackupJobStateRunning, now
		b.emitJob(j)
	case backuptypes.BackupJobStateRunning:
		if now.Sub(j.started) < b.timings.JobDuration {
			return
		}
		if j.fault != nil {
			b.finishJob(j, j.fault.Outcome, j.fault.StatusMessage)
			return
		}
		b.completeJob(j, now)
	}
}

func (b *backupState) completeJob(j *backupJob, now time.Time) {
	v := b.vaults[j.region+"/"+j.vaultName]
	if v == nil {
		b.finishJob(j, backuptypes.BackupJobStateFailed, fmt.Sprintf("Backup job failed because backup vault %s was deleted.", j.vaultName))
		return
	}
	j.size = b.resourceSize(j.resourceArn)
	var rp *recoveryPoint
	if j.continuous {
		// A continuous backup keeps one AVAILABLE recovery point per
		// resource and vault; after a STOPPED one, the next run starts a
		// new one.
		for _, arn := range b.rpOrder {
			if p := b.points[arn]; p.continuous && p.resourceArn == j.resourceArn && p.vaultArn == v.arn && p.status == backuptypes.RecoveryPointStatusAvailable {
				rp = p
				break
			}
		}
		if rp == nil {
			rp = b.newRecoveryPoint(j, v, b.continuousARN(j.region, j.resourceArn), backuptypes.RecoveryPointStatusAvailable)
		}
		j.rpArn = rp.arn
	} else {
		rp = b.newRecoveryPoint(j, v, j.rpArn, backuptypes.RecoveryPointStatusCompleted)
	}
	j.state, j.completed = backuptypes.BackupJobStateCompleted, now
	b.emitJob(j)
	for _, ca := range j.copyActions {
		lifecycle := ca.Lifecycle
		if lifecycle == nil {
			lifecycle = rp.lifecycle
		}
		b.newCopy(rp, aws.ToString(ca.DestinationBackupVaultArn), lifecycle, j.iamRole, j.id, "", false)
	}
}

func (b *backupState) newRecoveryPoint(j *backupJob, v *backupVault, arn string, status backuptypes.RecoveryPointStatus) *recoveryPoint {
	rp := &recoveryPoint{
		arn: arn, region: v.region, vaultName: v.name, vaultArn: v.arn,
		resourceArn: j.resourceArn, resourceType: j.resourceType, resourceName: j.resourceName, iamRole: j.iamRole,
		created: j.created, completed: b.s.now, status: status, continuous: j.continuous,
		lifecycle: cloneLifecycle(j.lifecycle), creator: j.creator, keyArn: v.keyArn, size: j.size,
		storageClass: backuptypes.StorageClassWarm,
	}
	if j.resourceType == "DynamoDB" {
		rp.snapshot = b.s.ddb.snapshotTable(j.region, j.resourceName)
	}
	b.points[rp.arn] = rp
	b.rpOrder = append(b.rpOrder, rp.arn)
	b.byVault = nil
	b.emitRecoveryPoint(rp)
	return rp
}

// calculated is when the lifecycle moves and deletes the recovery point,
// counted from its creation date.
func (rp *recoveryPoint) calculated() *backuptypes.CalculatedLifecycle {
	if rp.lifecycle == nil || rp.continuous {
		return nil
	}
	out := &backuptypes.CalculatedLifecycle{}
	if d := rp.lifecycle.DeleteAfterDays; d != nil {
		out.DeleteAt = aws.Time(rp.created.Add(time.Duration(*d) * 24 * time.Hour))
	}
	if d := rp.lifecycle.MoveToColdStorageAfterDays; d != nil {
		out.MoveToColdStorageAt = aws.Time(rp.created.Add(time.Duration(*d) * 24 * time.Hour))
	}
	if out.DeleteAt == nil && out.MoveToColdStorageAt == nil {
		return nil
	}
	return out
}

// applyLifecycles moves recovery points to cold storage and deletes them
// when their lifecycle says so; Vault Lock does not stop that.
func (b *backupState) applyLifecycles(now time.Time) {
	kept := b.rpOrder[:0]
	for _, arn := range b.rpOrder {
		rp := b.points[arn]
		c := rp.calculated()
		if c != nil && c.DeleteAt != nil && !now.Before(*c.DeleteAt) {
			delete(b.points, arn)
			b.byVault = nil
			continue
		}
		if c != nil && c.MoveToColdStorageAt != nil && !now.Before(*c.MoveToColdStorageAt) {
			rp.storageClass = backuptypes.StorageClassCold
		}
		kept = append(kept, arn)
	}
	b.rpOrder = kept
}

// ---- copy jobs ----

// newCopy starts a copy of rp to destVault; nil when a NeverStart fault
// swallows a plan's copy.
func (b *backupState) newCopy(rp *recoveryPoint, destVault string, lifecycle *backuptypes.Lifecycle, iamRole, backupJobID, token string, onDemand bool) *copyJob {
	now := b.s.now
	c := &copyJob{
		id: b.upperUUID(), region: rp.region,
		sourceVaultArn: rp.vaultArn, sourceRPArn: rp.arn, destVaultArn: destVault,
		resourceArn: rp.resourceArn, resourceType: rp.resourceType, resourceName: rp.resourceName, iamRole: iamRole,
		state: backuptypes.CopyJobStateCreated, created: now, startAt: now.Add(b.timings.CopyStartDelay),
		sourceCreated: rp.created, size: rp.size, lifecycle: cloneLifecycle(lifecycle), creator: rp.creator,
		backupJobID: backupJobID, idempotencyToken: token, sourceContinuous: rp.continuous,
		fault: b.takeCopyFault(rp.resourceArn, destVault),
	}
	if c.fault != nil {
		switch c.fault.Mode {
		case CopyNeverStart:
			if !onDemand {
				return nil
			}
			c.startAt = time.Time{} // never
		case CopyDelay:
			c.startAt = c.startAt.Add(c.fault.Delay)
		}
	}
	b.copies = append(b.copies, c)
	b.emitCopy(c)
	return c
}

func (b *backupState) failCopy(c *copyJob, message string) {
	c.state, c.statusMessage, c.completed = backuptypes.CopyJobStateFailed, message, b.s.now
	b.emitCopy(c)
}

func (b *backupState) advanceCopy(c *copyJob, now time.Time) {
	switch c.state {
	case backuptypes.CopyJobStateCreated:
		if c.startAt.IsZero() || now.Before(c.startAt) {
			return
		}
		destRegion := arnRegion(c.destVaultArn)
		dest := b.vaultByARN(c.destVaultArn)
		switch {
		case arnAccount(c.destVaultArn) != b.s.accountID:
			b.failCopy(c, "Copy job failed: awssim models copies within the account only.")
			return
		case b.s.regions[destRegion] == nil || dest == nil:
			b.failCopy(c, fmt.Sprintf("Copy job failed because the destination backup vault %s does not exist.", c.destVaultArn))
			return
		}
		if why, ok := dest.retentionAllowed(retentionDays(c.lifecycle)); !ok {
			b.failCopy(c, "Copy job failed because "+why+".")
			return
		}
		c.state, c.started = backuptypes.CopyJobStateRunning, now
		b.emitCopy(c)
	case backuptypes.CopyJobStateRunning:
		if now.Sub(c.started) < b.timings.CopyDuration {
			return
		}
		if c.fault != nil && c.fault.Mode == CopyFail {
			b.failCopy(c, c.fault.StatusMessage)
			return
		}
		dest := b.vaultByARN(c.destVaultArn)
		if dest == nil {
			b.failCopy(c, fmt.Sprintf("Copy job failed because the destination backup vault %s was deleted.", c.destVaultArn))
			return
		}
		if b.points[c.sourceRPArn] == nil {
			b.failCopy(c, fmt.Sprintf("Copy job failed because the source recovery point %s no longer exists.", c.sourceRPArn))
			return
		}
		c.destRPArn = b.copyARN(dest.region, c)
		// "Copies retain their source configuration, including creation
		// dates"; a copy of a continuous backup is a snapshot.
		rp := &recoveryPoint{
			arn: c.destRPArn, region: dest.region, vaultName: dest.name, vaultArn: dest.arn,
			resourceArn: c.resourceArn, resourceType: c.resourceType, resourceName: c.resourceName, iamRole: c.iamRole,
			created: c.sourceCreated, completed: now, status: backuptypes.RecoveryPointStatusCompleted,
			lifecycle: cloneLifecycle(c.lifecycle), creator: c.creator, keyArn: dest.keyArn, size: c.size,
			sourceVaultArn: c.sourceVaultArn, storageClass: backuptypes.StorageClassWarm,
		}
		if src := b.points[c.sourceRPArn]; src != nil {
			rp.snapshot = src.snapshot
		}
		b.points[rp.arn] = rp
		b.rpOrder = append(b.rpOrder, rp.arn)
		b.byVault = nil
		b.emitRecoveryPoint(rp)
		c.state, c.completed = backuptypes.CopyJobStateCompleted, now
		b.emitCopy(c)
	}
}

func (b *backupState) copyARN(region string, c *copyJob) string {
	switch c.resourceType {
	case "RDS":
		return fmt.Sprintf("arn:aws:rds:%s:%s:snapshot:awsbackup:copyjob-%s", region, b.s.accountID, strings.ToLower(c.id))
	case "Aurora":
		return fmt.Sprintf("arn:aws:rds:%s:%s:cluster-snapshot:awsbackup:copyjob-%s", region, b.s.accountID, strings.ToLower(c.id))
	}
	return b.snapshotARN(region, c.resourceType, c.id)
}

// ---- API: backup jobs ----

// StartBackupJob starts an on-demand backup.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html
func (b *backupState) startBackupJob(r *Region, in *backup.StartBackupJobInput) (*backup.StartBackupJobOutput, error) {
	if token := aws.ToString(in.IdempotencyToken); token != "" {
		for _, j := range b.jobs {
			if j.region == r.Name && j.idempotencyToken == token {
				return &backup.StartBackupJobOutput{BackupJobId: aws.String(j.id), CreationDate: aws.Time(j.created), RecoveryPointArn: nonEmpty(j.rpArn)}, nil
			}
		}
	}
	if _, err := b.vault(r, aws.ToString(in.BackupVaultName)); err != nil {
		return nil, err
	}
	arn := aws.ToString(in.ResourceArn)
	if resourceTypeOf(arn) == "" {
		return nil, backupErrInvalidParam("Invalid ARN: %s. The resource type is not supported by AWS Backup in the simulated account", arn)
	}
	if reg := arnRegion(arn); reg != "" && reg != r.Name {
		return nil, backupErrInvalidParam("Resource %s is not in %s: AWS Backup backs up resources in the vault's region", arn, r.Name)
	}
	if in.Index != "" || in.LogicallyAirGappedBackupVaultArn != nil {
		return nil, backupErrInvalidParam("awssim does not model Index or logically air-gapped vaults")
	}
	if err := validateLifecycle(in.Lifecycle, false); err != nil {
		return nil, err
	}
	start := int64(defaultStartWindow)
	if in.StartWindowMinutes != nil {
		// "If this value is included, it must be at least 60 minutes."
		if *in.StartWindowMinutes < 60 {
			return nil, backupErrInvalidParam("StartWindowMinutes must be at least 60, got %d", *in.StartWindowMinutes)
		}
		start = *in.StartWindowMinutes
	}
	complete := int64(defaultCompletionWindow)
	if in.CompleteWindowMinutes != nil {
		complete = *in.CompleteWindowMinutes
	}
	j := b.newJob(jobSpec{
		region: r.Name, vaultName: aws.ToString(in.BackupVaultName), resourceArn: arn, iamRole: aws.ToString(in.IamRoleArn),
		lifecycle: cloneLifecycle(in.Lifecycle), startWindow: start, completionWindow: complete,
		idempotencyToken: aws.ToString(in.IdempotencyToken),
	})
	return &backup.StartBackupJobOutput{BackupJobId: aws.String(j.id), CreationDate: aws.Time(j.created), RecoveryPointArn: nonEmpty(j.rpArn)}, nil
}

func (j *backupJob) percentDone() string {
	switch j.state {
	case backuptypes.BackupJobStateCompleted:
		return "100.0"
	case backuptypes.BackupJobStateRunning:
		return "50.0"
	}
	return "0.0"
}

func (b *backupState) jobAPI(j *backupJob) backuptypes.BackupJob {
	out := backuptypes.BackupJob{
		AccountId: aws.String(b.s.accountID), BackupJobId: aws.String(j.id),
		BackupVaultArn: aws.String(j.vaultArn), BackupVaultName: aws.String(j.vaultName),
		CreationDate: aws.Time(j.created), StartBy: aws.Time(j.startBy),
		ExpectedCompletionDate: aws.Time(j.created.Add(time.Duration(j.completionWindow) * time.Minute)),
		IamRoleArn:             aws.String(j.iamRole), ResourceArn: aws.String(j.resourceArn),
		ResourceType: aws.String(j.resourceType), ResourceName: aws.String(j.resourceName),
		State: j.state, StatusMessage: nonEmpty(j.statusMessage), PercentDone: aws.String(j.percentDone()),
		RecoveryPointArn: nonEmpty(j.rpArn), RecoveryPointLifecycle: cloneLifecycle(j.lifecycle), CreatedBy: j.creator,
		BytesTransferred: aws.Int64(0),
	}
	if !j.started.IsZero() {
		out.InitiationDate = aws.Time(j.started)
	}
	if !j.completed.IsZero() {
		out.CompletionDate = aws.Time(j.completed)
	}
	if j.state == backuptypes.BackupJobStateCompleted {
		out.BackupSizeInBytes, out.BytesTransferred = aws.Int64(j.size), aws.Int64(j.size)
		out.IsEncrypted = true
		if v := b.vaults[j.region+"/"+j.vaultName]; v != nil {
			out.EncryptionKeyArn = aws.String(v.keyArn)
		}
	}
	return out
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupJob.html
func (b *backupState) describeBackupJob(r *Region, in *backup.DescribeBackupJobInput) (*backup.DescribeBackupJobOutput, error) {
	id := aws.ToString(in.BackupJobId)
	for _, j := range b.jobs {
		if j.id != id || j.region != r.Name {
			continue
		}
		a := b.jobAPI(j)
		return &backup.DescribeBackupJobOutput{
			AccountId: a.AccountId, BackupJobId: a.BackupJobId, BackupSizeInBytes: a.BackupSizeInBytes,
			BackupVaultArn: a.BackupVaultArn, BackupVaultName: a.BackupVaultName, BytesTransferred: a.BytesTransferred,
			CompletionDate: a.CompletionDate, CreatedBy: a.CreatedBy, CreationDate: a.CreationDate,
			EncryptionKeyArn: a.EncryptionKeyArn, ExpectedCompletionDate: a.ExpectedCompletionDate,
			IamRoleArn: a.IamRoleArn, InitiationDate: a.InitiationDate, IsEncrypted: a.IsEncrypted,
			PercentDone: a.PercentDone, RecoveryPointArn: a.RecoveryPointArn, RecoveryPointLifecycle: a.RecoveryPointLifecycle,
			ResourceArn: a.ResourceArn, ResourceName: a.ResourceName, ResourceType: a.ResourceType,
			StartBy: a.StartBy, State: a.State, StatusMessage: a.StatusMessage,
		}, nil
	}
	return nil, backupErrNotFound("Backup job %s not found", id)
}

func inTimeRange(t time.Time, after, before *time.Time) bool {
	if after != nil && (t.IsZero() || !t.After(*after)) {
		return false
	}
	if before != nil && (t.IsZero() || !t.Before(*before)) {
		return false
	}
	return true
}

// ListBackupJobs returns the jobs of the last 30 days that match every
// given filter: "Returns a list of existing backup jobs for an
// authenticated account for the last 30 days."
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupJobs.html
func (b *backupState) listBackupJobs(r *Region, in *backup.ListBackupJobsInput) (*backup.ListBackupJobsOutput, error) {
	if err := backupMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	if in.ByMessageCategory != nil || in.ByParentJobId != nil {
		return nil, backupErrInvalidParam("awssim does not model message categories or parent jobs")
	}
	if id := aws.ToString(in.ByAccountId); id != "" && id != "*" && id != b.s.accountID {
		return &backup.ListBackupJobsOutput{BackupJobs: []backuptypes.BackupJob{}}, nil
	}
	since := b.s.now.AddDate(0, 0, -30)
	list := []backuptypes.BackupJob{}
	for _, j := range b.jobs {
		if j.region != r.Name || j.created.Before(since) ||
			(in.ByResourceArn != nil && *in.ByResourceArn != j.resourceArn) ||
			(in.ByState != "" && in.ByState != j.state) ||
			(in.ByBackupVaultName != nil && *in.ByBackupVaultName != j.vaultName) ||
			(in.ByResourceType != nil && *in.ByResourceType != j.resourceType) ||
			!inTimeRange(j.created, in.ByCreatedAfter, in.ByCreatedBefore) ||
			((in.ByCompleteAfter != nil || in.ByCompleteBefore != nil) && !inTimeRange(j.completed, in.ByCompleteAfter, in.ByCompleteBefore)) {
			continue
		}
		list = append(list, b.jobAPI(j))
	}
	pg, next, err := page(list, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	return &backup.ListBackupJobsOutput{BackupJobs: pg, NextToken: next}, nil
}

// ---- API: copy jobs ----

// StartCopyJob copies a recovery point to another vault, in this region or
// another. A CopyNeverStart fault leaves an on-demand copy CREATED for good.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartCopyJob.html
func (b *backupState) startCopyJob(r *Region, in *backup.StartCopyJobInput) (*backup.StartCopyJobOutput, error) {
	if token := aws.ToString(in.IdempotencyToken); token != "" {
		for _, c := range b.copies {
			if c.region == r.Name && c.idempotencyToken == token {
				return &backup.StartCopyJobOutput{CopyJobId: aws.String(c.id), CreationDate: aws.Time(c.created)}, nil
			}
		}
	}
	v, err := b.vault(r, aws.ToString(in.SourceBackupVaultName))
	if err != nil {
		return nil, err
	}
	rp := b.points[aws.ToString(in.RecoveryPointArn)]
	if rp == nil || rp.vaultArn != v.arn {
		return nil, backupErrNotFound("Recovery point %s not found in backup vault %s", aws.ToString(in.RecoveryPointArn), v.name)
	}
	if rp.status != backuptypes.RecoveryPointStatusCompleted && rp.status != backuptypes.RecoveryPointStatusAvailable {
		return nil, backupErrInvalidRequest("Recovery point %s is %s and cannot be copied", rp.arn, rp.status)
	}
	dest := aws.ToString(in.DestinationBackupVaultArn)
	if !strings.HasPrefix(dest, "arn:aws:backup:") || !strings.Contains(dest, ":backup-vault:") {
		return nil, backupErrInvalidParam("Invalid DestinationBackupVaultArn %q", dest)
	}
	if err := validateLifecycle(in.Lifecycle, false); err != nil {
		return nil, err
	}
	lifecycle := in.Lifecycle
	if lifecycle == nil {
		lifecycle = rp.lifecycle
	}
	c := b.newCopy(rp, dest, lifecycle, aws.ToString(in.IamRoleArn), "", aws.ToString(in.IdempotencyToken), true)
	return &backup.StartCopyJobOutput{CopyJobId: aws.String(c.id), CreationDate: aws.Time(c.created)}, nil
}

func (b *backupState) copyAPI(c *copyJob) backuptypes.CopyJob {
	out := backuptypes.CopyJob{
		AccountId: aws.String(b.s.accountID), CopyJobId: aws.String(c.id),
		SourceBackupVaultArn: aws.String(c.sourceVaultArn), SourceRecoveryPointArn: aws.String(c.sourceRPArn),
		DestinationBackupVaultArn: aws.String(c.destVaultArn), DestinationRecoveryPointArn: nonEmpty(c.destRPArn),
		DestinationRecoveryPointLifecycle: cloneLifecycle(c.lifecycle),
		ResourceArn:                       aws.String(c.resourceArn), ResourceType: aws.String(c.resourceType), ResourceName: aws.String(c.resourceName),
		IamRoleArn: aws.String(c.iamRole), CreationDate: aws.Time(c.created), State: c.state,
		StatusMessage: nonEmpty(c.statusMessage), BackupSizeInBytes: aws.Int64(c.size), CreatedBy: c.creator,
		CreatedByBackupJobId: nonEmpty(c.backupJobID),
	}
	if !c.completed.IsZero() {
		out.CompletionDate = aws.Time(c.completed)
	}
	return out
}

func (b *backupState) copyJob(r *Region, id string) (*copyJob, error) {
	for _, c := range b.copies {
		if c.id == id && c.region == r.Name {
			return c, nil
		}
	}
	return nil, backupErrNotFound("Copy job %s not found", id)
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeCopyJob.html
func (b *backupState) describeCopyJob(r *Region, in *backup.DescribeCopyJobInput) (*backup.DescribeCopyJobOutput, error) {
	c, err := b.copyJob(r, aws.ToString(in.CopyJobId))
	if err != nil {
		return nil, err
	}
	out := b.copyAPI(c)
	return &backup.DescribeCopyJobOutput{CopyJob: &out}, nil
}

// ListCopyJobs lists the copy jobs started in this region (the source)
// that match every given filter.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListCopyJobs.html
func (b *backupState) listCopyJobs(r *Region, in *backup.ListCopyJobsInput) (*backup.ListCopyJobsOutput, error) {
	if err := backupMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	if in.ByMessageCategory != nil || in.ByParentJobId != nil {
		return nil, backupErrInvalidParam("awssim does not model message categories or parent jobs")
	}
	if id := aws.ToString(in.ByAccountId); id != "" && id != "*" && id != b.s.accountID {
		return &backup.ListCopyJobsOutput{CopyJobs: []backuptypes.CopyJob{}}, nil
	}
	list := []backuptypes.CopyJob{}
	for _, c := range b.copies {
		if c.region != r.Name ||
			(in.ByResourceArn != nil && *in.ByResourceArn != c.resourceArn) ||
			(in.ByState != "" && in.ByState != c.state) ||
			(in.ByDestinationVaultArn != nil && *in.ByDestinationVaultArn != c.destVaultArn) ||
			(in.ByResourceType != nil && *in.ByResourceType != c.resourceType) ||
			(in.BySourceRecoveryPointArn != nil && *in.BySourceRecoveryPointArn != c.sourceRPArn) ||
			!inTimeRange(c.created, in.ByCreatedAfter, in.ByCreatedBefore) ||
			((in.ByCompleteAfter != nil || in.ByCompleteBefore != nil) && !inTimeRange(c.completed, in.ByCompleteAfter, in.ByCompleteBefore)) {
			continue
		}
		list = append(list, b.copyAPI(c))
	}
	pg, next, err := page(list, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	return &backup.ListCopyJobsOutput{CopyJobs: pg, NextToken: next}, nil
}

// ---- API: recovery points ----

func (b *backupState) pointIn(r *Region, vaultName, arn string) (*recoveryPoint, *backupVault, error) {
	v, err := b.vault(r, vaultName)
	if err != nil {
		return nil, nil, err
	}
	rp := b.points[arn]
	if rp == nil || rp.vaultArn != v.arn {
		return nil, nil, backupErrNotFound("Recovery point %s not found in backup vault %s", arn, vaultName)
	}
	return rp, v, nil
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeRecoveryPoint.html
func (b *backupState) describeRecoveryPoint(r *Region, in *backup.DescribeRecoveryPointInput) (*backup.DescribeRecoveryPointOutput, error) {
	rp, _, err := b.pointIn(r, aws.ToString(in.BackupVaultName), aws.ToString(in.RecoveryPointArn))
	if err != nil {
		return nil, err
	}
	return &backup.DescribeRecoveryPointOutput{
		RecoveryPointArn: aws.String(rp.arn), BackupVaultArn: aws.String(rp.vaultArn), BackupVaultName: aws.String(rp.vaultName),
		ResourceArn: aws.String(rp.resourceArn), ResourceType: aws.String(rp.resourceType), ResourceName: aws.String(rp.resourceName),
		IamRoleArn: aws.String(rp.iamRole), CreationDate: aws.Time(rp.created), CompletionDate: aws.Time(rp.completed),
		Status: rp.status, StatusMessage: nonEmpty(rp.statusMessage), Lifecycle: cloneLifecycle(rp.lifecycle),
		CalculatedLifecycle: rp.calculated(), CreatedBy: rp.creator, IsEncrypted: true, EncryptionKeyArn: aws.String(rp.keyArn),
		EncryptionKeyType: backuptypes.EncryptionKeyTypeCustomerManagedKmsKey,
		BackupSizeInBytes: aws.Int64(rp.size), SourceBackupVaultArn: nonEmpty(rp.sourceVaultArn),
		StorageClass: rp.storageClass, VaultType: backuptypes.VaultTypeBackupVault,
	}, nil
}

// DeleteRecoveryPoint is refused in a locked vault: "If any user (including
// the root user) attempts to delete a backup or change the lifecycle
// properties in a locked vault, AWS Backup will deny the operation."
// https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
func (b *backupState) deleteRecoveryPoint(r *Region, in *backup.DeleteRecoveryPointInput) (*backup.DeleteRecoveryPointOutput, error) {
	rp, v, err := b.pointIn(r, aws.ToString(in.BackupVaultName), aws.ToString(in.RecoveryPointArn))
	if err != nil {
		return nil, err
	}
	if v.lock != nil {
		return nil, backupErrInvalidRequest("RecoveryPoint cannot be deleted or updated (Backup vault configured with Lock)")
	}
	delete(b.points, rp.arn)
	b.rpOrder = slices.DeleteFunc(b.rpOrder, func(a string) bool { return a == rp.arn })
	b.byVault = nil
	return &backup.DeleteRecoveryPointOutput{}, nil
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html
func (b *backupState) listRecoveryPointsByVault(r *Region, in *backup.ListRecoveryPointsByBackupVaultInput) (*backup.ListRecoveryPointsByBackupVaultOutput, error) {
	if err := backupMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	if in.ByParentRecoveryPointArn != nil {
		return nil, backupErrInvalidParam("awssim does not model composite recovery points")
	}
	v, err := b.vault(r, aws.ToString(in.BackupVaultName))
	if err != nil {
		return nil, err
	}
	list := []backuptypes.RecoveryPointByBackupVault{}
	for _, rp := range b.pointsIn(v) {
		if (in.ByResourceArn != nil && *in.ByResourceArn != rp.resourceArn) ||
			(in.ByResourceType != nil && *in.ByResourceType != rp.resourceType) ||
			(in.ByBackupPlanId != nil && (rp.creator == nil || aws.ToString(rp.creator.BackupPlanId) != *in.ByBackupPlanId)) ||
			!inTimeRange(rp.created, in.ByCreatedAfter, in.ByCreatedBefore) {
			continue
		}
		list = append(list, backuptypes.RecoveryPointByBackupVault{
			RecoveryPointArn: aws.String(rp.arn), BackupVaultArn: aws.String(rp.vaultArn), BackupVaultName: aws.String(rp.vaultName),
			ResourceArn: aws.String(rp.resourceArn), ResourceType: aws.String(rp.resourceType), ResourceName: aws.String(rp.resourceName),
			IamRoleArn: aws.String(rp.iamRole), CreationDate: aws.Time(rp.created), CompletionDate: aws.Time(rp.completed),
			Status: rp.status, StatusMessage: nonEmpty(rp.statusMessage), Lifecycle: cloneLifecycle(rp.lifecycle),
			CalculatedLifecycle: rp.calculated(), CreatedBy: rp.creator, IsEncrypted: true, EncryptionKeyArn: aws.String(rp.keyArn),
			EncryptionKeyType: backuptypes.EncryptionKeyTypeCustomerManagedKmsKey,
			BackupSizeInBytes: aws.Int64(rp.size), SourceBackupVaultArn: nonEmpty(rp.sourceVaultArn), VaultType: backuptypes.VaultTypeBackupVault,
		})
	}
	pg, next, err := page(list, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	return &backup.ListRecoveryPointsByBackupVaultOutput{RecoveryPoints: pg, NextToken: next}, nil
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByResource.html
func (b *backupState) listRecoveryPointsByResource(r *Region, in *backup.ListRecoveryPointsByResourceInput) (*backup.ListRecoveryPointsByResourceOutput, error) {
	if err := backupMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	arn := aws.ToString(in.ResourceArn)
	list := []backuptypes.RecoveryPointByResource{}
	for _, a := range b.rpOrder {
		rp := b.points[a]
		if rp.region != r.Name || rp.resourceArn != arn {
			continue
		}
		list = append(list, backuptypes.RecoveryPointByResource{
			RecoveryPointArn: aws.String(rp.arn), BackupVaultName: aws.String(rp.vaultName), ResourceName: aws.String(rp.resourceName),
			CreationDate: aws.Time(rp.created), Status: rp.status, StatusMessage: nonEmpty(rp.statusMessage),
			EncryptionKeyArn: aws.String(rp.keyArn), EncryptionKeyType: backuptypes.EncryptionKeyTypeCustomerManagedKmsKey,
			BackupSizeBytes: aws.Int64(rp.size), VaultType: backuptypes.VaultTypeBackupVault,
		})
	}
	pg, next, err := page(list, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	return &backup.ListRecoveryPointsByResourceOutput{RecoveryPoints: pg, NextToken: next}, nil
}

// ListProtectedResources lists the resources with at least one recovery
// point in this region, with their latest backup.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListProtectedResources.html
func (b *backupState) listProtectedResources(r *Region, in *backup.ListProtectedResourcesInput) (*backup.ListProtectedResourcesOutput, error) {
	if err := backupMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	latest := map[string]*recoveryPoint{}
	var order []string
	for _, a := range b.rpOrder {
		rp := b.points[a]
		if rp.region != r.Name {
			continue
		}
		prev, seen := latest[rp.resourceArn]
		if !seen {
			order = append(order, rp.resourceArn)
		}
		if !seen || !rp.created.Before(prev.created) {
			latest[rp.resourceArn] = rp
		}
	}
	list := []backuptypes.ProtectedResource{}
	for _, arn := range order {
		rp := latest[arn]
		list = append(list, backuptypes.ProtectedResource{
			ResourceArn: aws.String(arn), ResourceType: aws.String(rp.resourceType), ResourceName: aws.String(rp.resourceName),
			LastBackupTime: aws.Time(rp.created), LastBackupVaultArn: aws.String(rp.vaultArn), LastRecoveryPointArn: aws.String(rp.arn),
		})
	}
	pg, next, err := page(list, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	return &backup.ListProtectedResourcesOutput{Results: pg, NextToken: next}, nil
}
