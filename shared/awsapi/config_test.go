package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfheal/selfheal/shared/awsapi"
)

func TestPerRegionBuildsOneClientPerRegion(t *testing.T) {
	var built []string
	cache := awsapi.NewPerRegion(aws.Config{Region: "us-east-1"}, func(c aws.Config) string {
		built = append(built, c.Region)
		return "client for " + c.Region
	})
	for _, r := range []string{"us-east-1", "us-west-2", "us-east-1", "us-west-2"} {
		if got := cache.For(r); got != "client for "+r {
			t.Errorf("For(%s) = %q", r, got)
		}
	}
	if len(built) != 2 {
		t.Errorf("built %v, want one client per region", built)
	}
}

func TestLambdaConfigReadsCredentialsFromEnvironment(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "token")
	cfg := awsapi.LambdaConfig("eu-west-1")
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKIAEXAMPLE" || creds.SessionToken != "token" || cfg.Region != "eu-west-1" {
		t.Errorf("got %+v in %s", creds, cfg.Region)
	}
	if got := cfg.Retryer().MaxAttempts(); got != awsapi.MaxAttempts {
		t.Errorf("max attempts %d, want %d", got, awsapi.MaxAttempts)
	}
}

func TestLambdaConfigWithoutCredentialsErrors(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if _, err := awsapi.LambdaConfig("us-east-1").Credentials.Retrieve(context.Background()); err == nil {
		t.Error("no error without credentials")
	}
}
