package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/config"
)

// Every configured region gets its own stack, in the configured account.
func TestOneStackPerRegion(t *testing.T) {
	s := synth(t)
	var got []string
	for _, rs := range s.stacks {
		got = append(got, *rs.stack.StackName()+" "+*rs.stack.Account()+" "+*rs.stack.Region())
	}
	want := []string{
		"selfheal-us-east-1 " + placeholderAccount + " us-east-1",
		"selfheal-eu-west-1 " + placeholderAccount + " eu-west-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}
}

// The resource inventory: exactly these types and counts, derived from the
// function table, the event catalogue and the context.
func TestResourceInventory(t *testing.T) {
	s := synth(t)
	n, rules := len(deployed(s.settings)), len(s.patterns)
	for _, f := range deployed(s.settings) {
		if f.schedule != "" {
			rules++
		}
	}
	want := map[string]int{
		"AWS::Lambda::Function":          n,
		"AWS::IAM::Role":                 n,
		"AWS::IAM::Policy":               n,
		"AWS::Logs::LogGroup":            n,
		"AWS::Lambda::EventInvokeConfig": n,
		"AWS::Events::Rule":              rules,
		"AWS::Lambda::Permission":        rules,
		"AWS::CloudWatch::Alarm":         3*n + 1,
		"AWS::DynamoDB::Table":           1,
		"AWS::KMS::Key":                  1,
		"AWS::SNS::Topic":                1,
		"AWS::SNS::TopicPolicy":          1,
		"AWS::SNS::Subscription":         len(testEmails),
		"AWS::SQS::Queue":                1,
		"AWS::SQS::QueuePolicy":          1,
	}
	for _, rs := range s.stacks {
		got := map[string]int{}
		for _, r := range rs.doc.Resources {
			got[r.Type]++
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s resources (-want +got):\n%s", rs.region, diff)
		}
		for typ, count := range want {
			assert(t, rs.region+" "+typ, func() { rs.template.ResourceCountIs(jsii.String(typ), jsii.Number(float64(count))) })
		}
	}
}

// Each function runs the Makefile's bootstrap on provided.al2023/arm64, logs
// JSON to its own log group with the configured retention, and gets the
// environment shared/config reads.
func TestFunctions(t *testing.T) {
	s := synth(t)
	for _, rs := range s.stacks {
		tableID, _ := rs.byPath(t, "State/Resource")
		topicID, _ := rs.byPath(t, "Notifications/Resource")
		queueID, _ := rs.byPath(t, "DeadLetters/Resource")
		for _, f := range deployed(s.settings) {
			id := pascal(f.name)
			logsID, logs := rs.byPath(t, id+"Logs/Resource")
			if got, want := logs.Properties["RetentionInDays"], float64(30); got != want {
				t.Errorf("%s %s log retention = %v, want %v (cdk.json)", rs.region, f.name, got, want)
			}
			if logs.DeletionPolicy != "Retain" {
				t.Errorf("%s %s log group deletion policy = %q, want Retain", rs.region, f.name, logs.DeletionPolicy)
			}
			var concurrency any = assertions.Match_Absent()
			env := map[string]any{
				config.EnvPolicy:    s.settings.PolicyJSON,
				config.EnvTopicARN:  ref(topicID),
				config.EnvTableName: ref(tableID),
				config.EnvQueueURL:  ref(queueID),
				config.EnvRegions:   rs.region,
			}
			if f.reservedConcurrency > 0 {
				concurrency = f.reservedConcurrency
				env[config.EnvReservedConcurrency] = strconv.Itoa(f.reservedConcurrency)
			}
			assert(t, rs.region+" "+f.name, func() {
				rs.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), &map[string]any{
					"Description":                  f.description,
					"Runtime":                      "provided.al2023",
					"Architectures":                []any{"arm64"},
					"Handler":                      "bootstrap",
					"MemorySize":                   f.memoryMB,
					"Timeout":                      f.timeout.Seconds(),
					"LoggingConfig":                map[string]any{"LogFormat": "JSON", "LogGroup": ref(logsID)},
					"Environment":                  map[string]any{"Variables": assertions.Match_ObjectEquals(&env)},
					"ReservedConcurrentExecutions": concurrency,
				})
			})
		}
	}
}

