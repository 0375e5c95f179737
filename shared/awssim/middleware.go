package awssim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Service ids as the SDK names them (awsmiddleware.GetServiceID): the keys
// of every operation, fault and rate limit.
const (
	ServiceEC2         = "EC2"
	ServiceAutoScaling = "Auto Scaling"
	ServiceSNS         = "SNS"
	ServiceSQS         = "SQS"
	ServiceCloudWatch  = "CloudWatch"
	ServiceBackup      = "Backup"
	ServiceDynamoDB    = "DynamoDB"
	ServiceRDS         = "RDS"
	ServiceHealth      = "Health"
)

// MaxAttempts is how many times the sim's retryer tries one operation.
const MaxAttempts = 5

type opKey struct{ service, operation string }

type opFunc func(r *Region, input any) (any, error)

// handle registers the typed handler of one operation.
func handle[In, Out any](s *Sim, service, operation string, fn func(r *Region, in *In) (*Out, error)) {
	s.ops[opKey{service, operation}] = func(r *Region, input any) (any, error) {
		in, ok := input.(*In)
		if !ok {
			return nil, fmt.Errorf("awssim: %s %s: input is %T, want *%s", service, operation, input, reflect.TypeFor[In]())
		}
		out, err := fn(r, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// Config returns an aws.Config for region whose every call is answered by
// the sim. It carries static credentials (so signing runs), an HTTP client
// that refuses to send anything, and a standard retryer whose backoff waits
// on the sim clock instead of the wall clock.
func (s *Sim) Config(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIASIMULATED0000000", "simulated-secret", ""),
		HTTPClient:  noNetwork{},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = MaxAttempts
				o.Backoff = simBackoff{s}
				// The retry quota protects real services from retry storms
				// over wall-clock time; sim time has no such storm.
				o.RateLimiter = ratelimit.None
			})
		},
		APIOptions: []func(*middleware.Stack) error{s.addMiddleware},
	}
}

type inputKey struct{}

type invocation struct {
	input    any
	attempts int
}

func (s *Sim) addMiddleware(stack *middleware.Stack) error {
	// Initialize, after the client's own validation: remember the typed input.
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awssim.input",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			ctx = middleware.WithStackValue(ctx, inputKey{}, &invocation{input: in.Parameters})
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	if err != nil {
		return err
	}
	// Deserialize, first: answer instead of sending. Everything before it
	// (serialize, endpoint, retry, sign) has run for real.
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("awssim.answer",
		func(ctx context.Context, in middleware.DeserializeInput, _ middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			inv, _ := middleware.GetStackValue(ctx, inputKey{}).(*invocation)
			if inv == nil {
				return middleware.DeserializeOutput{}, middleware.Metadata{}, errors.New("awssim: no input recorded for this call")
			}
			inv.attempts++
			out, err := s.route(accessKeyOf(in.Request), awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx),
				awsmiddleware.GetRegion(ctx), inv.input, inv.attempts)
			return middleware.DeserializeOutput{Result: out}, middleware.Metadata{}, err
		}), middleware.Before)
}

// accessKeyOf reads the access key that signed a request (Signature
// Version 4: "Credential=<key>/<date>/<region>/<service>/aws4_request").
func accessKeyOf(request any) string {
	r, ok := request.(*smithyhttp.Request)
	if !ok {
		return ""
	}
	auth := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

// answer is one attempt of one call by caller: faults and rate limits
// first, as AWS would refuse before doing anything, then the operation
// itself.
func (s *Sim) answer(caller principal, service, operation, regionName string, input any, attempt int) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caller = caller

	s.now = s.now.Add(s.callLatency)
	call := Call{
		Seq: len(s.calls) + s.observed + 1, Time: s.now, Service: service, Operation: operation,
		Region: regionName, Attempt: attempt, Input: input,
	}
	out, err := s.answerLocked(&call, input)
	call.Output, call.Err = out, err
	if s.observe != nil {
		s.observe(call)
		s.observed++
		return out, err
	}
	s.calls = append(s.calls, call)
	return out, err
}

func (s *Sim) answerLocked(call *Call, input any) (any, error) {
	key := opKey{call.Service, call.Operation}
	fn, ok := s.ops[key]
	if !ok {
		return nil, fmt.Errorf("awssim: %s %s is not modelled by the simulated account", call.Service, call.Operation)
	}
	r := s.regions[call.Region]
	if r == nil {
		// What the SDK sees for a region the account cannot reach.
		return nil, apiError(http.StatusForbidden, "UnrecognizedClientException",
			fmt.Sprintf("The security token included in the request is invalid in region %q", call.Region))
	}
	if err := s.applyFaultsLocked(call); err != nil {
		return nil, err
	}
	if err := s.takeTokenLocked(key); err != nil {
		return nil, err
	}
	out, err := fn(r, input)
	if err != nil {
		return nil, asHTTPError(err)
	}
	return out, nil
}

// apiError is an error as the SDK deserializes it from an AWS response:
// an HTTP response error wrapping an API error with code and message.
func apiError(status int, code, message string) error {
	fault := smithy.FaultClient
	if status >= 500 {
		fault = smithy.FaultServer
	}
	return asHTTPError(&smithy.GenericAPIError{Code: code, Message: message, Fault: fault}, status)
}

// asHTTPError wraps a service error the way the SDK does, so callers see
// the same error chain as from AWS: OperationError → ResponseError (HTTP
// status, request id) → the API error (typed where the service models it).
func asHTTPError(err error, status ...int) error {
	var already *awshttp.ResponseError
	if errors.As(err, &already) {
		return err
	}
	code := http.StatusBadRequest
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorFault() == smithy.FaultServer {
		code = http.StatusInternalServerError
	}
	if len(status) > 0 {
		code = status[0]
	}
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code, Header: http.Header{}}},
			Err:      err,
		},
		RequestID: "sim-request",
	}
}

// simBackoff makes the retryer's wait pass on the sim clock: the delay is
// the SDK's own exponential backoff with jitter, but nothing sleeps.
type simBackoff struct{ s *Sim }

func (b simBackoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	base := 50 * time.Millisecond << min(attempt, 10)
	// Jitter from the seed and the attempt, not a shared generator, so
	// that concurrent retries do not make the clock depend on scheduling.
	d := min(time.Duration(unitFloat(splitmix(b.s.seed^uint64(attempt)*0x9e3779b97f4a7c15))*float64(base)), 20*time.Second)
	b.s.now = b.s.now.Add(d)
	return 0, nil
}

// noNetwork is the sim's HTTP client: reaching it means a call escaped the
// simulation, which must never happen.
type noNetwork struct{}

func (noNetwork) Do(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("awssim: refusing to send %s %s: the simulated account never uses the network", r.Method, r.URL.Host)
}
