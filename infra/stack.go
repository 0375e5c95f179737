package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/config"
)

// stackProps is everything one regional stack is built from.
type stackProps struct {
	settings settings
	region   string
	// assetDir holds <function>/bootstrap: bin/ in the app, a folder of
	// placeholders in tests.
	assetDir string
	patterns []events.Pattern
}

// stackName is the CloudFormation stack of a region, e.g. selfheal-eu-west-1.
func stackName(region string) string { return "selfheal-" + region }

// newRegionStack builds the whole suite for one region: state, notifications,
// the dead-letter queue, the functions, their rules and their alarms.
func newRegionStack(scope constructs.Construct, p stackProps) (awscdk.Stack, error) {
	stack := awscdk.NewStack(scope, jsii.String(stackName(p.region)), &awscdk.StackProps{
		Env: &awscdk.Environment{
			Account: jsii.String(p.settings.Account),
			Region:  jsii.String(p.region),
		},
		Description: jsii.String("selfheal: AZ self-healing for Auto Scaling groups and AWS Backup compliance checks in " + p.region),
	})
	table := newStateTable(stack)
	topic := newNotifications(stack, p.settings.NotificationEmails)
	queue := newDeadLetterQueue(stack)

	w := wiring{
		stack:    stack,
		settings: p.settings,
		region:   p.region,
		table:    table,
		topic:    topic,
		queue:    queue,
	}
	fns := map[string]awslambda.Function{}
	for _, f := range deployed(p.settings) {
		fns[f.name] = newFunction(w, f, p.assetDir)
	}
	ruleARNs, err := newRules(w, p.patterns, fns)
	if err != nil {
		return nil, err
	}
	if p.settings.Organization != nil {
		hubARNs, err := newHub(w, p.patterns, fns)
		if err != nil {
			return nil, err
		}
		ruleARNs = append(ruleARNs, hubARNs...)
	}
	// EventBridge may send what it could not deliver to the queue, and
	// only from the suite's own rules.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
	queue.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgeRuleDeadLetters"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{queue.QueueArn()},
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleARNs}},
	}))
	newAlarms(w, fns)
	newOutputs(w, fns)
	return stack, nil
}

// wiring is what every function of a stack is connected to.
type wiring struct {
	stack    awscdk.Stack
	settings settings
	region   string
	table    awsdynamodb.Table
	topic    awssns.Topic
	queue    awssqs.Queue
	// regions, when set, are the regions region-scoped grants cover
	// instead of region: the member role's, which is global.
	regions []string
}

// grantRegions are the regions whose alarms and groups grants cover.
func (w wiring) grantRegions() []string {
	if len(w.regions) > 0 {
		return w.regions
	}
	return []string{w.region}
}

// newStateTable is the idempotency, dedupe and remediation ledger table
// (key design: shared/state).
func newStateTable(stack awscdk.Stack) awsdynamodb.Table {
	return awsdynamodb.NewTable(stack, jsii.String("State"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		// Traffic follows incidents and backup windows: on-demand costs
		// nothing when idle and absorbs the bursts.
		BillingMode: awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String("expiresAt"),
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		// The ledger holds the original configuration of every evacuated
		// group: losing it would lose the way back.
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
}

// newNotifications is the KMS-encrypted topic every finding, action and
// alarm goes to, with the users' e-mail subscriptions.
func newNotifications(stack awscdk.Stack, emails []string) awssns.Topic {
	key := awskms.NewKey(stack, jsii.String("NotificationsKey"), &awskms.KeyProps{
		Description:       jsii.String("selfheal: encrypts the notifications topic"),
		EnableKeyRotation: jsii.Bool(true),
	})
	// CloudWatch alarms publish to an encrypted topic only if the key lets
	// them; the AWS-managed aws/sns key cannot.
	// https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is this key
	}), nil)
	topic := awssns.NewTopic(stack, jsii.String("Notifications"), &awssns.TopicProps{
		DisplayName: jsii.String("selfheal"),
		MasterKey:   key,
		// A topic policy statement denying sns:Publish without TLS.
		EnforceSSL: jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"ArnLike":      map[string]any{"aws:SourceArn": arn(stack, "cloudwatch", *stack.Region(), "alarm:*")},
			"StringEquals": map[string]any{"aws:SourceAccount": *stack.Account()},
		},
	}))
	for _, e := range emails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	return topic
}

