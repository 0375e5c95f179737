package awssim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/health"
	healthtypes "github.com/aws/aws-sdk-go-v2/service/health/types"
)

// AWS Health: account-specific events the sim raises with controls, the
// Health API that reads them, and the "AWS Health Event" EventBridge
// events, shaped like the documented schema.
// https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html

// SupportPlan is the account's AWS Support plan. The Health API needs
// Business, Enterprise On-Ramp or Enterprise support; with Basic or
// Developer every call fails with SubscriptionRequiredException. Health
// events still reach EventBridge either way.
// https://docs.aws.amazon.com/health/latest/APIReference/Welcome.html
type SupportPlan string

// Support plans.
const (
	SupportBasic            SupportPlan = "BASIC"
	SupportDeveloper        SupportPlan = "DEVELOPER"
	SupportBusiness         SupportPlan = "BUSINESS"
	SupportEnterpriseOnRamp SupportPlan = "ENTERPRISE_ON_RAMP"
	SupportEnterprise       SupportPlan = "ENTERPRISE"
)

type healthState struct {
	s      *Sim
	plan   SupportPlan
	events []*healthEvent // in the order raised
}

type healthEvent struct {
	arn, service, typeCode, region, az, azID string
	status                                   healthtypes.EventStatusCode
	start, end, updated                      time.Time
	communicationID                          string
	entities                                 []healthEntity
}

type healthEntity struct {
	arn, value string
	status     healthtypes.EntityStatusCode
	updated    time.Time
}

func newHealthState(s *Sim) *healthState { return &healthState{s: s, plan: SupportBusiness} }

func (s *Sim) registerHealth() {
	h := s.health
	handle(s, ServiceHealth, "DescribeEvents", h.describeEvents)
	handle(s, ServiceHealth, "DescribeAffectedEntities", h.describeAffectedEntities)
	handle(s, ServiceHealth, "DescribeEventDetails", h.describeEventDetails)
}

func (h *healthState) reconcile() {}

func (h *healthState) busy() bool { return false }

// ---- exported controls ----

// SetSupportPlan sets the account's support plan (default
// SupportBusiness). With SupportBasic or SupportDeveloper every Health API
// call fails with SubscriptionRequiredException, as on AWS.
func (s *Sim) SetSupportPlan(p SupportPlan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health.plan = p
}

// RaiseAZIssue starts an account-specific operational issue of service
// (e.g. "EC2") in one Availability Zone: it impairs the AZ as ImpairAZ does,
// records an open Health event whose affected entities are the account's
// running instances in that AZ, and emits it as an "AWS Health
// Event" (eventTypeCategory issue, eventTypeCode
// AWS_<SERVICE>_OPERATIONAL_ISSUE, statusCode open) in the event's region.
// It returns the event's ARN, or "" (and does nothing) when the region or
// AZ does not exist.
func (s *Sim) RaiseAZIssue(region, az, service string) (eventArn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	if r == nil {
		return ""
	}
	zone, ok := r.az(az)
	if !ok {
		return ""
	}
	service = strings.ToUpper(service)
	code := "AWS_" + service + "_OPERATIONAL_ISSUE"
	now := s.now
	ev := &healthEvent{
		arn:     fmt.Sprintf("arn:aws:health:%s::event/%s/%s/%s_%s", region, service, code, code, s.uuid()),
		service: service, typeCode: code, region: region, az: az, azID: zone.ID,
		status: healthtypes.EventStatusCodeOpen, start: now, updated: now,
		communicationID: s.nextID("", 40) + "-1",
	}
	s.impairAZLocked(region, az)
	for _, id := range s.ec2.order {
		in := s.ec2.instances[id]
		if in.Region == region && in.AZ == az && in.State == ec2types.InstanceStateNameRunning {
			ev.entities = append(ev.entities, healthEntity{
				arn:   fmt.Sprintf("arn:aws:health:%s:%s:entity/%s", region, s.accountID, s.nextID("", 32)),
				value: in.ID, status: healthtypes.EntityStatusCodeImpaired, updated: now,
			})
		}
	}
	s.health.events = append(s.health.events, ev)
	s.health.emit(ev)
	return ev.arn
}

