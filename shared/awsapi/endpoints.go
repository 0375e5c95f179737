package awsapi

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The SDK's environment variables for configured endpoints, as
// config.LoadDefaultConfig reads them.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
const (
	EnvEndpointURL                = "AWS_ENDPOINT_URL"
	EnvIgnoreConfiguredEndpoints  = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
	envServiceEndpointURLPrefix   = EnvEndpointURL + "_"
	ignoreConfiguredEndpointsHelp = "need true or false"
)

// IgnoreConfiguredEndpoints reads AWS_IGNORE_CONFIGURED_ENDPOINT_URLS as
// the SDK does: unset or empty is false, "true" or "false" in any case,
// anything else an error (config.LoadDefaultConfig refuses to load then;
// config.Load reports it with the function's other settings).
func IgnoreConfiguredEndpoints(getenv func(string) string) (bool, error) {
	switch v := getenv(EnvIgnoreConfiguredEndpoints); {
	case v == "", strings.EqualFold(v, "false"):
		return false, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	default:
		return false, fmt.Errorf("%s=%q: %s", EnvIgnoreConfiguredEndpoints, v, ignoreConfiguredEndpointsHelp)
	}
}

// withConfiguredEndpoints points cfg at the endpoints the environment
// configures, the way config.LoadDefaultConfig does without its shared
// config files (a Lambda has none):
//
//   - AWS_ENDPOINT_URL becomes cfg.BaseEndpoint, the endpoint of every
//     client;
//   - AWS_ENDPOINT_URL_<SERVICE> (the service's SDK id in upper case,
//     spaces as underscores: AWS_ENDPOINT_URL_AUTO_SCALING) wins for that
//     service. Each generated client resolves it itself when it is built,
//     from the sources in cfg.ConfigSources that answer
//     GetServiceBaseEndpoint (see the SDK's internal/configsources);
//   - AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores both.
//
// With none of them set, cfg is left as it was: the clients resolve AWS's
// own endpoints.
//
// It reads the process environment, as the clients do.
func withConfiguredEndpoints(cfg *aws.Config) {
	// An invalid value is config.Load's to report; here it ignores nothing,
	// as the variable's default does.
	ignore, _ := IgnoreConfiguredEndpoints(os.Getenv)
	if ignore {
		// The clients ask the sources whether to ignore the per-service
		// variables too.
		cfg.ConfigSources = append(cfg.ConfigSources, endpointSource{ignore: true})
		return
	}
	if v := os.Getenv(EnvEndpointURL); v != "" {
		cfg.BaseEndpoint = aws.String(v)
	}
	cfg.ConfigSources = append(cfg.ConfigSources, endpointSource{})
}

// endpointSource answers the SDK clients' questions about configured
// endpoints from the environment: the methods are those of the SDK's
// config.EnvConfig, found by the clients through interface assertions.
type endpointSource struct{ ignore bool }

// GetIgnoreConfiguredEndpoints satisfies the SDK's
// configsources.IgnoreConfiguredEndpointsProvider.
func (s endpointSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.ignore, s.ignore, nil
}

// GetServiceBaseEndpoint satisfies the SDK's
// configsources.ServiceBaseEndpointProvider: sdkID is the service's SDK
// id ("Auto Scaling", "DynamoDB").
func (s endpointSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if s.ignore {
		return "", false, nil
	}
	if v := os.Getenv(ServiceEndpointVariable(sdkID)); v != "" {
		return v, true, nil
	}
	return "", false, nil
}

// ServiceEndpointVariable is the environment variable that configures the
// endpoint of the service with this SDK id: "Auto Scaling" →
// AWS_ENDPOINT_URL_AUTO_SCALING.
func ServiceEndpointVariable(sdkID string) string {
	return envServiceEndpointURLPrefix + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")
}