// newDeadLetterQueue receives what no function could handle: async
// invocations out of retries or too old, events EventBridge could not
// deliver, and events a function quarantined as malformed.
func newDeadLetterQueue(stack awscdk.Stack) awssqs.Queue {
	q := awssqs.NewQueue(stack, jsii.String("DeadLetters"), &awssqs.QueueProps{
		// SQS-managed keys: Lambda and EventBridge can both send without
		// a key policy of ours.
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		// The maximum, so a failure over a long weekend is still there.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		EnforceSSL:      jsii.Bool(true),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(q, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is the dead-letter queue: the on-failure destination of every function and " +
			"the dead-letter target of every EventBridge rule, which cdk-nag does not recognise as DLQ use. " +
			"A DLQ of a DLQ would only move the problem; an alarm fires on its first message instead."),
	}}, jsii.Bool(false))
	return q
}

// newFunction deploys one function with its own role, log group and
// asynchronous invocation config.
func newFunction(w wiring, f function, assetDir string) awslambda.Function {
	id := pascal(f.name)
	role := newFunctionRole(w, f, id)
	logs := awslogs.NewLogGroup(w.stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: w.settings.LogRetention,
		// The logs record every change made to production groups; they
		// outlive the stack.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// Writing to its own log group is all a function logs to; granted here
	// rather than through the managed AWSLambdaBasicExecutionRole, which
	// allows every log group of the account.
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logs.LogGroupArn()},
	}))
	props := &awslambda.FunctionProps{
		Description:   jsii.String(f.description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(assetDir, f.name)), nil),
		MemorySize:    jsii.Number(float64(f.memoryMB)),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(f.timeout.Seconds())),
		Role:          role,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Environment: &map[string]*string{
			config.EnvPolicy:    jsii.String(w.settings.PolicyJSON),
			config.EnvTopicARN:  w.topic.TopicArn(),
			config.EnvTableName: w.table.TableName(),
			config.EnvQueueURL:  w.queue.QueueUrl(),
			// Each region has its own stack, so each sweep covers its own
			// region; the DR regions come from the policy.
			config.EnvRegions: jsii.String(w.region),
		},
	}
	if w.settings.Organization != nil {
		(*props.Environment)[config.EnvOrganization] = jsii.String(w.settings.OrganizationJSON)
	}
	if f.reservedConcurrency > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(float64(f.reservedConcurrency))
		// The function knows it: with one execution at a time, a claim
		// found in progress was left by an invocation that has ended.
		(*props.Environment)[config.EnvReservedConcurrency] = jsii.String(strconv.Itoa(f.reservedConcurrency))
	}
	fn := awslambda.NewFunction(w.stack, jsii.String(id), props)
	if f.synchronous {
		return fn
	}

	// The L1 keeps the queue permission in the access table: the L2
	// destination would grant more than sqs:SendMessage.
	async := awslambda.NewCfnEventInvokeConfig(w.stack, jsii.String(id+"Async"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             fn.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(float64(f.retries)),
		MaximumEventAgeInSeconds: jsii.Number(f.maxEventAge.Seconds()),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: w.queue.QueueArn()},
		},
	})
	// Lambda checks that the role may send to the destination when the
	// config is created.
	async.Node().AddDependency(role)
	return fn
}

// newFunctionRole is a function's execution role with exactly the grants of
// the access table.
func newFunctionRole(w wiring, f function, id string) awsiam.Role {
	props := &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("selfheal " + f.name + ": least privilege, see infra/access.go"),
	}
	grants := access[f.name]
	if w.settings.Organization != nil {
		// The member role trusts the hub's function roles by ARN, so
		// they need names known before they exist.
		props.RoleName = jsii.String(hubRoleName(f, w.region))
		grants = join(grants, inOrganization)
	}
	role := awsiam.NewRole(w.stack, jsii.String(id+"Role"), props)
	for _, g := range grants {
		role.AddToPolicy(statement(w, g))
	}
	suppressWildcards(role, w, grants)
	return role
}

