package awssim

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// The EventBridge events of AWS Backup, shaped like the documented samples
// and the events/aws.backup catalogue, quirks included: sizes are strings
// in backup job events and a number in copy job events, a backup job's
// statusMessage is wrapped in literal double quotes, isEncrypted and
// isLocked are the strings "true"/"false", createdBy names the rule
// backupPlanRuleId, and a copy without a destination recovery point has
// destinationRecoveryPointArn {}. Copy job events are emitted in the
// source region, where the copy job runs; a recovery point's event in its
// own region.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html

const backupSource = "aws.backup"

// backupEventTime is the events' time format: RFC 3339 in UTC with
// milliseconds, e.g. 2026-03-02T05:40:31.207Z.
func backupEventTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

type eventCreatedBy struct {
	BackupPlanID      string `json:"backupPlanId"`
	BackupPlanArn     string `json:"backupPlanArn"`
	BackupPlanVersion string `json:"backupPlanVersion"`
	BackupPlanRuleID  string `json:"backupPlanRuleId"`
}

func eventCreator(c *backuptypes.RecoveryPointCreator) *eventCreatedBy {
	if c == nil {
		return nil
	}
	return &eventCreatedBy{
		BackupPlanID: aws.ToString(c.BackupPlanId), BackupPlanArn: aws.ToString(c.BackupPlanArn),
		BackupPlanVersion: aws.ToString(c.BackupPlanVersion), BackupPlanRuleID: aws.ToString(c.BackupRuleId),
	}
}

type backupJobDetail struct {
	BackupJobID       string `json:"backupJobId"`
	BackupSizeInBytes string `json:"backupSizeInBytes,omitempty"`
	BackupVaultArn    string `json:"backupVaultArn"`
	BackupVaultName   string `json:"backupVaultName"`
	BytesTransferred  string `json:"bytesTransferred"`
	CreationDate      string `json:"creationDate"`
	IamRoleArn        string `json:"iamRoleArn"`
	ResourceArn       string `json:"resourceArn"`
	ResourceType      string `json:"resourceType"`
	State             string `json:"state"`
	StatusMessage     string `json:"statusMessage,omitempty"`
	CompletionDate    string `json:"completionDate,omitempty"`
	StartBy           string `json:"startBy"`
	// ExpectedCompletionDate is in RUNNING events, in the documented
	// format "Jul 15, 2020 9:39:07 PM".
	ExpectedCompletionDate string          `json:"expectedCompletionDate,omitempty"`
	PercentDone            float64         `json:"percentDone"`
	CreatedBy              *eventCreatedBy `json:"createdBy,omitempty"`
}

func (b *backupState) emitJob(j *backupJob) {
	d := backupJobDetail{
		BackupJobID: j.id, BackupVaultArn: j.vaultArn, BackupVaultName: j.vaultName, BytesTransferred: "0",
		CreationDate: backupEventTime(j.created), IamRoleArn: j.iamRole, ResourceArn: j.resourceArn,
		ResourceType: j.resourceType, State: string(j.state), StartBy: backupEventTime(j.startBy),
		CreatedBy: eventCreator(j.creator),
	}
	if j.statusMessage != "" {
		d.StatusMessage = `"` + j.statusMessage + `"`
	}
	if !j.completed.IsZero() {
		d.CompletionDate = backupEventTime(j.completed)
	}
	var resources []string
	switch j.state {
	case backuptypes.BackupJobStateCompleted:
		size := strconv.FormatInt(j.size, 10)
		d.BackupSizeInBytes, d.BytesTransferred, d.PercentDone = size, size, 100
		resources = []string{j.rpArn}
	case backuptypes.BackupJobStateRunning:
		d.ExpectedCompletionDate = j.created.Add(time.Duration(j.completionWindow) * time.Minute).UTC().Format("Jan 2, 2006 3:04:05 PM")
	}
	b.s.emitLocked(j.region, backupSource, "Backup Job State Change", resources, d)
}

type copyJobDetail struct {
	CopyJobID                   string          `json:"copyJobId,omitempty"`
	BackupSizeInBytes           int64           `json:"backupSizeInBytes"`
	CreationDate                string          `json:"creationDate"`
	IamRoleArn                  string          `json:"iamRoleArn"`
	ResourceArn                 string          `json:"resourceArn"`
	ResourceType                string          `json:"resourceType"`
	SourceBackupVaultArn        string          `json:"sourceBackupVaultArn"`
	State                       string          `json:"state"`
	StatusMessage               string          `json:"statusMessage,omitempty"`
	CompletionDate              string          `json:"completionDate,omitempty"`
	DestinationBackupVaultArn   string          `json:"destinationBackupVaultArn"`
	DestinationRecoveryPointArn any             `json:"destinationRecoveryPointArn"`
	CreatedBy                   *eventCreatedBy `json:"createdBy,omitempty"`
}

