package eventbridge

import (
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// RDSInstanceEvent is the detail of an aws.rds "RDS DB Instance Event": one
// event of the RDS event catalogue about a DB instance, named by EventID.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-cloudwatch-events.sample.html
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html
type RDSInstanceEvent struct {
	// EventID is the catalogue's id, e.g. RDS-EVENT-0028; older events
	// have none and only a Message.
	EventID         string
	EventCategories []string // "backup", "configuration change", …
	SourceType      string   // DB_INSTANCE
	// SourceARN is detail.SourceArn or the event's first resource.
	SourceARN        string
	SourceIdentifier string // the DB instance identifier
	Message          string
	Date             time.Time
}

// RDS event ids the suite acts on: automated backups of a DB instance
// turned off or on ("configuration change" category). The catalogue has
// no event for a retention period changed between two non-zero values.
const (
	RDSEventBackupsDisabled = "RDS-EVENT-0028"
	RDSEventBackupsEnabled  = "RDS-EVENT-0032"
)

func decodeRDSInstance(env *events.EventBridgeEvent, d object) any {
	e := &RDSInstanceEvent{
		EventID:          d.String("EventID"),
		EventCategories:  d.Strings("EventCategories"),
		SourceType:       d.String("SourceType"),
		SourceARN:        d.String("SourceArn"),
		SourceIdentifier: d.String("SourceIdentifier"),
		Message:          d.String("Message"),
		Date:             d.Time("Date"),
	}
	if e.SourceARN == "" {
		e.SourceARN = firstResource(env)
	}
	if e.SourceARN == "" && e.SourceIdentifier == "" && d.r.err == nil {
		d.r.fail(d.sub("SourceArn"), "missing") // nothing names the database
	}
	return e
}
