package awsapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfheal/selfheal/shared/awsapi"
)

// Every service a selfheal function calls: its SDK id (what
// AWS_ENDPOINT_URL_<SERVICE> is derived from) and the base endpoint its
// client resolves from a config.
var services = []struct {
	id           string
	baseEndpoint func(aws.Config) *string
}{
	{arczonalshift.ServiceID, func(c aws.Config) *string { return arczonalshift.NewFromConfig(c).Options().BaseEndpoint }},
	{autoscaling.ServiceID, func(c aws.Config) *string { return autoscaling.NewFromConfig(c).Options().BaseEndpoint }},
	{backup.ServiceID, func(c aws.Config) *string { return backup.NewFromConfig(c).Options().BaseEndpoint }},
	{cloudwatch.ServiceID, func(c aws.Config) *string { return cloudwatch.NewFromConfig(c).Options().BaseEndpoint }},
	{dynamodb.ServiceID, func(c aws.Config) *string { return dynamodb.NewFromConfig(c).Options().BaseEndpoint }},
	{ec2.ServiceID, func(c aws.Config) *string { return ec2.NewFromConfig(c).Options().BaseEndpoint }},
	{health.ServiceID, func(c aws.Config) *string { return health.NewFromConfig(c).Options().BaseEndpoint }},
	{rds.ServiceID, func(c aws.Config) *string { return rds.NewFromConfig(c).Options().BaseEndpoint }},
	{sns.ServiceID, func(c aws.Config) *string { return sns.NewFromConfig(c).Options().BaseEndpoint }},
	{sqs.ServiceID, func(c aws.Config) *string { return sqs.NewFromConfig(c).Options().BaseEndpoint }},
}

