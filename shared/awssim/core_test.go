package awssim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

func TestDescribeAvailabilityZonesNamesAndIDsDiffer(t *testing.T) {
	sim := awssim.New()
	client := ec2.NewFromConfig(sim.Config("us-east-1"))
	out, err := client.DescribeAvailabilityZones(context.Background(), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, az := range out.AvailabilityZones {
		got[aws.ToString(az.ZoneName)] = aws.ToString(az.ZoneId)
	}
	want := map[string]string{"us-east-1a": "use1-az2", "us-east-1b": "use1-az3", "us-east-1c": "use1-az1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AZ name → id (-want +got):\n%s", diff)
	}
}

func TestThrottlingIsRetriedBySDKRetryer(t *testing.T) {
	sim := awssim.New()
	sim.InjectFault(awssim.Fault{Service: awssim.ServiceEC2, Operation: "DescribeSubnets", Code: "RequestLimitExceeded", Count: 2})
	client := ec2.NewFromConfig(sim.Config("us-east-1"))

	out, err := client.DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatalf("DescribeSubnets after 2 throttles: %v", err)
	}
	if len(out.Subnets) != 3 {
		t.Errorf("got %d subnets, want 3", len(out.Subnets))
	}
	var attempts []int
	var failed int
	for _, c := range sim.Calls() {
		attempts = append(attempts, c.Attempt)
		if c.Err != nil {
			failed++
		}
	}
	if diff := cmp.Diff([]int{1, 2, 3}, attempts); diff != "" {
		t.Errorf("attempts in the call log (-want +got):\n%s", diff)
	}
	if failed != 2 {
		t.Errorf("%d failed attempts logged, want 2", failed)
	}
}

func TestNonRetryableErrorReturnsAtOnce(t *testing.T) {
	sim := awssim.New()
	sim.InjectFault(awssim.Fault{Service: awssim.ServiceEC2, Code: "UnauthorizedOperation", Probability: 1})
	client := ec2.NewFromConfig(sim.Config("us-east-1"))

	_, err := client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnauthorizedOperation" {
		t.Fatalf("got %v, want UnauthorizedOperation", err)
	}
	var httpErr *awshttp.ResponseError
	if !errors.As(err, &httpErr) || httpErr.HTTPStatusCode() != http.StatusForbidden {
		t.Errorf("got %v, want an HTTP 403 response error", err)
	}
	if n := sim.CallCount(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	sim := awssim.New()
	sim.InjectFault(awssim.Fault{Service: awssim.ServiceEC2, Code: "ServiceUnavailable", Count: 1})
	sim.InjectFault(awssim.Fault{Service: awssim.ServiceEC2, Code: "InternalFailure", Count: 1})
	client := ec2.NewFromConfig(sim.Config("us-east-1"))
	if _, err := client.DescribeAvailabilityZones(context.Background(), &ec2.DescribeAvailabilityZonesInput{}); err != nil {
		t.Fatalf("after one 503 and one 500: %v", err)
	}
	if n := sim.CallCount(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

func TestUnmodelledOperationFailsLoudly(t *testing.T) {
	sim := awssim.New()
	client := ec2.NewFromConfig(sim.Config("us-east-1"))
	_, err := client.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	if err == nil {
		t.Fatal("DescribeVpcs succeeded; an operation the sim does not model must fail")
	}
	for _, want := range []string{"EC2", "DescribeVpcs", "not modelled"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestRateLimitThrottlesOnSimClock(t *testing.T) {
	sim := awssim.New()
	sim.SetRateLimit(awssim.ServiceEC2, "DescribeAvailabilityZones", 1, 2)
	client := ec2.NewFromConfig(sim.Config("us-east-1"), func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
	ctx := context.Background()
	var errs int
	for range 3 {
		if _, err := client.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}); err != nil {
			errs++
		}
	}
	if errs != 1 {
		t.Errorf("%d of 3 calls throttled with burst 2, want 1", errs)
	}
	sim.Advance(awssim.DefaultTick)
	if _, err := client.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}); err != nil {
		t.Errorf("after the bucket refilled on the sim clock: %v", err)
	}
}

func TestDescribeInstancesFiltersAndPages(t *testing.T) {
	sim := awssim.New()
	ctx := context.Background()
	var inA []string
	for i := range 7 {
		az := "us-east-1a"
		if i%2 == 1 {
			az = "us-east-1b"
		}
		id, err := sim.RunInstance("us-east-1", az, map[string]string{"team": "web"})
		if err != nil {
			t.Fatal(err)
		}
		if az == "us-east-1a" {
			inA = append(inA, id)
		}
	}
	client := ec2.NewFromConfig(sim.Config("us-east-1"))
	pages := ec2.NewDescribeInstancesPaginator(client, &ec2.DescribeInstancesInput{
		MaxResults: aws.Int32(5),
		Filters: []ec2types.Filter{
			{Name: aws.String("availability-zone"), Values: []string{"us-east-1a"}},
			{Name: aws.String("tag:team"), Values: []string{"w*"}},
		},
	})
	var got []string
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				got = append(got, aws.ToString(in.InstanceId))
			}
		}
	}
	if diff := cmp.Diff(inA, got); diff != "" {
		t.Errorf("instances in us-east-1a (-want +got):\n%s", diff)
	}

	_, err := client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0000000000000dead"}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidInstanceID.NotFound" {
		t.Errorf("unknown instance id: got %v, want InvalidInstanceID.NotFound", err)
	}
}

func TestImpairedAZRefusesLaunchesAndFailsStatusChecks(t *testing.T) {
	sim := awssim.New()
	id, err := sim.RunInstance("us-east-1", "us-east-1a", nil)
	if err != nil {
		t.Fatal(err)
	}
	sim.ImpairAZ("us-east-1", "us-east-1a")
	_, err = sim.RunInstance("us-east-1", "us-east-1a", nil)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InsufficientInstanceCapacity" {
		t.Errorf("launch into an impaired AZ: got %v, want InsufficientInstanceCapacity", err)
	}
	for _, in := range sim.Instances("us-east-1") {
		if in.ID == id && !in.Impaired {
			t.Error("instance in the impaired AZ passes its status checks")
		}
	}
	sim.RecoverAZ("us-east-1", "us-east-1a")
	if _, err := sim.RunInstance("us-east-1", "us-east-1a", nil); err != nil {
		t.Errorf("launch after recovery: %v", err)
	}
}

func TestSameSeedSameIDs(t *testing.T) {
	run := func(seed uint64) []string {
		sim := awssim.New(awssim.WithSeed(seed))
		var ids []string
		for range 3 {
			id, _ := sim.RunInstance("us-east-1", "us-east-1b", nil)
			ids = append(ids, id)
		}
		for _, sn := range sim.Subnets("us-west-2") {
			ids = append(ids, sn.ID)
		}
		return ids
	}
	if diff := cmp.Diff(run(7), run(7)); diff != "" {
		t.Errorf("same seed, different ids (-first +second):\n%s", diff)
	}
	if cmp.Equal(run(7), run(8)) {
		t.Error("different seeds gave the same ids")
	}
}
