package motoserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/e2e/motoserver"
)

// upstream stands for moto: it fails DescribeInstanceRefreshes as moto
// does and answers ListTables.
func upstream(t *testing.T, seen *[]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*seen = append(*seen, r.Header.Get("X-Amz-Target")+r.FormValue("Action"))
		if r.Header.Get("X-Amz-Target") == "DynamoDB_20120810.ListTables" {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = w.Write([]byte(`{"TableNames":["t"]}`))
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func config(url, key string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(key, "secret", ""),
	}
}

// The fixture answers what moto lacks, in a form the real SDK client
// decodes; everything else reaches moto; every call is logged with its
// caller, service and operation.
func TestProxyAnswersFixturesAndForwardsTheRest(t *testing.T) {
	var seen []string
	up := upstream(t, &seen)
	log := &motoserver.Log{}
	proxy := httptest.NewServer(motoserver.NewProxy(up.URL, log, motoserver.Fixtures))
	defer proxy.Close()
	ctx := context.Background()

	asg := autoscaling.NewFromConfig(config(proxy.URL, "AKIASELFHEALFUNCTION"))
	out, err := asg.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if out.InstanceRefreshes == nil || len(out.InstanceRefreshes) != 0 {
		t.Errorf("instance refreshes %v, want an empty list", out.InstanceRefreshes)
	}
	ddb := dynamodb.NewFromConfig(config(proxy.URL, "AKIASELFHEALE2ETESTS"))
	tables, err := ddb.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil || len(tables.TableNames) != 1 {
		t.Fatalf("ListTables through the proxy: %v, %v", tables, err)
	}
	if diff := cmp.Diff([]string{"DynamoDB_20120810.ListTables"}, seen); diff != "" {
		t.Errorf("reached moto (-want +got):\n%s", diff)
	}
	got := motoserver.Counts(log.Calls(nil))
	want := []motoserver.Count{
		{Caller: "AKIASELFHEALFUNCTION", Service: "autoscaling", Operation: "DescribeInstanceRefreshes", Calls: 1},
		{Caller: "AKIASELFHEALE2ETESTS", Service: "dynamodb", Operation: "ListTables", Calls: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if c := log.Calls(func(c motoserver.Call) bool { return c.Fixture }); len(c) != 1 || c[0].Form().Get("AutoScalingGroupName") != "web" {
		t.Errorf("fixture calls %+v", c)
	}
}

// A request AWS would refuse is refused by the fixture too.
func TestDescribeInstanceRefreshesFixtureValidates(t *testing.T) {
	rec := httptest.NewRecorder()
	body := []byte("Action=DescribeInstanceRefreshes&Version=2011-01-01")
	motoserver.Fixtures[0].Answer(rec, httptest.NewRequest(http.MethodPost, "/", nil), body, nil)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "ValidationError") {
		t.Errorf("status %d, body %s", rec.Code, rec.Body)
	}
}

// Operations are named as each protocol puts them on the wire.
func TestOperationNames(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer up.Close()
	log := &motoserver.Log{}
	proxy := httptest.NewServer(motoserver.NewProxy(up.URL, log, nil))
	defer proxy.Close()
	cases := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		body    string
		want    string
	}{
		{"JSON", "POST", "/", map[string]string{"X-Amz-Target": "AWSEvents.TestEventPattern"}, "{}", "TestEventPattern"},
		{"query", "POST", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
			"Action=UpdateAutoScalingGroup&Version=2011-01-01", "UpdateAutoScalingGroup"},
		{"RPCv2 CBOR", "POST", "/service/GraniteServiceVersion20100801/operation/ListTagsForResource",
			map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}, "", "ListTagsForResource"},
		{"REST", "GET", "/2015-03-31/functions/f", nil, "", "GET /2015-03-31/functions/f"},
	}
	for _, c := range cases {
		r, _ := http.NewRequest(c.method, proxy.URL+c.path, strings.NewReader(c.body))
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIASELFHEALE2ETESTS/20261205/us-east-1/svc/aws4_request, SignedHeaders=host, Signature=0")
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	calls := log.Calls(nil)
	if len(calls) != len(cases) {
		t.Fatalf("%d calls logged, want %d", len(calls), len(cases))
	}
	for i, c := range cases {
		if calls[i].Operation != c.want || calls[i].Service != "svc" || calls[i].Caller != "AKIASELFHEALE2ETESTS" {
			t.Errorf("%s: logged %+v, want operation %q", c.name, calls[i], c.want)
		}
	}
}

// CloudWatch's CBOR calls reach moto as JSON and come back as CBOR the
// real SDK client decodes: tags, timestamps, numbers, and errors as typed
// errors.
func TestCloudWatchCBORIsTranslated(t *testing.T) {
	var targets []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targets = append(targets, r.Header.Get("X-Amz-Target"))
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch r.Header.Get("X-Amz-Target") {
		case "GraniteServiceVersion20100801.ListTagsForResource":
			if in["ResourceARN"] != "arn:aws:cloudwatch:us-east-1:012345678912:alarm:a1" {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"__type":"com.amazonaws.monitoring#ResourceNotFoundException","message":"no such alarm"}`))
				return
			}
			_, _ = w.Write([]byte(`{"Tags":[{"Key":"selfheal:az-signal","Value":"true"}]}`))
		case "GraniteServiceVersion20100801.DescribeAlarms":
			_, _ = w.Write([]byte(`{"MetricAlarms":[{"AlarmName":"a1","Period":60,"Threshold":1.5,"EvaluationPeriods":3,` +
				`"StateUpdatedTimestamp":1796480375.478,"Dimensions":[{"Name":"AvailabilityZone","Value":"us-east-1b"}]}]}`))
		}
	}))
	defer up.Close()
	log := &motoserver.Log{}
	proxy := httptest.NewServer(motoserver.NewProxy(up.URL, log, motoserver.Fixtures))
	defer proxy.Close()
	cw := cloudwatch.NewFromConfig(config(proxy.URL, "AKIASELFHEALFUNCTION"))
	ctx := context.Background()

	tags, err := cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:012345678912:alarm:a1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "selfheal:az-signal" || aws.ToString(tags.Tags[0].Value) != "true" {
		t.Errorf("tags %+v", tags.Tags)
	}
	alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a1"}})
	if err != nil {
		t.Fatal(err)
	}
	a := alarms.MetricAlarms[0]
	if aws.ToInt32(a.Period) != 60 || aws.ToFloat64(a.Threshold) != 1.5 || a.StateUpdatedTimestamp.UnixMilli() != 1796480375478 ||
		aws.ToString(a.Dimensions[0].Value) != "us-east-1b" {
		t.Errorf("alarm %+v", a)
	}
	_, err = cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:012345678912:alarm:gone")})
	var gone *cwtypes.ResourceNotFoundException
	if !errors.As(err, &gone) {
		t.Errorf("error %v, want a ResourceNotFoundException", err)
	}
	if diff := cmp.Diff([]string{"GraniteServiceVersion20100801.ListTagsForResource", "GraniteServiceVersion20100801.DescribeAlarms",
		"GraniteServiceVersion20100801.ListTagsForResource"}, targets); diff != "" {
		t.Errorf("moto was asked (-want +got):\n%s", diff)
	}
	if n := len(log.Calls(func(c motoserver.Call) bool { return c.Fixture && c.Service == "monitoring" })); n != 3 {
		t.Errorf("%d translated calls logged, want 3", n)
	}
}