// CloseHealthEvent closes an event RaiseAZIssue opened: the event's status
// becomes closed with an end time, its entities RESOLVED, the AZ recovers
// (unless another open event still impairs it) and the same "AWS Health
// Event" is emitted again with statusCode closed. It fails for an unknown
// or already closed event.
func (s *Sim) CloseHealthEvent(eventArn string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.health.event(eventArn)
	if ev == nil {
		return fmt.Errorf("awssim: no Health event %s", eventArn)
	}
	if ev.status == healthtypes.EventStatusCodeClosed {
		return fmt.Errorf("awssim: Health event %s is already closed", eventArn)
	}
	now := s.now
	ev.status, ev.end, ev.updated = healthtypes.EventStatusCodeClosed, now, now
	for i := range ev.entities {
		ev.entities[i].status, ev.entities[i].updated = healthtypes.EntityStatusCodeResolved, now
	}
	stillOpen := slices.ContainsFunc(s.health.events, func(o *healthEvent) bool {
		return o.status == healthtypes.EventStatusCodeOpen && o.region == ev.region && o.az == ev.az
	})
	if !stillOpen {
		s.recoverAZLocked(ev.region, ev.az)
	}
	s.health.emit(ev)
	return nil
}

func (h *healthState) event(arn string) *healthEvent {
	for _, ev := range h.events {
		if ev.arn == arn {
			return ev
		}
	}
	return nil
}

// ---- EventBridge ----

// healthTime is the time format of Health events in EventBridge: RFC 1123
// with GMT, e.g. "Wed, 04 Mar 2026 09:14:05 GMT".
func healthTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

type healthDescription struct {
	Language          string `json:"language"`
	LatestDescription string `json:"latestDescription"`
}

type healthEntityDetail struct {
	EntityValue     string `json:"entityValue"`
	LastUpdatedTime string `json:"lastUpdatedTime"`
	Status          string `json:"status"`
}

type healthDetail struct {
	EventArn          string               `json:"eventArn"`
	Service           string               `json:"service"`
	EventTypeCode     string               `json:"eventTypeCode"`
	EventTypeCategory string               `json:"eventTypeCategory"`
	EventScopeCode    string               `json:"eventScopeCode"`
	CommunicationID   string               `json:"communicationId"`
	StartTime         string               `json:"startTime"`
	EndTime           string               `json:"endTime,omitempty"`
	LastUpdatedTime   string               `json:"lastUpdatedTime"`
	StatusCode        string               `json:"statusCode"`
	EventRegion       string               `json:"eventRegion"`
	EventDescription  []healthDescription  `json:"eventDescription"`
	AffectedEntities  []healthEntityDetail `json:"affectedEntities,omitempty"`
	Page              string               `json:"page"`
	TotalPages        string               `json:"totalPages"`
	BackupEvent       string               `json:"backupEvent"`
	AffectedAccount   string               `json:"affectedAccount"`
	Personas          []string             `json:"personas"`
}

// description is the event text. Health names the zone by its AZ ID,
// which is the same physical zone in every account; the account's AZ name
// comes from the API's availabilityZone field or from EC2.
func (ev *healthEvent) description() string {
	region := strings.ToUpper(ev.region)
	if ev.status == healthtypes.EventStatusCodeClosed {
		return fmt.Sprintf("[RESOLVED] Between %s and %s UTC, some %s resources in a single Availability Zone (%s) in the %s Region experienced connectivity issues and increased error rates. The issue has been resolved and the service is operating normally.",
			ev.start.UTC().Format("15:04"), ev.end.UTC().Format("15:04"), ev.service, ev.azID, region)
	}
	return fmt.Sprintf("We are investigating connectivity issues and increased error rates for some %s resources in a single Availability Zone (%s) in the %s Region. Your resources listed below may be affected.",
		ev.service, ev.azID, region)
}

func (h *healthState) emit(ev *healthEvent) {
	d := healthDetail{
		EventArn: ev.arn, Service: ev.service, EventTypeCode: ev.typeCode,
		EventTypeCategory: string(healthtypes.EventTypeCategoryIssue),
		EventScopeCode:    string(healthtypes.EventScopeCodeAccountSpecific),
		CommunicationID:   ev.communicationID,
		StartTime:         healthTime(ev.start), LastUpdatedTime: healthTime(ev.updated),
		StatusCode: string(ev.status), EventRegion: ev.region,
		EventDescription: []healthDescription{{Language: "en_US", LatestDescription: ev.description()}},
		Page:             "1", TotalPages: "1", BackupEvent: "false",
		AffectedAccount: h.s.accountID, Personas: []string{string(healthtypes.EventPersonaOperations)},
	}
	if !ev.end.IsZero() {
		d.EndTime = healthTime(ev.end)
	}
	var resources []string
	for _, e := range ev.entities {
		d.AffectedEntities = append(d.AffectedEntities, healthEntityDetail{EntityValue: e.value, LastUpdatedTime: healthTime(e.updated), Status: string(e.status)})
		resources = append(resources, e.value)
	}
	h.s.emitLocked(ev.region, "aws.health", "AWS Health Event", resources, d)
}