// What the stack puts in SELFHEAL_POLICY is what a function loads at start:
// the policy of cdk.json, through the same validation.
func TestPolicyEnvironmentLoadsInFunctions(t *testing.T) {
	s := synth(t)
	rs := s.stacks[0]
	_, fn := rs.byPath(t, "AsgRebalancer/Resource")
	vars := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	got, err := config.ParsePolicy([]byte(vars[config.EnvPolicy].(string)))
	if err != nil {
		t.Fatalf("the deployed policy does not load: %v", err)
	}
	ctx, err := cdkContext()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(ctx[contextKey].(map[string]any)["policy"])
	if err != nil {
		t.Fatal(err)
	}
	want, err := config.ParsePolicy(doc)
	if err != nil {
		t.Fatalf("cdk.json policy: %v", err)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(config.Duration{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("deployed policy differs from cdk.json's (-want +got):\n%s", diff)
	}
}

// Failed asynchronous invocations go to the dead-letter queue after the
// function's retries or maximum event age.
func TestAsyncInvokeConfig(t *testing.T) {
	s := synth(t)
	for _, rs := range s.stacks {
		queueID, _ := rs.byPath(t, "DeadLetters/Resource")
		for _, f := range deployed(s.settings) {
			fnID, _ := rs.byPath(t, pascal(f.name)+"/Resource")
			assert(t, rs.region+" "+f.name, func() {
				rs.template.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), &map[string]any{
					"FunctionName":             ref(fnID),
					"Qualifier":                "$LATEST",
					"MaximumRetryAttempts":     f.retries,
					"MaximumEventAgeInSeconds": f.maxEventAge.Seconds(),
					"DestinationConfig": map[string]any{
						"OnFailure": map[string]any{"Destination": getAtt(queueID, "Arn")},
					},
				})
			})
		}
	}
}

// Every rule's pattern is its catalogue file, byte for byte after decoding,
// and targets the function its file name names.
func TestRulesComeFromTheCatalogue(t *testing.T) {
	s := synth(t)
	for _, rs := range s.stacks {
		rules := rs.ofType("AWS::Events::Rule")
		withPattern := 0
		for _, r := range rules {
			if _, ok := r.Properties["EventPattern"]; ok {
				withPattern++
			}
		}
		if withPattern != len(s.patterns) {
			t.Errorf("%s: %d rules with a pattern, want one per catalogue pattern (%d)", rs.region, withPattern, len(s.patterns))
		}
		for _, p := range s.patterns {
			id, rule := rs.byPath(t, pascal(p.Name)+"Rule")
			var want any
			if err := json.Unmarshal(p.JSON, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, rule.Properties["EventPattern"]); diff != "" {
				t.Errorf("%s rule %s pattern differs from events/patterns/%s.json (-file +rule):\n%s", rs.region, id, p.Name, diff)
			}
			fnID, _ := rs.byPath(t, pascal(p.Function)+"/Resource")
			targets := rule.Properties["Targets"].([]any)
			if len(targets) != 1 {
				t.Fatalf("%s rule %s has %d targets, want 1", rs.region, id, len(targets))
			}
			if diff := cmp.Diff(getAtt(fnID, "Arn"), asJSON(t, targets[0].(map[string]any)["Arn"])); diff != "" {
				t.Errorf("%s rule %s targets another function (-want +got):\n%s", rs.region, id, diff)
			}
			assertInvokePermission(t, rs, id, fnID)
		}
	}
}

