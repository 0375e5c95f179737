package motoserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
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
	motoserver.Fixtures[0].Answer(rec, []byte("Action=DescribeInstanceRefreshes&Version=2011-01-01"))
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
