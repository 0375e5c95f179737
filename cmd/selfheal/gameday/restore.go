package gameday

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/shared/awssim"
)

// Restore testing, plans changing and databases losing their automated
// backups, on the simulated account: seeding, steps and expectations.

// seedTableData writes a table's items and sets the data it holds.
func (a *account) seedTableData(ctx context.Context, t scenario.Table) error {
	client := dynamodb.NewFromConfig(a.sim.Config(t.Region))
	for i := range t.Items {
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: map[string]ddbtypes.AttributeValue{
			"id": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("%s-%04d", t.Name, i)},
		}}); err != nil {
			return fmt.Errorf("write item %d of table %s: %w", i, t.Name, err)
		}
	}
	if t.SizeGiB > 0 {
		return a.sim.SetDynamoDBTableData(t.Region, t.Name, int64(t.SizeGiB)<<30, 0)
	}
	return nil
}

// seedRestoreTestingPlan creates a restore testing plan restoring the
// latest snapshot of each resource it names, one selection per type.
func (a *account) seedRestoreTestingPlan(ctx context.Context, p scenario.RestoreTestingPlan) error {
	client := backup.NewFromConfig(a.sim.Config(p.Region))
	if _, err := client.CreateRestoreTestingPlan(ctx, &backup.CreateRestoreTestingPlanInput{RestoreTestingPlan: &backuptypes.RestoreTestingPlanForCreate{
		RestoreTestingPlanName: aws.String(p.Name), ScheduleExpression: aws.String(p.Schedule),
		RecoveryPointSelection: &backuptypes.RestoreTestingRecoveryPointSelection{
			Algorithm: backuptypes.RestoreTestingRecoveryPointSelectionAlgorithmLatestWithinWindow, IncludeVaults: []string{"*"},
			RecoveryPointTypes: []backuptypes.RestoreTestingRecoveryPointType{backuptypes.RestoreTestingRecoveryPointTypeSnapshot},
		},
	}}); err != nil {
		return fmt.Errorf("create restore testing plan %s: %w", p.Name, err)
	}
	for _, sel := range []struct {
		typ, kind string
		names     []string
	}{{"DynamoDB", "table", p.Tables}, {"RDS", "dbInstance", p.DBInstances}, {"Aurora", "dbCluster", p.DBClusters}} {
		if len(sel.names) == 0 {
			continue
		}
		var arns []string
		for _, n := range sel.names {
			arns = append(arns, a.arns[sel.kind+" "+key(p.Region, n)])
		}
		if _, err := client.CreateRestoreTestingSelection(ctx, &backup.CreateRestoreTestingSelectionInput{
			RestoreTestingPlanName: aws.String(p.Name),
			RestoreTestingSelection: &backuptypes.RestoreTestingSelectionForCreate{
				RestoreTestingSelectionName: aws.String(strings.ToLower(sel.typ) + "_resources"), ProtectedResourceType: aws.String(sel.typ),
				IamRoleArn:            aws.String(fmt.Sprintf("arn:aws:iam::%s:role/service-role/AWSBackupDefaultServiceRole", a.sim.AccountID())),
				ProtectedResourceArns: arns, ValidationWindowHours: aws.Int32(int32(p.ValidationWindowHours)),
			},
		}); err != nil {
			return fmt.Errorf("select the %s resources of restore testing plan %s: %w", sel.typ, p.Name, err)
		}
	}
	return nil
}

// planRules turns a scenario's rules into AWS Backup's.
func (a *account) planRules(rules []scenario.Rule) []backuptypes.BackupRuleInput {
	var out []backuptypes.BackupRuleInput
	for _, r := range rules {
		rule := backuptypes.BackupRuleInput{
			RuleName: aws.String(r.Name), TargetBackupVaultName: aws.String(r.Vault),
			EnableContinuousBackup: aws.Bool(r.Continuous),
		}
		if r.Schedule != "" {
			rule.ScheduleExpression = aws.String(r.Schedule)
		}
		if r.DeleteAfterDays > 0 {
			rule.Lifecycle = &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(int64(r.DeleteAfterDays))}
		}
		for _, c := range r.Copies {
			ca := backuptypes.CopyAction{DestinationBackupVaultArn: aws.String(a.vaultARNs[key(c.Region, c.Vault)])}
			if c.DeleteAfterDays > 0 {
				ca.Lifecycle = &backuptypes.Lifecycle{DeleteAfterDays: aws.Int64(int64(c.DeleteAfterDays))}
			}
			rule.CopyActions = append(rule.CopyActions, ca)
		}
		out = append(out, rule)
	}
	return out
}