// The sweep runs on the configured schedule.
func TestSweepSchedule(t *testing.T) {
	s := synth(t)
	for _, rs := range s.stacks {
		fnID, _ := rs.byPath(t, "ComplianceSweep/Resource")
		id, rule := rs.byPath(t, "ComplianceSweepSchedule")
		if got := rule.Properties["ScheduleExpression"]; got != s.settings.SweepSchedule || got != "rate(1 hour)" {
			t.Errorf("%s sweep schedule = %v, want cdk.json's %q", rs.region, got, "rate(1 hour)")
		}
		target := rule.Properties["Targets"].([]any)[0].(map[string]any)
		if diff := cmp.Diff(getAtt(fnID, "Arn"), asJSON(t, target["Arn"])); diff != "" {
			t.Errorf("%s schedule target (-want +got):\n%s", rs.region, diff)
		}
		assertInvokePermission(t, rs, id, fnID)
	}
}

// The rebalancer also runs every five minutes, to restore capacity once an
// alarm has held OK for the hysteresis (CloudWatch sends no further event).
func TestRebalancerSchedule(t *testing.T) {
	s := synth(t)
	for _, rs := range s.stacks {
		fnID, _ := rs.byPath(t, "AsgRebalancer/Resource")
		id, rule := rs.byPath(t, "AsgRebalancerSchedule")
		if got := rule.Properties["ScheduleExpression"]; got != "rate(5 minutes)" {
			t.Errorf("%s rebalancer schedule = %v, want rate(5 minutes)", rs.region, got)
		}
		assertInvokePermission(t, rs, id, fnID)
	}
}

// assertInvokePermission checks that exactly this rule may invoke the function.
func assertInvokePermission(t *testing.T, rs *regionStack, ruleID, fnID string) {
	t.Helper()
	assert(t, rs.region+" permission for "+ruleID, func() {
		rs.template.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), &map[string]any{
			"Action":       "lambda:InvokeFunction",
			"FunctionName": getAtt(fnID, "Arn"),
			"Principal":    "events.amazonaws.com",
			"SourceArn":    getAtt(ruleID, "Arn"),
		})
	})
}

// Every target retries within the function's event age and sends what it
// cannot deliver to the dead-letter queue, which lets exactly the suite's
// rules write to it.
func TestEveryTargetHasRetryPolicyAndDeadLetterQueue(t *testing.T) {
	for _, rs := range append(synth(t).stacks, synthOrganization(t).stacks...) {
		queueID, _ := rs.byPath(t, "DeadLetters/Resource")
		var ruleARNs []any
		for id, rule := range rs.ofType("AWS::Events::Rule") {
			ruleARNs = append(ruleARNs, getAtt(id, "Arn"))
			for _, tg := range rule.Properties["Targets"].([]any) {
				target := tg.(map[string]any)
				if diff := cmp.Diff(map[string]any{"Arn": getAtt(queueID, "Arn")}, asJSON(t, target["DeadLetterConfig"])); diff != "" {
					t.Errorf("%s rule %s target dead-letter config (-want +got):\n%s", rs.region, id, diff)
				}
				retry, _ := target["RetryPolicy"].(map[string]any)
				if retry["MaximumRetryAttempts"] == nil || retry["MaximumEventAgeInSeconds"] == nil {
					t.Errorf("%s rule %s target has no complete retry policy: %v", rs.region, id, target["RetryPolicy"])
				}
			}
		}
		_, policy := rs.byPath(t, "DeadLetters/Policy/Resource")
		var allowed []any
		for _, st := range policy.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Effect"] == "Allow" && st["Principal"].(map[string]any)["Service"] == "events.amazonaws.com" {
				allowed = st["Condition"].(map[string]any)["ArnEquals"].(map[string]any)["aws:SourceArn"].([]any)
			}
		}
		byID := func(v []any) func(i, j int) bool {
			return func(i, j int) bool {
				return v[i].(map[string]any)["Fn::GetAtt"].([]any)[0].(string) < v[j].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
			}
		}
		sort.Slice(ruleARNs, byID(ruleARNs))
		sort.Slice(allowed, byID(allowed))
		if diff := cmp.Diff(asJSON(t, ruleARNs), allowed); diff != "" {
			t.Errorf("%s: rules EventBridge may dead-letter from (-rules +queue policy):\n%s", rs.region, diff)
		}
	}
}