// suppressWildcards answers cdk-nag's IAM5 for the wildcard resources of
// grants. IAM5 names each wildcard resource; the suppression lists exactly
// those, so a new wildcard fails the nag test until reviewed.
func suppressWildcards(role constructs.IConstruct, w wiring, grants []grant) {
	var wildcards []any
	// cdk-nag writes the pseudo parameters of a template that names no
	// account (a member's) as <AWS::AccountId>.
	pseudo := strings.NewReplacer(*w.stack.Account(), "<AWS::AccountId>", *w.stack.Partition(), "<AWS::Partition>")
	for _, g := range grants {
		for _, r := range resourcesOf(w, g) {
			if *awscdk.Token_IsUnresolved(w.stack.Account()) {
				r = pseudo.Replace(r)
			}
			if finding := "Resource::" + r; strings.Contains(r, "*") && !slices.Contains(wildcards, any(finding)) {
				wildcards = append(wildcards, finding)
			}
		}
	}
	if len(wildcards) == 0 {
		return
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Each wildcard is listed in infra/access.go with why: Resource \"*\" only for reads " +
			"AWS offers no resource-level permission for; ARN patterns only for reads of resources discovered " +
			"at run time (vaults, plans, tables, databases, alarms, any region of this account); Auto Scaling " +
			"writes only on groups carrying the opt-in tag (aws:ResourceTag condition); ARC zonal shift writes on " +
			"\"*\" only with the conditions arc-zonal-shift:ResourceIdentifier like this region's Auto Scaling groups " +
			"and the opt-in tag (ARC has no resource type for Auto Scaling groups); backup:PutRestoreValidationResult " +
			"on \"*\" only with aws:RequestedRegion (restore jobs have no resource type); DynamoDB reads of table data " +
			"only on tables tagged awsbackup-restore-test (what restore tests restore); in an organization, the member " +
			"role of any account (aws:ResourceOrgID condition) and this organization's roots, OUs and accounts."),
		AppliesTo: &wildcards,
	}}, jsii.Bool(true))
}

// statement renders one grant as an IAM statement.
func statement(w wiring, g grant) awsiam.PolicyStatement {
	props := &awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(g.actions...),
		Resources: jsii.Strings(resourcesOf(w, g)...),
	}
	tag := w.settings.Policy.OptInTag
	switch g.scope {
	case optedInGroups:
		props.Conditions = &map[string]any{
			"StringEquals": map[string]any{"aws:ResourceTag/" + tag.Key: tag.Value},
		}
	case optedInShifts:
		props.Conditions = &map[string]any{
			"StringEquals": map[string]any{"aws:ResourceTag/" + tag.Key: tag.Value},
			"StringLike":   map[string]any{arcResourceKey: oneOrMany(groupARNs(w))},
		}
	case memberRoles:
		props.Conditions = &map[string]any{
			"StringEquals": map[string]any{"aws:ResourceOrgID": w.settings.Organization.ID},
		}
	case restoreValidations:
		props.Conditions = &map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": oneOrMany(w.grantRegions())}}
	case restoreTestTables:
		props.Conditions = &map[string]any{"Null": map[string]any{"aws:ResourceTag/" + restoreTestTag: "false"}}
	}
	return awsiam.NewPolicyStatement(props)
}

// resourcesOf resolves a grant's scope to resource ARNs.
func resourcesOf(w wiring, g grant) []string {
	switch g.scope {
	case anyResource, organizationWide:
		return []string{"*"}
	case optedInGroups:
		return groupARNs(w)
	case optedInShifts, restoreValidations:
		return []string{"*"} // scoped by its conditions, see statement
	case restoreTestTables:
		return []string{"arn:" + *w.stack.Partition() + ":dynamodb:*:" + *w.stack.Account() + ":table/*"}
	case regionAlarms:
		var out []string
		for _, r := range w.grantRegions() {
			out = append(out, arn(w.stack, "cloudwatch", r, "alarm:*"))
		}
		return out
	case accountResources, organizationResources:
		out := make([]string, len(g.arns))
		for i, a := range g.arns {
			a = strings.ReplaceAll(a, "{account}", *w.stack.Account())
			if w.settings.Organization != nil {
				a = strings.ReplaceAll(a, "{organization}", w.settings.Organization.ID)
			}
			out[i] = "arn:" + *w.stack.Partition() + ":" + a
		}
		return out
	case memberRoles:
		// Any account's: the condition keeps it inside the organization.
		return []string{"arn:" + *w.stack.Partition() + ":iam::*:role/" + w.settings.Organization.MemberRoleName}
	case stateTable:
		return []string{*w.table.TableArn()}
	case topic:
		return []string{*w.topic.TopicArn()}
	case topicKey:
		return []string{*w.topic.MasterKey().KeyArn()}
	case queue:
		return []string{*w.queue.QueueArn()}
	}
	// An unknown scope renders no resource, which CDK rejects at synthesis.
	return nil
}

