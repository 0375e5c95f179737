package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/orgsweep"
)

// What a hub region adds to the single-account stack: the bus its member
// accounts forward their events to, the same rules on it, and the
// organization sweep on Step Functions.

// hubBusName is the event bus of each hub region; the member accounts of
// that region forward to it.
const hubBusName = "selfheal-hub"

// orgSweepName is the state machine of each hub region. It has a fixed
// name because its own role must name it: a Distributed Map starts child
// executions of the state machine that runs it.
const orgSweepName = "selfheal-org-sweep"

// orgSweepTasks are the definition's task placeholders. The template keeps
// them as written and CloudFormation substitutes the org-sweep function's
// ARN (DefinitionSubstitutions), so the deployed DefinitionString is
// byte for byte what orgsweep.Definition returns for these tasks, the
// definition the game day runs.
var orgSweepTasks = orgsweep.Tasks{
	ListAccounts: "${ListAccounts}",
	SweepAccount: "${SweepAccount}",
	Aggregate:    "${Aggregate}",
}

// hubRoleName is the name of a function's role in a hub region. The member
// role trusts these roles by ARN, so the names must be known before the
// roles exist: at most 9 + 17 + 1 + 14 = 41 of IAM's 64 characters.
func hubRoleName(f function, region string) string {
	return "selfheal-" + f.name + "-" + region
}

// newHub adds the organization's part of a hub region and returns the ARNs
// of the rules it creates (they may send to the dead-letter queue).
func newHub(w wiring, patterns []events.Pattern, fns map[string]awslambda.Function) ([]*string, error) {
	bus := newHubBus(w)
	arns, err := patternRules(w, patterns, fns, bus)
	if err != nil {
		return nil, err
	}
	schedule, err := newOrgSweep(w, fns["org-sweep"])
	if err != nil {
		return nil, err
	}
	return append(arns, schedule), nil
}

// newHubBus is the bus member accounts forward to. Its policy admits
// events:PutEvents from principals of the organization only: a member's
// forwarding role passes, any other account is refused.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
func newHubBus(w wiring) awsevents.CfnEventBus {
	return awsevents.NewCfnEventBus(w.stack, jsii.String("HubBus"), &awsevents.CfnEventBusProps{
		Name: jsii.String(hubBusName),
		// The policy names the bus by ARN: a Ref to itself would be a cycle.
		Policy: map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Sid":       "OrganizationMembersPutEvents",
				"Effect":    "Allow",
				"Principal": "*",
				"Action":    "events:PutEvents",
				"Resource":  arn(w.stack, "events", w.region, "event-bus/"+hubBusName),
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": w.settings.Organization.ID}},
			}},
		},
	})
}

