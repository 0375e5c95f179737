package eventbridge

import "github.com/aws/aws-lambda-go/events"

// KindScheduled is an EventBridge schedule firing: what starts the
// compliance sweep.
var KindScheduled = Kind{"aws.events", "Scheduled Event"}

// ScheduledEvent is the detail of an aws.events "Scheduled Event", which is
// always empty; the rule that fired is the envelope's first resource.
//
// Shape: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
type ScheduledEvent struct {
	Rule string
}

func decodeScheduled(env *events.EventBridgeEvent, _ object) any {
	return &ScheduledEvent{Rule: firstResource(env)}
}
