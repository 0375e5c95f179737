package awssim

import (
	"encoding/base64"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
)

// Backup plans changing: edited (UpdateBackupPlan: a new version),
// unassigned (DeleteBackupSelection) and deleted (DeleteBackupPlan), each
// emitting its Backup Plan State Change as AWS Backup does. A deleted plan
// stops running and leaves ListBackupPlans, but GetBackupPlan still
// describes it, with its DeletionDate.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetBackupPlan.html#Backup-GetBackupPlan-response-DeletionDate

func (s *Sim) registerBackupPlanChanges() {
	b := s.backup
	handle(s, ServiceBackup, "UpdateBackupPlan", b.updateBackupPlan)
	handle(s, ServiceBackup, "DeleteBackupSelection", b.deleteBackupSelection)
	handle(s, ServiceBackup, "DeleteBackupPlan", b.deleteBackupPlan)
}

// livePlan is a plan that can still be changed: not deleted.
func (b *backupState) livePlan(r *Region, id string) (*backupPlan, error) {
	p, err := b.plan(id, r)
	if err == nil && !p.deleted.IsZero() {
		err = backupErrNotFound("Backup plan %s was deleted", id)
	}
	return p, err
}

// UpdateBackupPlan replaces a plan's rules (validated like new ones) and
// gives it a new version; rules keep their ids where their names stay.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateBackupPlan.html
func (b *backupState) updateBackupPlan(r *Region, in *backup.UpdateBackupPlanInput) (*backup.UpdateBackupPlanOutput, error) {
	p, err := b.livePlan(r, aws.ToString(in.BackupPlanId))
	if err != nil {
		return nil, err
	}
	if in.BackupPlan == nil || len(in.BackupPlan.Rules) == 0 {
		return nil, backupErrInvalidParam("A backup plan needs at least one rule")
	}
	if len(in.BackupPlan.AdvancedBackupSettings) > 0 || len(in.BackupPlan.ScanSettings) > 0 {
		return nil, backupErrInvalidParam("awssim does not model AdvancedBackupSettings or ScanSettings")
	}
	if name := aws.ToString(in.BackupPlan.BackupPlanName); name != p.name {
		return nil, backupErrInvalidParam("A backup plan's name cannot change (%s to %s)", p.name, name)
	}
	var rules []*backupRule
	seen := map[string]bool{}
	for _, ri := range in.BackupPlan.Rules {
		rule, err := b.newRule(ri)
		if err != nil {
			return nil, err
		}
		if seen[rule.name] {
			return nil, backupErrInvalidParam("Rule names must be unique within a plan: %s", rule.name)
		}
		seen[rule.name] = true
		if i := slices.IndexFunc(p.rules, func(old *backupRule) bool { return old.name == rule.name }); i >= 0 {
			rule.id = p.rules[i].id
		}
		rule.next = rule.schedule.next(b.s.now)
		rules = append(rules, rule)
	}
	p.rules = rules
	p.version = base64.StdEncoding.EncodeToString([]byte(b.s.uuid()))
	b.emitPlan(p, "MODIFIED")
	return &backup.UpdateBackupPlanOutput{
		BackupPlanArn: aws.String(p.arn), BackupPlanId: aws.String(p.id), CreationDate: aws.Time(p.created), VersionId: aws.String(p.version),
	}, nil
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupSelection.html
func (b *backupState) deleteBackupSelection(r *Region, in *backup.DeleteBackupSelectionInput) (*backup.DeleteBackupSelectionOutput, error) {
	p, err := b.livePlan(r, aws.ToString(in.BackupPlanId))
	if err != nil {
		return nil, err
	}
	id := aws.ToString(in.SelectionId)
	i := slices.IndexFunc(p.selections, func(s *backupSelection) bool { return s.id == id })
	if i < 0 {
		return nil, backupErrNotFound("Backup selection %s not found in plan %s", id, p.id)
	}
	p.selections = slices.Delete(p.selections, i, i+1)
	return &backup.DeleteBackupSelectionOutput{}, nil
}

// DeleteBackupPlan deletes a plan without selections: "A backup plan can
// only be deleted after all associated selections of resources have been
// deleted."
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupPlan.html
func (b *backupState) deleteBackupPlan(r *Region, in *backup.DeleteBackupPlanInput) (*backup.DeleteBackupPlanOutput, error) {
	p, err := b.livePlan(r, aws.ToString(in.BackupPlanId))
	if err != nil {
		return nil, err
	}
	if len(p.selections) > 0 {
		return nil, backupErrInvalidRequest("Related backup plan selections must be deleted prior to backup plan deletion")
	}
	p.deleted = b.s.now
	b.emitPlan(p, "DELETED")
	return &backup.DeleteBackupPlanOutput{
		BackupPlanArn: aws.String(p.arn), BackupPlanId: aws.String(p.id), DeletionDate: aws.Time(p.deleted), VersionId: aws.String(p.version),
	}, nil
}

type planDetail struct {
	BackupPlanID string `json:"backupPlanId"`
	VersionID    string `json:"versionId"`
	CreationDate string `json:"creationDate,omitempty"`
	ModifiedAt   string `json:"modifiedAt,omitempty"`
	DeletionDate string `json:"deletionDate,omitempty"`
	State        string `json:"state"`
}

// emitPlan emits a Backup Plan State Change: the documented events carry
// the plan's id, version, state and the time of the change only.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html#aws-backup-events-backup-plan
func (b *backupState) emitPlan(p *backupPlan, state string) {
	d := planDetail{BackupPlanID: p.id, VersionID: p.version, State: state}
	at := backupEventTime(b.s.now)
	switch state {
	case "CREATED":
		d.CreationDate = at
	case "MODIFIED":
		d.ModifiedAt = at
	case "DELETED":
		d.DeletionDate = at
	}
	b.s.emitLocked(p.region, backupSource, "Backup Plan State Change", []string{p.arn}, d)
}
