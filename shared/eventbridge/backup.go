package eventbridge

import "strings"

// What the four AWS Backup kinds share. Shapes:
// https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html

// BackupCreatedBy says which backup plan and rule started a job or made a
// recovery point. It is zero for on-demand jobs.
type BackupCreatedBy struct {
	BackupPlanID      string
	BackupPlanARN     string
	BackupPlanVersion string
	// BackupRuleID is createdBy.backupPlanRuleId in job and recovery point
	// events and createdBy.backupRuleId in others (and in the API).
	BackupRuleID string
}

func backupCreatedBy(c object) BackupCreatedBy {
	rule := c.String("backupPlanRuleId")
	if rule == "" {
		rule = c.String("backupRuleId")
	}
	return BackupCreatedBy{
		BackupPlanID:      c.String("backupPlanId"),
		BackupPlanARN:     c.String("backupPlanArn"),
		BackupPlanVersion: c.String("backupPlanVersion"),
		BackupRuleID:      rule,
	}
}

// statusMessage drops the literal double quotes AWS Backup wraps some
// status messages in ("\"Backup job was stopped by user.\"").
func statusMessage(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// arnRegion returns the Region field of an ARN, or "".
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}