// ---- API ----

// subscription refuses accounts without a Business or Enterprise plan.
func (h *healthState) subscription() error {
	switch h.plan {
	case SupportBusiness, SupportEnterpriseOnRamp, SupportEnterprise:
		return nil
	}
	return apiError(http.StatusBadRequest, "SubscriptionRequiredException", "The AWS Premium Support Subscription is required to use this service.")
}

func checkLocale(locale *string) error {
	if l := aws.ToString(locale); l != "" && l != "en" && l != "en_US" {
		return &healthtypes.UnsupportedLocale{Message: aws.String("awssim serves Health events in English only: " + l)}
	}
	return nil
}

func inRanges(t time.Time, ranges []healthtypes.DateTimeRange) bool {
	if len(ranges) == 0 {
		return true
	}
	if t.IsZero() {
		return false
	}
	for _, r := range ranges {
		if (r.From == nil || !t.Before(*r.From)) && (r.To == nil || !t.After(*r.To)) {
			return true
		}
	}
	return false
}

func (ev *healthEvent) api() healthtypes.Event {
	out := healthtypes.Event{
		Arn: aws.String(ev.arn), Service: aws.String(ev.service), EventTypeCode: aws.String(ev.typeCode),
		EventTypeCategory: healthtypes.EventTypeCategoryIssue, EventScopeCode: healthtypes.EventScopeCodeAccountSpecific,
		Region: aws.String(ev.region), AvailabilityZone: aws.String(ev.az),
		StartTime: aws.Time(ev.start), LastUpdatedTime: aws.Time(ev.updated), StatusCode: ev.status,
		Personas: []healthtypes.EventPersona{healthtypes.EventPersonaOperations},
	}
	if !ev.end.IsZero() {
		out.EndTime = aws.Time(ev.end)
	}
	return out
}

// DescribeEvents filters events and sorts them by last update, newest
// first. MaxResults is 10–100.
// https://docs.aws.amazon.com/health/latest/APIReference/API_DescribeEvents.html
// https://docs.aws.amazon.com/health/latest/APIReference/API_EventFilter.html
func (h *healthState) describeEvents(_ *Region, in *health.DescribeEventsInput) (*health.DescribeEventsOutput, error) {
	if err := h.subscription(); err != nil {
		return nil, err
	}
	if err := checkLocale(in.Locale); err != nil {
		return nil, err
	}
	f := in.Filter
	if f == nil {
		f = &healthtypes.EventFilter{}
	}
	if len(f.Tags) > 0 {
		return nil, apiError(http.StatusBadRequest, "ValidationException", "awssim does not model entity tags in Health event filters")
	}
	var matched []*healthEvent
	for _, ev := range h.events {
		entityValues := make([]string, 0, len(ev.entities))
		entityARNs := make([]string, 0, len(ev.entities))
		for _, e := range ev.entities {
			entityValues = append(entityValues, e.value)
			entityARNs = append(entityARNs, e.arn)
		}
		if !matchAny(f.EventArns, ev.arn) || !matchAny(f.Services, ev.service) || !matchAny(f.EventTypeCodes, ev.typeCode) ||
			!matchAny(f.Regions, ev.region) || !matchAny(f.AvailabilityZones, ev.az) ||
			!matchAnyOf(f.EventStatusCodes, ev.status) || !matchAnyOf(f.EventTypeCategories, healthtypes.EventTypeCategoryIssue) ||
			!matchAnyOf(f.Personas, healthtypes.EventPersonaOperations) ||
			(len(f.EntityValues) > 0 && !slices.ContainsFunc(f.EntityValues, func(v string) bool { return slices.Contains(entityValues, v) })) ||
			(len(f.EntityArns) > 0 && !slices.ContainsFunc(f.EntityArns, func(v string) bool { return slices.Contains(entityARNs, v) })) ||
			!inRanges(ev.start, f.StartTimes) || !inRanges(ev.end, f.EndTimes) || !inRanges(ev.updated, f.LastUpdatedTimes) {
			continue
		}
		matched = append(matched, ev)
	}
	slices.SortStableFunc(matched, func(a, b *healthEvent) int { return b.updated.Compare(a.updated) })
	events := make([]healthtypes.Event, len(matched))
	for i, ev := range matched {
		events[i] = ev.api()
	}
	if in.MaxResults != nil && (*in.MaxResults < 10 || *in.MaxResults > 100) {
		return nil, apiError(http.StatusBadRequest, "ValidationException", "maxResults must be between 10 and 100")
	}
	pg, next, err := page(events, in.MaxResults, in.NextToken, 100, 100, "InvalidPaginationToken")
	if err != nil {
		return nil, err
	}
	return &health.DescribeEventsOutput{Events: pg, NextToken: next}, nil
}

