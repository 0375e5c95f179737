package awssim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/health"
	healthtypes "github.com/aws/aws-sdk-go-v2/service/health/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

// healthEvent is the detail of an "AWS Health Event", with the field names
// of the documented schema and events/aws.health samples.
type healthEvent struct {
	EventArn          string `json:"eventArn"`
	Service           string `json:"service"`
	EventTypeCode     string `json:"eventTypeCode"`
	EventTypeCategory string `json:"eventTypeCategory"`
	EventScopeCode    string `json:"eventScopeCode"`
	StartTime         string `json:"startTime"`
	EndTime           string `json:"endTime"`
	LastUpdatedTime   string `json:"lastUpdatedTime"`
	StatusCode        string `json:"statusCode"`
	EventRegion       string `json:"eventRegion"`
	EventDescription  []struct {
		Language          string `json:"language"`
		LatestDescription string `json:"latestDescription"`
	} `json:"eventDescription"`
	AffectedEntities []struct {
		EntityValue     string `json:"entityValue"`
		LastUpdatedTime string `json:"lastUpdatedTime"`
		Status          string `json:"status"`
	} `json:"affectedEntities"`
	AffectedAccount string `json:"affectedAccount"`
}

func healthEvents(t *testing.T, sim *awssim.Sim) []healthEvent {
	t.Helper()
	var out []healthEvent
	for _, e := range sim.DrainEvents() {
		if e.Source != "aws.health" {
			continue
		}
		var env struct {
			DetailType string      `json:"detail-type"`
			Region     string      `json:"region"`
			Resources  []string    `json:"resources"`
			Detail     healthEvent `json:"detail"`
		}
		if err := json.Unmarshal(e.JSON, &env); err != nil {
			t.Fatal(err)
		}
		if env.DetailType != "AWS Health Event" || env.Region != env.Detail.EventRegion {
			t.Errorf("envelope: detail-type %q region %q, want AWS Health Event in %s", env.DetailType, env.Region, env.Detail.EventRegion)
		}
		var entities []string
		for _, ent := range env.Detail.AffectedEntities {
			entities = append(entities, ent.EntityValue)
		}
		if !slices.Equal(env.Resources, entities) {
			t.Errorf("resources %v, want the affected instances %v", env.Resources, entities)
		}
		out = append(out, env.Detail)
	}
	return out
}