func (b *backupState) emitCopy(c *copyJob) {
	d := copyJobDetail{
		CopyJobID: c.id, BackupSizeInBytes: c.size, CreationDate: backupEventTime(c.created), IamRoleArn: c.iamRole,
		ResourceArn: c.resourceArn, ResourceType: c.resourceType, SourceBackupVaultArn: c.sourceVaultArn,
		State: string(c.state), StatusMessage: c.statusMessage, DestinationBackupVaultArn: c.destVaultArn,
		DestinationRecoveryPointArn: struct{}{}, CreatedBy: eventCreator(c.creator),
	}
	if c.state == backuptypes.CopyJobStateCreated {
		// The documented CREATED copy event has no copyJobId yet.
		d.CopyJobID = ""
	}
	if c.destRPArn != "" {
		d.DestinationRecoveryPointArn = c.destRPArn
	}
	if !c.completed.IsZero() {
		d.CompletionDate = backupEventTime(c.completed)
	}
	b.s.emitLocked(c.region, backupSource, "Copy Job State Change", []string{c.sourceRPArn}, d)
}

type eventLifecycle struct {
	DeleteAfterDays            *int64 `json:"deleteAfterDays,omitempty"`
	MoveToColdStorageAfterDays *int64 `json:"moveToColdStorageAfterDays,omitempty"`
}

type eventCalculatedLifecycle struct {
	DeleteAt            string `json:"deleteAt,omitempty"`
	MoveToColdStorageAt string `json:"moveToColdStorageAt,omitempty"`
}

type recoveryPointDetail struct {
	BackupVaultName     string                    `json:"backupVaultName"`
	BackupVaultArn      string                    `json:"backupVaultArn"`
	CreationDate        string                    `json:"creationDate"`
	IamRoleArn          string                    `json:"iamRoleArn"`
	ResourceType        string                    `json:"resourceType"`
	ResourceArn         string                    `json:"resourceArn"`
	Status              string                    `json:"status"`
	StatusMessage       string                    `json:"statusMessage,omitempty"`
	IsEncrypted         string                    `json:"isEncrypted"`
	StorageClass        string                    `json:"storageClass"`
	CompletionDate      string                    `json:"completionDate,omitempty"`
	CreatedBy           *eventCreatedBy           `json:"createdBy,omitempty"`
	Lifecycle           *eventLifecycle           `json:"lifecycle,omitempty"`
	CalculatedLifeCycle *eventCalculatedLifecycle `json:"calculatedLifeCycle,omitempty"`
}

func (b *backupState) emitRecoveryPoint(rp *recoveryPoint) {
	d := recoveryPointDetail{
		BackupVaultName: rp.vaultName, BackupVaultArn: rp.vaultArn, CreationDate: backupEventTime(rp.created),
		IamRoleArn: rp.iamRole, ResourceType: rp.resourceType, ResourceArn: rp.resourceArn,
		Status: string(rp.status), StatusMessage: rp.statusMessage, IsEncrypted: "true",
		StorageClass: string(rp.storageClass), CreatedBy: eventCreator(rp.creator),
	}
	if rp.status != backuptypes.RecoveryPointStatusStopped {
		d.CompletionDate = backupEventTime(rp.completed)
	}
	if l := rp.lifecycle; l != nil && (l.DeleteAfterDays != nil || l.MoveToColdStorageAfterDays != nil) {
		d.Lifecycle = &eventLifecycle{DeleteAfterDays: l.DeleteAfterDays, MoveToColdStorageAfterDays: l.MoveToColdStorageAfterDays}
	}
	if c := rp.calculated(); c != nil {
		d.CalculatedLifeCycle = &eventCalculatedLifecycle{}
		if c.DeleteAt != nil {
			d.CalculatedLifeCycle.DeleteAt = backupEventTime(*c.DeleteAt)
		}
		if c.MoveToColdStorageAt != nil {
			d.CalculatedLifeCycle.MoveToColdStorageAt = backupEventTime(*c.MoveToColdStorageAt)
		}
	}
	b.s.emitLocked(rp.region, backupSource, "Recovery Point State Change", []string{rp.arn}, d)
}

type vaultDetail struct {
	BackupVaultName string `json:"backupVaultName"`
	State           string `json:"state"`
	IsLocked        string `json:"isLocked,omitempty"`
}

// emitVault emits a Backup Vault State Change. The documented event carries
// only the vault's name, state and (for MODIFIED) isLocked; lock dates and
// retention bounds are read with DescribeBackupVault.
func (b *backupState) emitVault(v *backupVault, state string) {
	d := vaultDetail{BackupVaultName: v.name, State: state}
	if state == "MODIFIED" {
		d.IsLocked = strconv.FormatBool(v.lock != nil)
	}
	b.s.emitLocked(v.region, backupSource, "Backup Vault State Change", []string{v.arn}, d)
}