// restoreTestTag is the tag AWS Backup restore testing puts on what it
// restores (shared/compliance.RestoreTestTag; the IAM test keeps them
// equal).
const restoreTestTag = "awsbackup-restore-test"

// arcResourceKey is the condition key naming the resource of an ARC zonal
// shift call.
const arcResourceKey = "arc-zonal-shift:ResourceIdentifier"

// groupARNs matches every Auto Scaling group of the stack's account in the
// regions its grants cover.
func groupARNs(w wiring) []string {
	var out []string
	for _, r := range w.grantRegions() {
		out = append(out, arn(w.stack, "autoscaling", r, "autoScalingGroup:*:autoScalingGroupName/*"))
	}
	return out
}

// oneOrMany is a condition value: a single string as IAM shows it, or a
// list.
func oneOrMany(values []string) any {
	if len(values) == 1 {
		return values[0]
	}
	return values
}

// arn is an ARN in the stack's partition and account.
func arn(stack awscdk.Stack, service, region, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", *stack.Partition(), service, region, *stack.Account(), resource)
}

// newRules creates one EventBridge rule per catalogue pattern, targeting the
// function named before "--" in the pattern's file name, plus the sweep's
// schedule. It returns the ARNs of every rule.
func newRules(w wiring, patterns []events.Pattern, fns map[string]awslambda.Function) ([]*string, error) {
	arns, err := patternRules(w, patterns, fns, nil)
	if err != nil {
		return nil, err
	}
	for _, f := range deployed(w.settings) {
		schedule := f.scheduleOf(w.settings)
		if schedule == "" {
			continue
		}
		rule := awsevents.NewCfnRule(w.stack, jsii.String(pascal(f.name)+"Schedule"), &awsevents.CfnRuleProps{
			Description:        jsii.String(fmt.Sprintf("selfheal: runs %s on %s", f.name, schedule)),
			ScheduleExpression: jsii.String(schedule),
			State:              jsii.String("ENABLED"),
			Targets:            target(w, f, fns[f.name]),
		})
		allowInvoke(fns[f.name], pascal(f.name)+"Schedule", rule)
		arns = append(arns, rule.AttrArn())
	}
	return arns, nil
}

// patternRules creates one rule per catalogue pattern on a bus (nil: the
// account's default bus), targeting the function its file name names.
func patternRules(w wiring, patterns []events.Pattern, fns map[string]awslambda.Function, bus awsevents.CfnEventBus) ([]*string, error) {
	byName := map[string]function{}
	for _, f := range deployed(w.settings) {
		byName[f.name] = f
	}
	var arns []*string
	for _, p := range patterns {
		f, ok := byName[p.Function]
		if !ok {
			return nil, fmt.Errorf("events/patterns/%s.json targets function %q, which infra/functions.go does not deploy", p.Name, p.Function)
		}
		pattern, err := patternObject(p)
		if err != nil {
			return nil, err
		}
		props := &awsevents.CfnRuleProps{
			Description:  jsii.String(fmt.Sprintf("selfheal: events/patterns/%s.json to %s", p.Name, f.name)),
			EventPattern: pattern,
			State:        jsii.String("ENABLED"),
			Targets:      target(w, f, fns[f.name]),
		}
		id := pascal(p.Name)
		if bus != nil {
			id += "Hub"
			props.EventBusName = bus.AttrName()
			props.Description = jsii.String(fmt.Sprintf("selfheal: events/patterns/%s.json forwarded by member accounts to %s", p.Name, f.name))
		}
		rule := awsevents.NewCfnRule(w.stack, jsii.String(id+"Rule"), props)
		allowInvoke(fns[f.name], id, rule)
		arns = append(arns, rule.AttrArn())
	}
	return arns, nil
}