// restoreStep applies the steps of this file.
func (in *account) restoreStep(ctx context.Context, act scenario.Action) (string, error) {
	switch a := act.(type) {
	case scenario.RunRestoreTest:
		ids, err := in.sim.RunRestoreTestingPlan(a.Region, a.Plan)
		return fmt.Sprintf("restore testing plan %s runs now: %d restore jobs", a.Plan, len(ids)), err
	case scenario.FailRestore:
		_, err := in.sim.InjectRestoreFault(awssim.RestoreFault{
			ResourceArn: in.resourceARN(a.Resource), Mode: awssim.RestoreFaultMode(a.Mode), Message: a.Message, Delay: a.Delay, Count: a.Count,
		})
		return fmt.Sprintf("the next restore of %s will %s", orAny(a.Resource.Name), map[string]string{
			"FAIL": "fail", "ABORT": "be stopped", "BROKEN": "restore something unusable", "SLOW": "take " + a.Delay.String() + " longer",
		}[a.Mode]), err
	case scenario.GrowTable:
		return fmt.Sprintf("table %s now holds %d GiB", a.Table, a.SizeGiB), in.sim.SetDynamoDBTableData(a.Region, a.Table, int64(a.SizeGiB)<<30, 0)
	case scenario.EditPlan:
		_, err := backup.NewFromConfig(in.sim.Config(a.Region)).UpdateBackupPlan(ctx, &backup.UpdateBackupPlanInput{
			BackupPlanId: aws.String(in.arns["plan "+key(a.Region, a.Plan)]),
			BackupPlan:   &backuptypes.BackupPlanInput{BackupPlanName: aws.String(a.Plan), Rules: in.planRules(a.Rules)},
		})
		return fmt.Sprintf("backup plan %s edited: %s", a.Plan, describeRules(a.Rules)), err
	case scenario.DeletePlan:
		return "backup plan " + a.Plan + " deleted", in.deletePlan(ctx, a)
	case scenario.SetBackupRetention:
		_, err := rds.NewFromConfig(in.sim.Config(a.Region)).ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String(a.ID), BackupRetentionPeriod: aws.Int32(int32(a.Days)), ApplyImmediately: aws.Bool(true),
		})
		return fmt.Sprintf("backup retention of %s set to %d days", a.ID, a.Days), err
	}
	return "", fmt.Errorf("gameday: unknown step %T", act)
}

func describeRules(rules []scenario.Rule) string {
	var parts []string
	for _, r := range rules {
		s := "rule " + r.Name + " into " + r.Vault
		if len(r.Copies) == 0 {
			s += ", no copy"
		}
		for _, c := range r.Copies {
			s += ", copy to " + c.Vault + " (" + c.Region + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// deletePlan removes a plan's selections, then the plan, as AWS Backup
// requires.
func (in *account) deletePlan(ctx context.Context, a scenario.DeletePlan) error {
	client := backup.NewFromConfig(in.sim.Config(a.Region))
	id := aws.String(in.arns["plan "+key(a.Region, a.Plan)])
	sels, err := client.ListBackupSelections(ctx, &backup.ListBackupSelectionsInput{BackupPlanId: id})
	if err != nil {
		return err
	}
	for _, s := range sels.BackupSelectionsList {
		if _, err := client.DeleteBackupSelection(ctx, &backup.DeleteBackupSelectionInput{BackupPlanId: id, SelectionId: s.SelectionId}); err != nil {
			return err
		}
	}
	_, err = client.DeleteBackupPlan(ctx, &backup.DeleteBackupPlanInput{BackupPlanId: id})
	return err
}

// checkRestoreTest checks the validation result put for the last restore
// test of a resource.
func (r *runner) checkRestoreTest(ctx context.Context, e scenario.RestoreTestExpect, add adder) {
	hub := r.w.accounts[0]
	arn := hub.resourceARN(e.Resource)
	out, err := backup.NewFromConfig(hub.sim.Config(e.Resource.Region)).ListRestoreJobs(ctx, &backup.ListRestoreJobsInput{})
	if err != nil {
		add(e.Path, false, "list restore jobs: %v", err)
		return
	}
	var jobs []backuptypes.RestoreJobsListMember
	for _, j := range out.RestoreJobs {
		if aws.ToString(j.SourceResourceArn) == arn {
			jobs = append(jobs, j)
		}
	}
	if len(jobs) == 0 || len(jobs) < e.AtLeast {
		add(e.Path, false, "%d restore tests of %s, want at least %d", len(jobs), e.Resource.Name, max(e.AtLeast, 1))
		return
	}
	last := jobs[len(jobs)-1]
	got := string(last.ValidationStatus)
	if got == "" || got == string(backuptypes.RestoreValidationStatusTimedOut) {
		got = "NONE"
	}
	add(e.Path, got == e.Validation, "last restore test of %s (%s, %s): validation %s, want %s%s",
		e.Resource.Name, aws.ToString(last.RestoreJobId), last.Status, got, e.Validation, quoted(aws.ToString(last.ValidationStatusMessage)))
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", s)
}
