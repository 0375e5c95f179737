package eventbridge

import (
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// BackupPlanStateChange is the detail of an aws.backup "Backup Plan State
// Change". The documented events carry the plan's id, version and state
// and the time of the change: its rules are read with GetBackupPlan.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html#aws-backup-events-backup-plan
type BackupPlanStateChange struct {
	BackupPlanID string
	// BackupPlanARN is the event's first resource.
	BackupPlanARN string
	VersionID     string
	State         PlanState
	// When is creationDate (CREATED), modifiedAt (MODIFIED) or
	// deletionDate (DELETED), whichever the event has.
	When time.Time
}

// PlanState is a backup plan event's state.
type PlanState string

const (
	PlanCreated  PlanState = "CREATED"
	PlanModified PlanState = "MODIFIED"
	PlanDeleted  PlanState = "DELETED"
)

func decodeBackupPlan(env *events.EventBridgeEvent, d object) any {
	p := &BackupPlanStateChange{
		BackupPlanID:  d.RequiredString("backupPlanId"),
		BackupPlanARN: firstResource(env),
		VersionID:     d.String("versionId"),
		State:         PlanState(d.RequiredString("state")),
	}
	for _, k := range []string{"creationDate", "modifiedAt", "deletionDate"} {
		if t := d.Time(k); !t.IsZero() {
			p.When = t
			break
		}
	}
	return p
}