func matchAny(want []string, have string) bool { return len(want) == 0 || slices.Contains(want, have) }

func matchAnyOf[T comparable](want []T, have T) bool {
	return len(want) == 0 || slices.Contains(want, have)
}

// DescribeAffectedEntities lists the entities of the given events.
// https://docs.aws.amazon.com/health/latest/APIReference/API_DescribeAffectedEntities.html
func (h *healthState) describeAffectedEntities(_ *Region, in *health.DescribeAffectedEntitiesInput) (*health.DescribeAffectedEntitiesOutput, error) {
	if err := h.subscription(); err != nil {
		return nil, err
	}
	if err := checkLocale(in.Locale); err != nil {
		return nil, err
	}
	f := in.Filter
	if len(f.Tags) > 0 {
		return nil, apiError(http.StatusBadRequest, "ValidationException", "awssim does not model entity tags in Health entity filters")
	}
	var entities []healthtypes.AffectedEntity
	for _, arn := range f.EventArns {
		ev := h.event(arn)
		if ev == nil {
			continue
		}
		for _, e := range ev.entities {
			if !matchAny(f.EntityValues, e.value) || !matchAny(f.EntityArns, e.arn) || !matchAnyOf(f.StatusCodes, e.status) ||
				!inRanges(e.updated, f.LastUpdatedTimes) {
				continue
			}
			entities = append(entities, healthtypes.AffectedEntity{
				EntityArn: aws.String(e.arn), EventArn: aws.String(ev.arn), EntityValue: aws.String(e.value),
				AwsAccountId: aws.String(h.s.accountID), LastUpdatedTime: aws.Time(e.updated), StatusCode: e.status,
			})
		}
	}
	if in.MaxResults != nil && (*in.MaxResults < 10 || *in.MaxResults > 100) {
		return nil, apiError(http.StatusBadRequest, "ValidationException", "maxResults must be between 10 and 100")
	}
	pg, next, err := page(entities, in.MaxResults, in.NextToken, 100, 100, "InvalidPaginationToken")
	if err != nil {
		return nil, err
	}
	return &health.DescribeAffectedEntitiesOutput{Entities: pg, NextToken: next}, nil
}

// DescribeEventDetails returns the description of up to 10 events; an
// unknown ARN goes to the failed set.
// https://docs.aws.amazon.com/health/latest/APIReference/API_DescribeEventDetails.html
func (h *healthState) describeEventDetails(_ *Region, in *health.DescribeEventDetailsInput) (*health.DescribeEventDetailsOutput, error) {
	if err := h.subscription(); err != nil {
		return nil, err
	}
	if err := checkLocale(in.Locale); err != nil {
		return nil, err
	}
	if len(in.EventArns) > 10 {
		return nil, apiError(http.StatusBadRequest, "ValidationException", "eventArns must contain between 1 and 10 items")
	}
	out := &health.DescribeEventDetailsOutput{SuccessfulSet: []healthtypes.EventDetails{}, FailedSet: []healthtypes.EventDetailsErrorItem{}}
	for _, arn := range in.EventArns {
		ev := h.event(arn)
		if ev == nil {
			out.FailedSet = append(out.FailedSet, healthtypes.EventDetailsErrorItem{
				EventArn: aws.String(arn), ErrorName: aws.String("UnknownEventArn"), ErrorMessage: aws.String("No event found for this ARN"),
			})
			continue
		}
		e := ev.api()
		out.SuccessfulSet = append(out.SuccessfulSet, healthtypes.EventDetails{
			Event:            &e,
			EventDescription: &healthtypes.EventDescription{LatestDescription: aws.String(ev.description())},
			EventMetadata:    map[string]string{},
		})
	}
	return out, nil
}