// The endpoint variables a user may set, and what each should do.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
var endpointCases = []struct {
	name string
	env  map[string]string
}{
	{"nothing set", nil},
	{"global", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}},
	{"global with a path", map[string]string{"AWS_ENDPOINT_URL": "https://gateway.example.com/aws"}},
	{"one service only", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}},
	{"service with a space in its id", map[string]string{"AWS_ENDPOINT_URL_AUTO_SCALING": "http://127.0.0.1:4566"}},
	{"ARC zonal shift", map[string]string{"AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT": "http://127.0.0.1:4567"}},
	{"service wins over global", map[string]string{
		"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_SNS": "http://127.0.0.1:5001", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:5002"}},
	{"empty global, one service", map[string]string{"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:5003"}},
	{"empty service, global", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_RDS": ""}},
	{"lower-case variable is not read", map[string]string{"AWS_ENDPOINT_URL_dynamodb": "http://127.0.0.1:5004"}},
	{"ignored", map[string]string{
		"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_BACKUP": "http://127.0.0.1:5005", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}},
	{"ignored, any case", map[string]string{"AWS_ENDPOINT_URL_HEALTH": "http://127.0.0.1:5006", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}},
	{"not ignored", map[string]string{
		"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:5007", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}},
}

// setEnv sets exactly the endpoint variables of a case: every one the
// test knows of is unset first, whatever the caller's environment holds.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	vars := []string{"AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"}
	for _, s := range services {
		vars = append(vars, awsapi.ServiceEndpointVariable(s.id))
	}
	for _, v := range vars {
		t.Setenv(v, "") // restores the caller's value after the test
		os.Unsetenv(v)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	// The SDK's loader must see the environment only: no profile may
	// carry an endpoint_url.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
}

// LambdaConfig resolves, for every service selfheal calls, the same base
// endpoint as the SDK's own config.LoadDefaultConfig from the same
// environment: the reference behaviour, not a re-statement of it.
func TestLambdaConfigResolvesEndpointsAsTheSDKDoes(t *testing.T) {
	for _, c := range endpointCases {
		t.Run(c.name, func(t *testing.T) {
			setEnv(t, c.env)
			sdk, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
			if err != nil {
				t.Fatal(err)
			}
			ours := awsapi.LambdaConfig("us-east-1")
			for _, s := range services {
				want, got := s.baseEndpoint(sdk), s.baseEndpoint(ours)
				if aws.ToString(want) != aws.ToString(got) || (want == nil) != (got == nil) {
					t.Errorf("%s: base endpoint %s, the SDK's config resolves %s", s.id, show(got), show(want))
				}
			}
		})
	}
}

func show(p *string) string {
	if p == nil {
		return "none (AWS's own)"
	}
	return *p
}

// The expectations spelled out for a few cases, so that a change in the
// SDK that both would follow is still noticed.
func TestLambdaConfigEndpoints(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		all  string            // every service's base endpoint; "": none
		per  map[string]string // SDK id → base endpoint, over all
	}{
		{"global", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, "http://127.0.0.1:5000", nil},
		{"service wins", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_AUTO_SCALING": "http://127.0.0.1:5001"},
			"http://127.0.0.1:5000", map[string]string{autoscaling.ServiceID: "http://127.0.0.1:5001"}},
		{"one service", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"},
			"", map[string]string{dynamodb.ServiceID: "http://127.0.0.1:8000"}},
		{"ignored", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
			"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "", nil},
		{"nothing", nil, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			setEnv(t, c.env)
			cfg := awsapi.LambdaConfig("us-east-1")
			for _, s := range services {
				want, ok := c.per[s.id]
				if !ok {
					want = c.all
				}
				if got := s.baseEndpoint(cfg); (want == "") != (got == nil) || want != aws.ToString(got) {
					t.Errorf("%s: base endpoint %s, want %q", s.id, show(got), want)
				}
			}
		})
	}
}

// A request really goes to the configured endpoint, over HTTP, signed
// with the environment's credentials.
func TestLambdaConfigSendsToTheConfiguredEndpoint(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"TableNames":["selfheal-state"]}`))
	}))
	defer srv.Close()
	setEnv(t, map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": srv.URL})
	out, err := dynamodb.NewFromConfig(awsapi.LambdaConfig("us-east-1")).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TableNames) != 1 || got == nil || got.Header.Get("X-Amz-Target") != "DynamoDB_20120810.ListTables" {
		t.Fatalf("answer %v, request %v", out.TableNames, got)
	}
	if auth := got.Header.Get("Authorization"); auth == "" || !strings.Contains(auth, "Credential=AKIAEXAMPLE/") {
		t.Errorf("authorization %q, want a signature with the environment's key", auth)
	}
}

func TestIgnoreConfiguredEndpoints(t *testing.T) {
	for _, c := range []struct {
		value   string
		want    bool
		wantErr bool
	}{{"", false, false}, {"false", false, false}, {"False", false, false}, {"true", true, false}, {"TRUE", true, false},
		{"1", false, true}, {"yes", false, true}, {" true", false, true}} {
		got, err := awsapi.IgnoreConfiguredEndpoints(func(k string) string {
			if k == "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" {
				return c.value
			}
			return ""
		})
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("%q: %v, %v; want %v, error %v", c.value, got, err, c.want, c.wantErr)
		}
	}
	// The SDK refuses the same values.
	for _, v := range []string{"1", "yes"} {
		t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", v)
		t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
		if _, err := config.LoadDefaultConfig(context.Background()); err == nil {
			t.Errorf("the SDK accepts AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=%s; so should IgnoreConfiguredEndpoints", v)
		}
	}
}

// What a function pays at init for its configuration and a client, with
// no endpoint configured (as deployed) and with one (as on moto). Compare
// the first with the same benchmark before endpoints were read
// (BENCHMARKS.md).
func BenchmarkLambdaConfig(b *testing.B) {
	for _, c := range []struct {
		name string
		env  map[string]string
	}{
		{"unset", nil},
		{"AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for _, v := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
				b.Setenv(v, "")
				os.Unsetenv(v)
			}
			for k, v := range c.env {
				b.Setenv(k, v)
			}
			b.ReportAllocs()
			for b.Loop() {
				cfg := awsapi.LambdaConfig("us-east-1")
				_ = dynamodb.NewFromConfig(cfg)
			}
		})
	}
}
