package eventbridge

import (
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// HealthEvent is the detail of an aws.health "AWS Health Event".
//
// Fields follow the AWS Health EventBridge schema:
// https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html
type HealthEvent struct {
	// EventARN identifies the Health event in its Region; the open, updated
	// and closed notifications of one event share it. It is not unique
	// across accounts.
	EventARN          string
	Service           string // e.g. "EC2"
	EventTypeCode     string // e.g. "AWS_EC2_OPERATIONAL_ISSUE"
	EventTypeCategory HealthEventCategory
	EventScopeCode    HealthEventScope
	// CommunicationID identifies this message; pages of one message share
	// it with a "-<page>" suffix.
	CommunicationID string
	StatusCode      HealthStatusCode
	StartTime       time.Time
	EndTime         time.Time // zero while the event is not over
	LastUpdatedTime time.Time
	// EventRegion is the Region the event is about (the envelope's region
	// is only where it was delivered).
	EventRegion string
	// AvailabilityZone is the Health API's Event.availabilityZone. The
	// EventBridge schema does not document it, so it is usually empty:
	// resolve the affected instances' zones with EC2 instead.
	AvailabilityZone string
	Descriptions     []HealthDescription
	AffectedEntities []HealthAffectedEntity
	// Metadata is eventMetadata, whose keys depend on the service.
	Metadata        map[string]string
	AffectedAccount string
	Page            int64
	TotalPages      int64
	// BackupEvent marks a copy sent from the partition's backup Region.
	BackupEvent bool
}

// HealthDescription is one language's description of the event.
type HealthDescription struct {
	Language          string
	LatestDescription string
}

// HealthAffectedEntity is one resource the event affects.
type HealthAffectedEntity struct {
	// EntityValue is the resource: an ID ("i-0abc…") or an ARN.
	EntityValue     string
	Status          HealthEntityStatus
	LastUpdatedTime time.Time
	// Tags are the API's AffectedEntity.tags, when the event carries them.
	Tags map[string]string
}

// HealthEventCategory is detail.eventTypeCategory.
type HealthEventCategory string

const (
	HealthCategoryIssue               HealthEventCategory = "issue"
	HealthCategoryAccountNotification HealthEventCategory = "accountNotification"
	HealthCategoryScheduledChange     HealthEventCategory = "scheduledChange"
	HealthCategoryInvestigation       HealthEventCategory = "investigation"
)

// HealthEventScope is detail.eventScopeCode.
type HealthEventScope string

const (
	HealthScopePublic          HealthEventScope = "PUBLIC"
	HealthScopeAccountSpecific HealthEventScope = "ACCOUNT_SPECIFIC"
	HealthScopeNone            HealthEventScope = "NONE"
)

// HealthStatusCode is detail.statusCode.
type HealthStatusCode string

const (
	HealthStatusOpen     HealthStatusCode = "open"
	HealthStatusUpcoming HealthStatusCode = "upcoming"
	HealthStatusClosed   HealthStatusCode = "closed"
)

// HealthEntityStatus is an affected entity's status.
type HealthEntityStatus string

const (
	HealthEntityImpaired   HealthEntityStatus = "IMPAIRED"
	HealthEntityUnimpaired HealthEntityStatus = "UNIMPAIRED"
	HealthEntityPending    HealthEntityStatus = "PENDING"
	HealthEntityResolved   HealthEntityStatus = "RESOLVED"
	HealthEntityUnknown    HealthEntityStatus = "UNKNOWN"
)

// InstanceIDs returns the distinct EC2 instance IDs among the affected
// entities, whether an entity names the instance by ID or by ARN, in the
// order they appear.
func (h *HealthEvent) InstanceIDs() []string {
	var ids []string
	seen := map[string]bool{}
	for _, e := range h.AffectedEntities {
		id := e.EntityValue
		if strings.HasPrefix(id, "arn:") {
			_, id, _ = strings.Cut(id, ":instance/")
		}
		if !strings.HasPrefix(id, "i-") || len(id) < 3 || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}

func decodeHealth(_ *events.EventBridgeEvent, d object) any {
	h := &HealthEvent{
		EventARN:          d.RequiredString("eventArn"),
		Service:           d.RequiredString("service"),
		EventTypeCode:     d.RequiredString("eventTypeCode"),
		EventTypeCategory: HealthEventCategory(d.RequiredString("eventTypeCategory")),
		EventScopeCode:    HealthEventScope(d.String("eventScopeCode")),
		CommunicationID:   d.String("communicationId"),
		StatusCode:        HealthStatusCode(d.RequiredString("statusCode")),
		StartTime:         d.Time("startTime"),
		EndTime:           d.Time("endTime"),
		LastUpdatedTime:   d.Time("lastUpdatedTime"),
		EventRegion:       d.String("eventRegion"),
		AvailabilityZone:  d.String("availabilityZone"),
		Metadata:          d.StringMap("eventMetadata"),
		AffectedAccount:   d.String("affectedAccount"),
		Page:              d.Int("page"),
		TotalPages:        d.Int("totalPages"),
		BackupEvent:       d.Bool("backupEvent"),
	}
	for _, desc := range d.Objects("eventDescription") {
		h.Descriptions = append(h.Descriptions, HealthDescription{
			Language:          desc.String("language"),
			LatestDescription: desc.String("latestDescription"),
		})
	}
	for _, e := range d.Objects("affectedEntities") {
		h.AffectedEntities = append(h.AffectedEntities, HealthAffectedEntity{
			EntityValue:     e.String("entityValue"),
			Status:          HealthEntityStatus(e.String("status")),
			LastUpdatedTime: e.Time("lastUpdatedTime"),
			Tags:            e.StringMap("tags"),
		})
	}
	return h
}
