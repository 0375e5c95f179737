package orgsweep

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/selfheal/selfheal/shared/config"
)

// Tasks names the Lambda functions behind the machine's tasks: their ARNs,
// or placeholders such as "${SweepAccount}" that CloudFormation's
// DefinitionSubstitutions or the game day replace.
type Tasks struct {
	ListAccounts string
	SweepAccount string
	Aggregate    string
}

// Task payload names.
const (
	TaskList      = "list"
	TaskSweep     = "sweep"
	TaskAggregate = "aggregate"
)

// State names of the definition.
const (
	StateList      = "ListAccounts"
	StatePrepare   = "Prepare"
	StateMap       = "SweepAccounts"
	StateSweep     = "SweepAccount"
	StateAggregate = "Aggregate"
)

// ChildTimeoutSeconds bounds one account-region sweep: Lambda's maximum,
// which the sweep plans its own time within.
const ChildTimeoutSeconds = 900

// lambdaInvoke is the optimized Lambda integration (request-response).
// https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
const lambdaInvoke = "arn:aws:states:::lambda:invoke"

// transientLambda are the errors the Lambda integration raises for
// failures of the service rather than of the function; AWS recommends
// retrying them.
// https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
var transientLambda = []string{
	"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException",
}

// Definition is the machine's Amazon States Language document, for org's
// fan-out settings. Its bytes are a pure function of its arguments.
// https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
func Definition(t Tasks, org config.Organization) (string, error) {
	if t.ListAccounts == "" || t.SweepAccount == "" || t.Aggregate == "" {
		return "", errors.New("orgsweep: every task needs a function")
	}
	if org.SweepConcurrency < 1 {
		return "", fmt.Errorf("orgsweep: sweep concurrency %d", org.SweepConcurrency)
	}
	transient := map[string]any{"ErrorEquals": transientLambda, "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2, "JitterStrategy": "FULL"}
	invoke := func(function string, payload map[string]any) map[string]any {
		return map[string]any{"FunctionName": function, "Payload": payload}
	}
	doc := map[string]any{
		"Comment": "selfheal organization sweep: list the member accounts in scope, sweep each account-region, write the organization digest",
		"StartAt": StateList,
		"States": map[string]any{
			StateList: map[string]any{
				"Type": "Task", "Resource": lambdaInvoke,
				"Parameters":     invoke(t.ListAccounts, map[string]any{"task": TaskList, "event.$": "$"}),
				"ResultSelector": map[string]any{"run.$": "$.Payload.run", "items.$": "$.Payload.items"},
				"Retry":          []any{transient},
				"Next":           StatePrepare,
			},
			StatePrepare: map[string]any{
				"Type":       "Pass",
				"Parameters": map[string]any{"run.$": "$.run", "items.$": "$.items", "mapError": nil},
				"Next":       StateMap,
			},
			StateMap: map[string]any{
				"Type":      "Map",
				"ItemsPath": "$.items",
				"ItemSelector": map[string]any{
					"task": TaskSweep, "run.$": "$.run",
					"account.$": "$$.Map.Item.Value.account", "region.$": "$$.Map.Item.Value.region",
				},
				"MaxConcurrency":             org.SweepConcurrency,
				"ToleratedFailurePercentage": org.ToleratedFailurePercentage,
				"ItemProcessor": map[string]any{
					// A child may run 15 minutes and be retried: beyond an
					// Express workflow's 5.
					"ProcessorConfig": map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt":         StateSweep,
					"States": map[string]any{
						StateSweep: map[string]any{
							"Type": "Task", "Resource": lambdaInvoke,
							"Parameters":     invoke(t.SweepAccount, map[string]any{"task.$": "$.task", "run.$": "$.run", "account.$": "$.account", "region.$": "$.region"}),
							"TimeoutSeconds": ChildTimeoutSeconds,
							"OutputPath":     "$.Payload",
							"Retry": []any{
								transient,
								// A sweep that failed or timed out once is tried
								// once more, a minute later, then counted failed.
								map[string]any{"ErrorEquals": []string{"States.TaskFailed", "States.Timeout"}, "IntervalSeconds": 60, "MaxAttempts": 1, "BackoffRate": 2},
							},
							"End": true,
						},
					},
				},
				// The children's detail is in the state table; the map's output
				// would only grow with the organization.
				"ResultPath": nil,
				"Catch":      []any{map[string]any{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.mapError", "Next": StateAggregate}},
				"Next":       StateAggregate,
			},
			StateAggregate: map[string]any{
				"Type": "Task", "Resource": lambdaInvoke,
				"Parameters": invoke(t.Aggregate, map[string]any{
					"task": TaskAggregate, "run.$": "$.run", "items.$": "$.items", "mapError.$": "$.mapError",
				}),
				"OutputPath": "$.Payload",
				"Retry":      []any{transient},
				"End":        true,
			},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("orgsweep: encode definition: %w", err)
	}
	return string(b), nil
}