// Topic, queue and table are encrypted; topic and queue refuse non-TLS
// requests; the table keeps history and survives the stack.
func TestEncryptionTLSAndDurability(t *testing.T) {
	s := synth(t)
	for _, rs := range s.stacks {
		keyID, key := rs.byPath(t, "NotificationsKey/Resource")
		if key.Properties["EnableKeyRotation"] != true {
			t.Errorf("%s: KMS key rotation is off", rs.region)
		}
		topicID, topic := rs.byPath(t, "Notifications/Resource")
		if diff := cmp.Diff(getAtt(keyID, "Arn"), asJSON(t, topic.Properties["KmsMasterKeyId"])); diff != "" {
			t.Errorf("%s topic encryption (-want +got):\n%s", rs.region, diff)
		}
		assert(t, rs.region+" topic TLS-only", func() {
			rs.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), &map[string]any{
				"Topics": []any{ref(topicID)},
				"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
					"Effect":    "Deny",
					"Principal": "*",
					"Action":    "sns:Publish",
					"Resource":  ref(topicID),
					"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				})})},
			})
		})

		queueID, queue := rs.byPath(t, "DeadLetters/Resource")
		if queue.Properties["SqsManagedSseEnabled"] != true && queue.Properties["KmsMasterKeyId"] == nil {
			t.Errorf("%s: queue is not encrypted", rs.region)
		}
		if got := queue.Properties["MessageRetentionPeriod"]; got != float64(14*24*60*60) {
			t.Errorf("%s: queue retention = %v s, want 14 days", rs.region, got)
		}
		assert(t, rs.region+" queue TLS-only", func() {
			rs.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), &map[string]any{
				"Queues": []any{ref(queueID)},
				"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
					"Effect":    "Deny",
					"Principal": map[string]any{"AWS": "*"},
					"Action":    "sqs:*",
					"Resource":  getAtt(queueID, "Arn"),
					"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				})})},
			})
		})

		_, table := rs.byPath(t, "State/Resource")
		want := map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"DeletionProtectionEnabled":        true,
			"SSESpecification":                 map[string]any{"SSEEnabled": true},
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": "expiresAt", "Enabled": true},
			"KeySchema": []any{
				map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
				map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
			},
			"AttributeDefinitions": []any{
				map[string]any{"AttributeName": "pk", "AttributeType": "S"},
				map[string]any{"AttributeName": "sk", "AttributeType": "S"},
			},
		}
		if diff := cmp.Diff(want, table.Properties); diff != "" {
			t.Errorf("%s state table (-want +got):\n%s", rs.region, diff)
		}
		if table.DeletionPolicy != "Retain" || table.UpdateReplacePolicy != "Retain" {
			t.Errorf("%s state table policies = %q/%q, want Retain/Retain", rs.region, table.DeletionPolicy, table.UpdateReplacePolicy)
		}
	}
}

// Every alarm notifies the topic when it fires and when it clears: errors,
// throttles and lost failures of each function, and any message in the
// dead-letter queue.
func TestAlarmsNotifyTheTopic(t *testing.T) {
	for _, s := range bothShapes(t) {
		alarmsNotifyTheTopic(t, s)
	}
}