// patternObject decodes a catalogue pattern for a rule.
func patternObject(p events.Pattern) (map[string]any, error) {
	var pattern map[string]any
	if err := json.Unmarshal(p.JSON, &pattern); err != nil || pattern == nil {
		return nil, fmt.Errorf("events/patterns/%s.json is not a JSON object: %v", p.Name, err)
	}
	return pattern, nil
}

// target is a rule's only target: the function, with a retry policy bounded
// by the function's maximum event age and the dead-letter queue.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
func target(w wiring, f function, fn awslambda.Function) *[]any {
	return &[]any{&awsevents.CfnRule_TargetProperty{
		Id:  jsii.String(f.name),
		Arn: fn.FunctionArn(),
		RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
			// EventBridge's own maximum; the event age ends retries first.
			MaximumRetryAttempts:     jsii.Number(185),
			MaximumEventAgeInSeconds: jsii.Number(f.maxEventAge.Seconds()),
		},
		DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: w.queue.QueueArn()},
	}}
}

// allowInvoke lets exactly one rule invoke the function.
func allowInvoke(fn awslambda.Function, id string, rule awsevents.CfnRule) {
	fn.AddPermission(jsii.String(id+"Invoke"), &awslambda.Permission{
		Principal: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		SourceArn: rule.AttrArn(),
	})
}

// newAlarms watches every function and the queue; every alarm notifies the
// topic when it fires and when it clears.
func newAlarms(w wiring, fns map[string]awslambda.Function) {
	alarm := func(id, description string, metric awscloudwatch.IMetric, periods float64) {
		newAlarm(w, id, description, metric, periods)
	}
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	sum := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}
	for _, f := range deployed(w.settings) {
		fn, id := fns[f.name], pascal(f.name)
		alarm(id+"Errors",
			fmt.Sprintf("selfheal %s returned an error: Lambda retries it, then sends the event to the dead-letter queue. See the function's logs.", f.name),
			fn.MetricErrors(sum), 1)
		// Throttled async events wait in Lambda's queue and are retried; a
		// short burst (two events for the one-at-a-time rebalancer) is
		// normal. Fifteen minutes of it means events are going stale.
		alarm(id+"Throttles",
			fmt.Sprintf("selfheal %s has been throttled for 15 minutes: events are waiting and may age out to the dead-letter queue.", f.name),
			fn.MetricThrottles(sum), 3)
		if f.synchronous {
			continue // no on-failure destination: Step Functions gets the error
		}
		// A failed send to the on-failure destination loses the event: the
		// one failure nothing else would report.
		alarm(id+"DestinationFailures",
			fmt.Sprintf("selfheal %s could not send a failed event to the dead-letter queue: the event is lost. Check the queue policy and the function's role.", f.name),
			fn.Metric(jsii.String("DestinationDeliveryFailures"), sum), 1)
	}
	alarm("DeadLettersNotEmpty",
		"selfheal dead-letter queue holds a message: an event was not handled. Read it (its attributes say why), fix the cause, then redrive or delete it.",
		w.queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")}), 1)
}

// newAlarm fires when metric reaches 1 in each of periods periods, and
// notifies the topic when it fires and when it clears.
func newAlarm(w wiring, id, description string, metric awscloudwatch.IMetric, periods float64) {
	action := awscloudwatchactions.NewSnsAction(w.topic)
	a := awscloudwatch.NewAlarm(w.stack, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(periods),
		DatapointsToAlarm:  jsii.Number(periods),
		// No invocations means no errors, not an unknown state.
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(action)
	a.AddOkAction(action)
}

// newOutputs prints what an operator needs after a deploy.
func newOutputs(w wiring, fns map[string]awslambda.Function) {
	out := func(id string, value *string, description string) {
		awscdk.NewCfnOutput(w.stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	out("TopicArn", w.topic.TopicArn(), "SNS topic with every finding, action and alarm; subscribe more endpoints here")
	out("StateTableName", w.table.TableName(), "DynamoDB state table (idempotency, dedupe, remediation ledger)")
	out("DeadLetterQueueUrl", w.queue.QueueUrl(), "SQS dead-letter / quarantine queue")
	for _, f := range deployed(w.settings) {
		out(pascal(f.name)+"Name", fns[f.name].FunctionName(), "Lambda function "+f.name)
	}
}

// pascal turns "asg-rebalancer--health" into "AsgRebalancerHealth" for
// construct IDs (CloudFormation logical IDs are alphanumeric).
func pascal(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
