package awsapi

import (
	"context"
	"errors"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// MaxAttempts per SDK operation, first try included. Past that the error
// goes back to the handler, which returns it so Lambda retries the event.
const MaxAttempts = 5

// LambdaConfig is the aws.Config of a function running in Lambda: region
// given, credentials from the environment Lambda sets
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), adaptive
// retry mode (client-side rate limiting on throttles, which a sweep over
// thousands of resources meets), and the endpoints the environment
// configures, exactly as the SDK's shared config reads them
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS): the functions run unchanged against
// moto, LocalStack or any AWS-compatible endpoint. With none set, the
// clients resolve AWS's own endpoints.
//
// It deliberately avoids config.LoadDefaultConfig, whose shared-config,
// SSO, STS and IMDS providers a Lambda never uses but would pay for in
// binary size and init time. The CLI, which does need the full chain,
// loads its own config and passes it to the same handlers.
func LambdaConfig(region string) aws.Config {
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(envCredentials{}),
		Retryer:     AdaptiveRetryer,
	}
	withConfiguredEndpoints(&cfg)
	return cfg
}

// AdaptiveRetryer is the retryer every production client uses.
func AdaptiveRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
		})
	})
}

type envCredentials struct{}

func (envCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	c := aws.Credentials{
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Source:          "LambdaEnvironment",
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return aws.Credentials{}, errors.New("no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	}
	return c, nil
}

// PerRegion builds a client for each region on first use and keeps it:
// one client per region per process. Safe for concurrent use.
type PerRegion[T any] struct {
	cfg     aws.Config
	build   func(aws.Config) T
	mu      sync.Mutex
	clients map[string]T
}

// NewPerRegion returns a cache building clients with build from cfg with
// its Region replaced.
func NewPerRegion[T any](cfg aws.Config, build func(aws.Config) T) *PerRegion[T] {
	return &PerRegion[T]{cfg: cfg, build: build, clients: map[string]T{}}
}

// For returns the client for region.
func (p *PerRegion[T]) For(region string) T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[region]; ok {
		return c
	}
	cfg := p.cfg.Copy()
	cfg.Region = region
	c := p.build(cfg)
	p.clients[region] = c
	return c
}
