package awssim

// RDS DB Instance Events the sim emits: automated backups of an instance
// turned off (RDS-EVENT-0028) or on (RDS-EVENT-0032), "configuration
// change" events of the RDS event catalogue, shaped like the documented
// samples (capitalised keys, SourceArn, SourceIdentifier, EventID).
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html#USER_Events.Messages.instance
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-cloudwatch-events.sample.html

type rdsEventDetail struct {
	EventCategories  []string `json:"EventCategories"`
	SourceType       string   `json:"SourceType"`
	SourceArn        string   `json:"SourceArn"`
	Date             string   `json:"Date"`
	Message          string   `json:"Message"`
	SourceIdentifier string   `json:"SourceIdentifier"`
	EventID          string   `json:"EventID"`
}

// applyRetention sets an instance's backup retention, emitting the event
// RDS sends when that turns its automated backups off or on.
func (x *rdsState) applyRetention(in *rdsInstance, days int32) {
	wasOn := in.backups.retention > 0
	in.backups.setRetention(days, x.s.now)
	switch isOn := days > 0; {
	case wasOn && !isOn:
		x.emitInstance(in, "RDS-EVENT-0028", "Disabled automated backups.")
	case !wasOn && isOn:
		x.emitInstance(in, "RDS-EVENT-0032", "Enabled automated backups.")
	}
}

func (x *rdsState) emitInstance(in *rdsInstance, id, message string) {
	x.s.emitLocked(in.region, "aws.rds", "RDS DB Instance Event", []string{in.arn}, rdsEventDetail{
		EventCategories: []string{"configuration change"}, SourceType: "DB_INSTANCE", SourceArn: in.arn,
		Date: x.s.now.UTC().Format("2006-01-02T15:04:05.000Z"), Message: message, SourceIdentifier: in.id, EventID: id,
	})
}