func TestHealthAZIssueRoundTrip(t *testing.T) {
	sim := awssim.New()
	ctx := context.Background()
	var inA []string
	for _, az := range []string{"us-east-1a", "us-east-1b", "us-east-1a"} {
		id, err := sim.RunInstance("us-east-1", az, nil)
		if err != nil {
			t.Fatal(err)
		}
		if az == "us-east-1a" {
			inA = append(inA, id)
		}
	}
	sim.Settle(5 * time.Minute)
	client := health.NewFromConfig(sim.Config("us-east-1"))

	arn := sim.RaiseAZIssue("us-east-1", "us-east-1a", "EC2")
	if !sim.AZImpaired("us-east-1", "us-east-1a") {
		t.Fatal("the AZ is not impaired after RaiseAZIssue")
	}
	opened := healthEvents(t, sim)
	if len(opened) != 1 {
		t.Fatalf("%d Health events emitted, want 1", len(opened))
	}
	ev := opened[0]
	if ev.EventArn != arn || ev.StatusCode != "open" || ev.EventTypeCode != "AWS_EC2_OPERATIONAL_ISSUE" ||
		ev.EventTypeCategory != "issue" || ev.EventScopeCode != "ACCOUNT_SPECIFIC" || ev.Service != "EC2" || ev.AffectedAccount != sim.AccountID() {
		t.Errorf("open event: %+v", ev)
	}
	var entities []string
	for _, e := range ev.AffectedEntities {
		entities = append(entities, e.EntityValue)
		if e.Status != "IMPAIRED" {
			t.Errorf("entity %s status %s, want IMPAIRED", e.EntityValue, e.Status)
		}
	}
	if diff := cmp.Diff(inA, entities); diff != "" {
		t.Errorf("affected instances: the running ones in us-east-1a (-want +got):\n%s", diff)
	}
	start, err := http.ParseTime(ev.StartTime)
	if err != nil || !start.Equal(sim.Now()) {
		t.Errorf("startTime %q (%v), want RFC 1123 GMT of %v", ev.StartTime, err, sim.Now())
	}
	// Health names the physical zone by its ID; here us-east-1a is use1-az2.
	if !strings.Contains(ev.EventDescription[0].LatestDescription, "use1-az2") {
		t.Errorf("description %q does not name the AZ ID use1-az2", ev.EventDescription[0].LatestDescription)
	}

	out, err := client.DescribeEvents(ctx, &health.DescribeEventsInput{Filter: &healthtypes.EventFilter{
		AvailabilityZones: []string{"us-east-1a"}, EventStatusCodes: []healthtypes.EventStatusCode{healthtypes.EventStatusCodeOpen},
		Services: []string{"EC2"}, EventTypeCategories: []healthtypes.EventTypeCategory{healthtypes.EventTypeCategoryIssue},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 1 || aws.ToString(out.Events[0].Arn) != arn || aws.ToString(out.Events[0].AvailabilityZone) != "us-east-1a" {
		t.Fatalf("DescribeEvents: %+v, want the one event with availabilityZone us-east-1a", out.Events)
	}
	other, err := client.DescribeEvents(ctx, &health.DescribeEventsInput{Filter: &healthtypes.EventFilter{AvailabilityZones: []string{"us-east-1b"}}})
	if err != nil || len(other.Events) != 0 {
		t.Errorf("DescribeEvents in us-east-1b: %d events, %v; want none", len(other.Events), err)
	}
	ents, err := client.DescribeAffectedEntities(ctx, &health.DescribeAffectedEntitiesInput{Filter: &healthtypes.EntityFilter{EventArns: []string{arn}}})
	if err != nil {
		t.Fatal(err)
	}
	var apiEntities []string
	for _, e := range ents.Entities {
		apiEntities = append(apiEntities, aws.ToString(e.EntityValue))
	}
	if diff := cmp.Diff(inA, apiEntities); diff != "" {
		t.Errorf("DescribeAffectedEntities (-want +got):\n%s", diff)
	}
	details, err := client.DescribeEventDetails(ctx, &health.DescribeEventDetailsInput{EventArns: []string{arn, "arn:aws:health:us-east-1::event/EC2/X/X_nope"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(details.SuccessfulSet) != 1 || len(details.FailedSet) != 1 {
		t.Errorf("DescribeEventDetails: %d found, %d failed; want 1 and 1", len(details.SuccessfulSet), len(details.FailedSet))
	}

	sim.Advance(time.Hour)
	if err := sim.CloseHealthEvent(arn); err != nil {
		t.Fatal(err)
	}
	if sim.AZImpaired("us-east-1", "us-east-1a") {
		t.Error("the AZ is still impaired after the event closed")
	}
	closed := healthEvents(t, sim)
	if len(closed) != 1 || closed[0].EventArn != arn || closed[0].StatusCode != "closed" || closed[0].EndTime == "" {
		t.Fatalf("closing emitted %+v, want the same event closed with an endTime", closed)
	}
	for _, e := range closed[0].AffectedEntities {
		if e.Status != "RESOLVED" {
			t.Errorf("entity %s status %s after close, want RESOLVED", e.EntityValue, e.Status)
		}
	}
	open, err := client.DescribeEvents(ctx, &health.DescribeEventsInput{Filter: &healthtypes.EventFilter{
		EventArns: []string{arn}, EventStatusCodes: []healthtypes.EventStatusCode{healthtypes.EventStatusCodeOpen},
	}})
	if err != nil || len(open.Events) != 0 {
		t.Errorf("open events after close: %d, %v; want none", len(open.Events), err)
	}
	if err := sim.CloseHealthEvent(arn); err == nil {
		t.Error("closing a closed event succeeded")
	}
}

func TestHealthWithoutBusinessSupportRefusesTheAPI(t *testing.T) {
	sim := awssim.New()
	sim.SetSupportPlan(awssim.SupportBasic)
	client := health.NewFromConfig(sim.Config("us-east-1"))
	_, err := client.DescribeEvents(context.Background(), &health.DescribeEventsInput{})
	if apiErrorCode(err) != "SubscriptionRequiredException" {
		t.Fatalf("DescribeEvents on Basic support: got %v, want SubscriptionRequiredException", err)
	}
	if n := sim.CallCount(); n != 1 {
		t.Errorf("%d attempts, want 1: the error is not retryable", n)
	}
	// EventBridge still delivers Health events to every account.
	if arn := sim.RaiseAZIssue("us-east-1", "us-east-1c", "EC2"); arn == "" || len(healthEvents(t, sim)) != 1 {
		t.Error("no Health event on EventBridge for an account without Business support")
	}
	sim.SetSupportPlan(awssim.SupportEnterprise)
	if _, err := client.DescribeEvents(context.Background(), &health.DescribeEventsInput{}); err != nil {
		t.Errorf("DescribeEvents on Enterprise support: %v", err)
	}
	if arn := sim.RaiseAZIssue("us-east-1", "us-east-1z", "EC2"); arn != "" {
		t.Errorf("an issue in an AZ that does not exist returned %q", arn)
	}
}