func alarmsNotifyTheTopic(t *testing.T, s *synthesis) {
	for _, rs := range s.stacks {
		topicID, _ := rs.byPath(t, "Notifications/Resource")
		queueID, _ := rs.byPath(t, "DeadLetters/Resource")
		type watch struct{ path, metric, namespace string }
		var watches []watch
		for _, f := range deployed(s.settings) {
			id := pascal(f.name)
			watches = append(watches,
				watch{id + "Errors", "Errors", "AWS/Lambda"},
				watch{id + "Throttles", "Throttles", "AWS/Lambda"})
			if !f.synchronous {
				watches = append(watches, watch{id + "DestinationFailures", "DestinationDeliveryFailures", "AWS/Lambda"})
			}
		}
		if s.settings.Organization != nil {
			watches = append(watches,
				watch{"OrgSweepFailed", "ExecutionsFailed", "AWS/States"},
				watch{"OrgSweepTimedOut", "ExecutionsTimedOut", "AWS/States"})
		}
		watches = append(watches, watch{"DeadLettersNotEmpty", "ApproximateNumberOfMessagesVisible", "AWS/SQS"})
		for _, w := range watches {
			_, alarm := rs.byPath(t, w.path+"/Resource")
			p := alarm.Properties
			if p["MetricName"] != w.metric || p["Namespace"] != w.namespace {
				t.Errorf("%s %s watches %v/%v, want %s/%s", rs.region, w.path, p["Namespace"], p["MetricName"], w.namespace, w.metric)
			}
			if p["Threshold"] != float64(1) || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
				t.Errorf("%s %s fires at %v %v, want ≥ 1", rs.region, w.path, p["ComparisonOperator"], p["Threshold"])
			}
			for _, actions := range []string{"AlarmActions", "OKActions"} {
				if diff := cmp.Diff([]any{ref(topicID)}, asJSON(t, p[actions])); diff != "" {
					t.Errorf("%s %s %s (-want +got):\n%s", rs.region, w.path, actions, diff)
				}
			}
		}
		_, queueAlarm := rs.byPath(t, "DeadLettersNotEmpty/Resource")
		want := []any{map[string]any{"Name": "QueueName", "Value": getAtt(queueID, "QueueName")}}
		if diff := cmp.Diff(want, asJSON(t, queueAlarm.Properties["Dimensions"])); diff != "" {
			t.Errorf("%s queue alarm dimensions (-want +got):\n%s", rs.region, diff)
		}
	}
}

// Each configured address gets an e-mail subscription to the topic.
func TestEmailSubscriptions(t *testing.T) {
	s := synth(t)
	for _, rs := range s.stacks {
		topicID, _ := rs.byPath(t, "Notifications/Resource")
		for _, e := range s.settings.NotificationEmails {
			assert(t, rs.region+" "+e, func() {
				rs.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), &map[string]any{
					"Protocol": "email", "Endpoint": e, "TopicArn": ref(topicID),
				})
			})
		}
	}
}

// A pattern naming a function the stack does not deploy fails synthesis
// with a message that says which file and which function.
func TestPatternForUnknownFunctionFailsSynth(t *testing.T) {
	s := synth(t)
	assets, err := placeholderAssets()
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(nil)
	bad := append(s.patterns, events.Pattern{Name: "ghost--signal", Function: "ghost", JSON: []byte(`{"source":["aws.ec2"]}`)})
	_, err = newRegionStack(app, stackProps{settings: s.settings, region: "us-east-1", assetDir: assets, patterns: bad})
	want := `events/patterns/ghost--signal.json targets function "ghost", which infra/functions.go does not deploy`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// Every folder under functions/ is deployed: adding a function without
// telling infra what it needs fails here, not in production.
func TestEveryFunctionFolderIsDeployed(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	deployed := map[string]bool{}
	for _, f := range functions {
		deployed[f.name] = true
		if _, ok := access[f.name]; !ok {
			t.Errorf("function %s has no entry in access.go", f.name)
		}
	}
	for name := range access {
		if !deployed[name] {
			t.Errorf("access.go grants %s, which functions.go does not deploy", name)
		}
	}
	for _, d := range dirs {
		if d.IsDir() && !deployed[d.Name()] {
			t.Errorf("functions/%s is not in infra/functions.go: it would be built but never deployed", d.Name())
		}
	}
}