// newOrgSweep is the organization sweep: the state machine orgsweep.Definition
// describes, its tasks run by the org-sweep function, started on the sweep
// schedule. It returns the schedule rule's ARN.
func newOrgSweep(w wiring, fn awslambda.Function) (*string, error) {
	org := w.settings.Organization
	definition, err := orgsweep.Definition(orgSweepTasks, *org)
	if err != nil {
		return nil, fmt.Errorf("organization sweep definition: %w", err)
	}
	stateMachineARN := arn(w.stack, "states", w.region, "stateMachine:"+orgSweepName)

	role := awsiam.NewRole(w.stack, jsii.String("OrgSweepStateMachineRole"), &awsiam.RoleProps{
		AssumedBy:   serviceInThisAccount(w, "states.amazonaws.com"),
		Description: jsii.String("selfheal: runs the organization sweep " + orgSweepName),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{fn.FunctionArn(), jsii.String(*fn.FunctionArn() + ":*")},
	}))
	// A Distributed Map runs each child as an execution of this state
	// machine, and stops them when the map fails.
	// https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:StartExecution"),
		Resources: jsii.Strings(stateMachineARN),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:DescribeExecution", "states:StopExecution"),
		Resources: jsii.Strings(arn(w.stack, "states", w.region, "execution:"+orgSweepName+"/*")),
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Step Functions invokes the org-sweep function by any version or alias (<function ARN>:*) " +
			"and manages the Distributed Map's child executions of this one state machine, whose ARNs " +
			"(execution:" + orgSweepName + "/*) exist only at run time."),
		AppliesTo: &[]any{
			"Resource::<" + *w.stack.GetLogicalId(fn.Node().DefaultChild().(awscdk.CfnElement)) + ".Arn>:*",
			"Resource::" + arn(w.stack, "states", w.region, "execution:"+orgSweepName+"/*"),
		},
	}}, jsii.Bool(true))

	machine := awsstepfunctions.NewCfnStateMachine(w.stack, jsii.String("OrgSweepStateMachine"), &awsstepfunctions.CfnStateMachineProps{
		StateMachineName: jsii.String(orgSweepName),
		StateMachineType: jsii.String("STANDARD"),
		RoleArn:          role.RoleArn(),
		DefinitionString: jsii.String(definition),
		DefinitionSubstitutions: &map[string]*string{
			"ListAccounts": fn.FunctionArn(),
			"SweepAccount": fn.FunctionArn(),
			"Aggregate":    fn.FunctionArn(),
		},
	})
	// The role must hold its permissions before the first execution.
	machine.Node().AddDependency(role)
	cdknag.NagSuppressions_AddResourceSuppressions(machine, &[]*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-SF1"),
			Reason: jsii.String("Step Functions keeps every execution's history, each state's input and output, for 90 days, " +
				"and the Aggregate task names every child that failed in the digest. Logging to CloudWatch Logs would need " +
				"logs:CreateLogDelivery and its siblings on Resource \"*\" (they have no resource-level permissions): " +
				"writes on every resource, which this suite's least-privilege test refuses."),
		},
		{
			Id: jsii.String("AwsSolutions-SF2"),
			Reason: jsii.String("Every task is one invocation of the org-sweep function, which logs one structured line and EMF " +
				"metrics per run; X-Ray would need xray:PutTraceSegments on Resource \"*\" (no resource-level permission)."),
		},
	}, jsii.Bool(false))

	// Sweep on the sweep schedule, as compliance-sweep does in a single
	// account; an EventBridge target that is a state machine needs a role.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html
	startRole := awsiam.NewRole(w.stack, jsii.String("OrgSweepScheduleRole"), &awsiam.RoleProps{
		AssumedBy:   serviceInThisAccount(w, "events.amazonaws.com"),
		Description: jsii.String("selfheal: starts the organization sweep on its schedule"),
	})
	startRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:StartExecution"),
		Resources: &[]*string{machine.AttrArn()},
	}))
	rule := awsevents.NewCfnRule(w.stack, jsii.String("OrgSweepSchedule"), &awsevents.CfnRuleProps{
		Description:        jsii.String(fmt.Sprintf("selfheal: runs the organization sweep %s on %s", orgSweepName, w.settings.SweepSchedule)),
		ScheduleExpression: jsii.String(w.settings.SweepSchedule),
		State:              jsii.String("ENABLED"),
		Targets: &[]any{&awsevents.CfnRule_TargetProperty{
			Id:      jsii.String(orgSweepName),
			Arn:     machine.AttrArn(),
			RoleArn: startRole.RoleArn(),
			RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
				MaximumRetryAttempts: jsii.Number(185),
				// The next scheduled run supersedes a late one.
				MaximumEventAgeInSeconds: jsii.Number(3600),
			},
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: w.queue.QueueArn()},
		}},
	})

	// A run that fails or times out leaves accounts unswept: say so. A run
	// with children that failed within the tolerance succeeds, and its
	// digest names them.
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	for _, m := range []struct{ id, metric, what string }{
		{"OrgSweepFailed", "ExecutionsFailed", "failed"},
		{"OrgSweepTimedOut", "ExecutionsTimedOut", "timed out"},
	} {
		newAlarm(w, m.id,
			fmt.Sprintf("selfheal organization sweep %s %s: accounts may be unswept until the next run. See the execution's history in the Step Functions console.", orgSweepName, m.what),
			awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace:     jsii.String("AWS/States"),
				MetricName:    jsii.String(m.metric),
				DimensionsMap: &map[string]*string{"StateMachineArn": machine.AttrArn()},
				Period:        fiveMinutes,
				Statistic:     jsii.String("Sum"),
			}), 1)
	}
	awscdk.NewCfnOutput(w.stack, jsii.String("OrgSweepStateMachineArn"), &awscdk.CfnOutputProps{
		Value:       machine.AttrArn(),
		Description: jsii.String("Step Functions state machine of the organization sweep"),
	})
	return rule.AttrArn(), nil
}

// serviceInThisAccount is an AWS service principal that may act for this
// account only (aws:SourceAccount), so no other account's resource can make
// the service use the role: the confused-deputy guard.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
func serviceInThisAccount(w wiring, service string) awsiam.IPrincipal {
	return awsiam.NewServicePrincipal(jsii.String(service), &awsiam.ServicePrincipalOpts{
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": *w.stack.Account()}},
	})
}
