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
	TaskFailed    = "failed"
	TaskAggregate = "aggregate"
)

// State names of the definition.
const (
	StateList        = "ListAccounts"
	StateListFailed  = "ListFailed"
	StateMap         = "SweepAccounts"
	StateSweep       = "SweepAccount"
	StateRecord      = "RecordFailure"
	StateChildFailed = "AccountSweepFailed"
	StateAggregate   = "Aggregate"
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
			// The run is the execution's name: unique to the state machine,
			// known to every state, the list's failure included.
			StateList: map[string]any{
				"Type": "Task", "Resource": lambdaInvoke,
				"Parameters": invoke(t.ListAccounts, map[string]any{"task": TaskList, "run.$": "$$.Execution.Name", "event.$": "$"}),
				"ResultSelector": map[string]any{
					"run.$": "$.Payload.run", "items.$": "$.Payload.items", "listError": nil, "mapError": nil,
				},
				"Retry": []any{
					transient,
					map[string]any{"ErrorEquals": []string{"States.TaskFailed"}, "IntervalSeconds": 30, "MaxAttempts": 2, "BackoffRate": 2},
				},
				// No list, no sweep: the digest still goes out, saying so.
				"Catch": []any{map[string]any{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.listError", "Next": StateListFailed}},
				"Next":  StateMap,
			},
			StateListFailed: map[string]any{
				"Type": "Pass",
				"Parameters": map[string]any{
					"run.$": "$$.Execution.Name", "items": []any{}, "listError.$": "$.listError", "mapError": nil,
				},
				"Next": StateAggregate,
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
								// once more, a minute later.
								map[string]any{"ErrorEquals": []string{"States.TaskFailed", "States.Timeout"}, "IntervalSeconds": 60, "MaxAttempts": 1, "BackoffRate": 2},
							},
							// Then its failure is recorded for the digest, and
							// the child still fails: the map counts it against
							// the tolerated failures.
							"Catch": []any{map[string]any{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.error", "Next": StateRecord}},
							"End":   true,
						},
						StateRecord: map[string]any{
							"Type": "Task", "Resource": lambdaInvoke,
							"Parameters": invoke(t.SweepAccount, map[string]any{
								"task": TaskFailed, "run.$": "$.run", "account.$": "$.account", "region.$": "$.region", "error.$": "$.error",
							}),
							"ResultPath": nil,
							"Retry":      []any{transient},
							"Next":       StateChildFailed,
						},
						StateChildFailed: map[string]any{
							"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause",
						},
					},
				},
				// The children's detail is in the state table; the map's output
				// would only grow with the organization.
				"ResultPath": nil,
				"Catch":      []any{map[string]any{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.mapError", "Next": StateAggregate}},
				"Next":       StateAggregate,
			},
			// The aggregate's payload stays small at any size: the run's
			// scope and results are in the state table.
			StateAggregate: map[string]any{
				"Type": "Task", "Resource": lambdaInvoke,
				"Parameters": invoke(t.Aggregate, map[string]any{
					"task": TaskAggregate, "run.$": "$.run", "listError.$": "$.listError", "mapError.$": "$.mapError",
				}),
				"OutputPath": "$.Payload",
				"Retry": []any{
					transient,
					map[string]any{"ErrorEquals": []string{"States.TaskFailed"}, "IntervalSeconds": 30, "MaxAttempts": 2, "BackoffRate": 2},
				},
				"End": true,
			},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("orgsweep: encode definition: %w", err)
	}
	return string(b), nil
}
