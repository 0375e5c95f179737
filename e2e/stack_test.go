//go:build e2e

package e2e_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/e2e/motoserver"
	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/config"
)

// unmodelledTypes are the resource types moto 5.2.1's CloudFormation
// accepts and reports CREATE_COMPLETE without creating anything: they are
// listed with no type, no logical and no physical id. What they configure
// (alarms, async invocation retries and destinations, topic and queue
// policies) is therefore checked on the synthesized template by infra's
// tests only.
var unmodelledTypes = []string{
	"AWS::CloudWatch::Alarm",
	"AWS::Lambda::EventInvokeConfig",
	"AWS::SNS::Subscription",
	"AWS::SNS::TopicPolicy",
	"AWS::SQS::QueuePolicy",
}

// noPhysicalID are the types moto models without a physical id: a
// Lambda permission becomes a statement of the function's policy.
var noPhysicalID = []string{"AWS::Lambda::Permission"}

// pinned checks a value moto is known to get wrong: AWS would report want
// (what the template or the API reference says), moto 5.2.1 reports
// motoSays. Either moto's answer changed (a newer moto: the pin must go)
// or what we ask of it did.
func pinned(t *testing.T, what string, got, want, motoSays any, gap string) {
	t.Helper()
	switch {
	case reflect.DeepEqual(got, motoSays) && !reflect.DeepEqual(want, motoSays):
		report.note("%s: AWS %v, moto %v (%s)", what, want, motoSays, gap)
	case reflect.DeepEqual(got, want):
		t.Errorf("%s: moto now reports %v as AWS would: remove this pinned divergence", what, got)
	default:
		t.Errorf("%s: %v; AWS would say %v, moto %s was known to say %v", what, got, want, motoserver.Version, motoSays)
	}
}

// The stack CloudFormation on moto created is the stack the repository
// describes: every resource, every function as configured with the
// environment the functions accept, every pattern of events/patterns on a
// rule targeting its function with the dead-letter queue, the table, the
// encrypted topic and the queue.
func TestDeployedStack(t *testing.T) {
	d := deployed(t)
	ctx := context.Background()
	cfg := harness()

	t.Run("resources", func(t *testing.T) {
		out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stackName)})
		if err != nil || len(out.Stacks) != 1 {
			t.Fatalf("describe stack: %v", err)
		}
		if st := out.Stacks[0].StackStatus; st != "CREATE_COMPLETE" {
			t.Errorf("stack status %s", st)
		}
		if len(d.Resources) != len(d.Template.Resources) {
			t.Errorf("%d resources listed, the template has %d", len(d.Resources), len(d.Template.Resources))
		}
		unnamed := 0
		for _, r := range d.Resources {
			id := aws.ToString(r.LogicalResourceId)
			if id == "" {
				unnamed++
				continue
			}
			tr, ok := d.Template.Resources[id]
			if !ok || tr.Type != aws.ToString(r.ResourceType) ||
				(aws.ToString(r.PhysicalResourceId) == "") != slices.Contains(noPhysicalID, tr.Type) {
				t.Errorf("listed %s %s (%q): not in the template as such", aws.ToString(r.ResourceType), id, aws.ToString(r.PhysicalResourceId))
			}
		}
		want := 0
		for _, typ := range unmodelledTypes {
			want += len(d.Template.logicalIDs(typ))
		}
		if unnamed != want {
			t.Errorf("%d resources created without a model, want the template's %d of %v", unnamed, want, unmodelledTypes)
		}
		report.note("CloudFormation creates nothing for %s (listed with no type or id)", strings.Join(unmodelledTypes, ", "))
	})

	t.Run("functions", func(t *testing.T) {
		lc := lambda.NewFromConfig(cfg)
		// A single account deploys the functions of the game day's
		// single-account shape (infra/gameday_test.go keeps the two
		// equal); org-sweep belongs to an organization's hub only.
		var deployed []string
		for _, fn := range d.Functions {
			deployed = append(deployed, fn.Folder)
		}
		if diff := cmp.Diff(gameday.FunctionNames(), deployed, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Fatalf("functions deployed (-single-account shape +moto):\n%s", diff)
		}
		for _, fn := range d.Functions {
			props := d.Template.Resources[fn.LogicalID].Properties
			got, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn.Name)})
			if err != nil {
				t.Fatal(err)
			}
			c := got.Configuration
			if string(c.Runtime) != props["Runtime"] || aws.ToString(c.Handler) != props["Handler"] ||
				float64(aws.ToInt32(c.Timeout)) != props["Timeout"] || float64(aws.ToInt32(c.MemorySize)) != props["MemorySize"] {
				t.Errorf("%s: runtime %s, handler %s, timeout %d, memory %d; template %v %v %v %v", fn.Folder, c.Runtime,
					aws.ToString(c.Handler), aws.ToInt32(c.Timeout), aws.ToInt32(c.MemorySize), props["Runtime"], props["Handler"], props["Timeout"], props["MemorySize"])
			}
			var arch []string
			for _, a := range c.Architectures {
				arch = append(arch, string(a))
			}
			pinned(t, fn.Folder+" architectures", arch, []string{"arm64"}, []string{"x86_64"},
				"moto's CloudFormation does not pass Architectures to Lambda")
			if fmt.Sprint(props["Architectures"]) != "[arm64]" {
				t.Errorf("%s: the template's architectures %v, want [arm64]", fn.Folder, props["Architectures"])
			}

			// The environment is the template's, references resolved to
			// the stack's resources, and the functions accept it.
			wantEnv := map[string]string{}
			vars, _ := props["Environment"].(map[string]any)["Variables"].(map[string]any)
			for k, v := range vars {
				wantEnv[k] = d.resolve(v)
			}
			if diff := cmp.Diff(wantEnv, fn.Env); diff != "" {
				t.Errorf("%s environment (-template +deployed):\n%s", fn.Folder, diff)
			}
			loaded, err := config.Load(func(k string) string {
				if k == config.EnvRegion {
					return region
				}
				return fn.Env[k]
			})
			if err != nil {
				t.Errorf("%s: the functions refuse the deployed environment: %v", fn.Folder, err)
				continue
			}
			want := config.DefaultPolicy()
			want.DryRun = false
			if diff := cmp.Diff(want, loaded.Policy, cmp.AllowUnexported(config.Duration{})); diff != "" {
				t.Errorf("%s: deployed policy is not the deploy context's (-want +got):\n%s", fn.Folder, diff)
			}
			if loaded.TableName != d.TableName || loaded.TopicARN != d.TopicARN || loaded.QueueURL != d.QueueURL {
				t.Errorf("%s: table %s, topic %s, queue %s; the stack's are %s, %s, %s", fn.Folder, loaded.TableName, loaded.TopicARN, loaded.QueueURL,
					d.TableName, d.TopicARN, d.QueueURL)
			}

			// Reserved concurrency as the template asks.
			conc, err := lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(fn.Name)})
			if err != nil {
				t.Fatal(err)
			}
			wantConc, _ := props["ReservedConcurrentExecutions"].(float64)
			if float64(aws.ToInt32(conc.ReservedConcurrentExecutions)) != wantConc {
				t.Errorf("%s: reserved concurrency %d, template %v", fn.Folder, aws.ToInt32(conc.ReservedConcurrentExecutions), wantConc)
			}

			// The code Lambda holds is the asset the CLI uploaded, and the
			// asset is bin/<folder>/bootstrap as make build made it.
			d.checkCode(t, fn, props, aws.ToString(c.CodeSha256))
		}
	})

	t.Run("rules", func(t *testing.T) {
		eb := eventbridge.NewFromConfig(cfg)
		queueARN := d.queueARN(t)
		patterns, err := events.Patterns()
		if err != nil {
			t.Fatal(err)
		}
		wantPatterns := map[string]string{} // canonical pattern → function
		for _, p := range patterns {
			wantPatterns[canonical(t, p.JSON)] = p.Function
		}
		gotPatterns := map[string]string{}
		var schedules []string
		for _, id := range d.Template.logicalIDs("AWS::Events::Rule") {
			name := d.physical(id)
			rule, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
			if err != nil {
				t.Fatalf("describe rule %s: %v", name, err)
			}
			if rule.State != "ENABLED" {
				t.Errorf("rule %s is %s", name, rule.State)
			}
			targets, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			if len(targets.Targets) != 1 {
				t.Fatalf("rule %s has %d targets, want 1", name, len(targets.Targets))
			}
			tg := targets.Targets[0]
			fn := d.functionByARN(aws.ToString(tg.Arn))
			if fn == "" {
				t.Errorf("rule %s targets %s, not a function of the stack", name, aws.ToString(tg.Arn))
			}
			if tg.DeadLetterConfig == nil || aws.ToString(tg.DeadLetterConfig.Arn) != queueARN {
				t.Errorf("rule %s: dead-letter config %+v, want the stack's queue %s", name, tg.DeadLetterConfig, queueARN)
			}
			tmplTarget := d.Template.Resources[id].Properties["Targets"].([]any)[0].(map[string]any)
			wantRetry := tmplTarget["RetryPolicy"].(map[string]any)
			if tg.RetryPolicy == nil || float64(aws.ToInt32(tg.RetryPolicy.MaximumRetryAttempts)) != wantRetry["MaximumRetryAttempts"] ||
				float64(aws.ToInt32(tg.RetryPolicy.MaximumEventAgeInSeconds)) != wantRetry["MaximumEventAgeInSeconds"] {
				t.Errorf("rule %s: retry policy %+v, template %v", name, tg.RetryPolicy, wantRetry)
			}
			// EventBridge may invoke the function for this rule (the
			// template's AWS::Lambda::Permission, a statement of the
			// function's policy).
			if fn != "" && !d.allowsRule(t, fn, aws.ToString(rule.Arn)) {
				t.Errorf("rule %s: %s's policy does not let events.amazonaws.com invoke it for %s", name, fn, aws.ToString(rule.Arn))
			}
			if s := aws.ToString(rule.ScheduleExpression); s != "" {
				if s != d.Template.Resources[id].Properties["ScheduleExpression"] {
					t.Errorf("rule %s: schedule %s, template %v", name, s, d.Template.Resources[id].Properties["ScheduleExpression"])
				}
				schedules = append(schedules, fn+" "+s)
				continue
			}
			c := canonical(t, []byte(aws.ToString(rule.EventPattern)))
			if _, dup := gotPatterns[c]; dup {
				t.Errorf("rule %s: pattern deployed twice", name)
			}
			gotPatterns[c] = fn
		}
		if diff := cmp.Diff(wantPatterns, gotPatterns); diff != "" {
			t.Errorf("deployed patterns and their functions are not events/patterns (-repo +deployed):\n%s", diff)
		}
		slices.Sort(schedules)
		if diff := cmp.Diff([]string{"asg-rebalancer rate(5 minutes)", "compliance-sweep rate(1 hour)"}, schedules); diff != "" {
			t.Errorf("schedules (-want +deployed):\n%s", diff)
		}
	})

	t.Run("table", func(t *testing.T) {
		db := dynamodb.NewFromConfig(cfg)
		props := d.Template.Resources[d.Template.logicalIDs("AWS::DynamoDB::Table")[0]].Properties
		tbl, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(d.TableName)})
		if err != nil {
			t.Fatal(err)
		}
		var keys []any
		for _, k := range tbl.Table.KeySchema {
			keys = append(keys, map[string]any{"AttributeName": aws.ToString(k.AttributeName), "KeyType": string(k.KeyType)})
		}
		if diff := cmp.Diff(props["KeySchema"], any(keys)); diff != "" {
			t.Errorf("key schema (-template +deployed):\n%s", diff)
		}
		if tbl.Table.BillingModeSummary == nil || string(tbl.Table.BillingModeSummary.BillingMode) != props["BillingMode"] {
			t.Errorf("billing mode %+v, template %v", tbl.Table.BillingModeSummary, props["BillingMode"])
		}
		if aws.ToBool(tbl.Table.DeletionProtectionEnabled) != props["DeletionProtectionEnabled"] {
			t.Errorf("deletion protection %v, template %v", aws.ToBool(tbl.Table.DeletionProtectionEnabled), props["DeletionProtectionEnabled"])
		}
		pitr, err := db.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(d.TableName)})
		if err != nil {
			t.Fatal(err)
		}
		wantPITR := props["PointInTimeRecoverySpecification"].(map[string]any)["PointInTimeRecoveryEnabled"] == true
		pinned(t, "state table point-in-time recovery enabled",
			pitr.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == "ENABLED", wantPITR, false,
			"moto's CloudFormation ignores PointInTimeRecoverySpecification")
		ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(d.TableName)})
		if err != nil {
			t.Fatal(err)
		}
		wantTTL := props["TimeToLiveSpecification"].(map[string]any)
		pinned(t, "state table TTL", string(ttl.TimeToLiveDescription.TimeToLiveStatus),
			map[bool]string{true: "ENABLED", false: "DISABLED"}[wantTTL["Enabled"] == true], "DISABLED",
			"moto's CloudFormation ignores TimeToLiveSpecification")
	})

	t.Run("topic", func(t *testing.T) {
		sc := sns.NewFromConfig(cfg)
		attrs, err := sc.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(d.TopicARN)})
		if err != nil {
			t.Fatal(err)
		}
		keyARN := "arn:aws:kms:" + region + ":" + account + ":key/" + d.KeyID
		if got := attrs.Attributes["KmsMasterKeyId"]; got != keyARN {
			t.Errorf("topic encrypted with %q, want the stack's key %s", got, keyARN)
		}
		subs, err := sc.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(d.TopicARN)})
		if err != nil {
			t.Fatal(err)
		}
		var email []string
		for _, s := range subs.Subscriptions {
			if aws.ToString(s.Protocol) == "email" {
				email = append(email, aws.ToString(s.Endpoint))
			}
		}
		var wantEmail []string
		for _, id := range d.Template.logicalIDs("AWS::SNS::Subscription") {
			if p := d.Template.Resources[id].Properties; p["Protocol"] == "email" {
				wantEmail = append(wantEmail, fmt.Sprint(p["Endpoint"]))
			}
		}
		if diff := cmp.Diff([]string{"oncall@example.com"}, wantEmail); diff != "" {
			t.Errorf("the template's e-mail subscriptions are not the deploy context's (-context +template):\n%s", diff)
		}
		pinned(t, "e-mail subscriptions of the topic", email, wantEmail, []string(nil),
			"moto's CloudFormation does not create AWS::SNS::Subscription")
	})

	t.Run("queue", func(t *testing.T) {
		props := d.Template.Resources[d.Template.logicalIDs("AWS::SQS::Queue")[0]].Properties
		attrs, err := sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(d.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		if got := attrs.Attributes["MessageRetentionPeriod"]; got != strconv.FormatFloat(props["MessageRetentionPeriod"].(float64), 'f', -1, 64) {
			t.Errorf("retention %s, template %v", got, props["MessageRetentionPeriod"])
		}
		if got := attrs.Attributes["SqsManagedSseEnabled"]; got != strconv.FormatBool(props["SqsManagedSseEnabled"] == true) {
			t.Errorf("SQS-managed encryption %s, template %v", got, props["SqsManagedSseEnabled"])
		}
	})
}

// resolve turns a template value into the deployed one: a string as is, a
// Ref to the stack resource's physical id.
func (d *deployment) resolve(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			return d.physical(ref)
		}
	}
	b, _ := json.Marshal(v)
	return "unresolved " + string(b)
}

func (d *deployment) physical(logicalID string) string {
	for _, r := range d.Resources {
		if aws.ToString(r.LogicalResourceId) == logicalID {
			return aws.ToString(r.PhysicalResourceId)
		}
	}
	return ""
}

func (d *deployment) functionByARN(arn string) string {
	for _, f := range d.Functions {
		if f.ARN == arn {
			return f.Folder
		}
	}
	return ""
}

// allowsRule reports whether the function's resource policy lets
// EventBridge invoke it for the rule.
func (d *deployment) allowsRule(t *testing.T, folder, ruleARN string) bool {
	t.Helper()
	out, err := lambda.NewFromConfig(harness()).GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String(d.Functions[folder].Name)})
	if err != nil {
		t.Fatalf("get policy of %s: %v", folder, err)
	}
	var doc struct {
		Statement []struct {
			Effect    string
			Action    any
			Principal any
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		t.Fatalf("policy of %s: %v: %s", folder, err, aws.ToString(out.Policy))
	}
	for _, st := range doc.Statement {
		if st.Effect == "Allow" && fmt.Sprint(st.Action) == "lambda:InvokeFunction" &&
			strings.Contains(fmt.Sprint(st.Principal), "events.amazonaws.com") && st.Condition["ArnLike"]["AWS:SourceArn"] == ruleARN {
			return true
		}
	}
	t.Logf("policy of %s: %s", folder, aws.ToString(out.Policy))
	return false
}

func (d *deployment) queueARN(t *testing.T) string {
	t.Helper()
	attrs, err := sqs.NewFromConfig(harness()).GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(d.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return attrs.Attributes["QueueArn"]
}

// checkCode compares the function's code with the uploaded asset and the
// asset with the local build. The asset is read with a signed GET: the
// bootstrap bucket's policy, which moto enforces, refuses anonymous reads.
func (d *deployment) checkCode(t *testing.T, fn deployedFunction, props map[string]any, codeSHA string) {
	t.Helper()
	code := props["Code"].(map[string]any)
	bucket := strings.ReplaceAll(fmt.Sprint(code["S3Bucket"]), "${AWS::AccountId}", account)
	req, err := http.NewRequest(http.MethodGet, moto.URL+"/"+bucket+"/"+fmt.Sprint(code["S3Key"]), nil)
	if err != nil {
		t.Fatal(err)
	}
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	creds, _ := harness().Credentials.Retrieve(context.Background())
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "s3", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	asset, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: asset %s/%v: status %d, %v", fn.Folder, bucket, code["S3Key"], resp.StatusCode, err)
	}
	sum := sha256.Sum256(asset)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != codeSHA {
		t.Errorf("%s: Lambda's CodeSha256 %s, the uploaded asset's %s", fn.Folder, codeSHA, got)
	}
	zr, err := zip.NewReader(bytes.NewReader(asset), int64(len(asset)))
	if err != nil {
		t.Fatalf("%s: asset: %v", fn.Folder, err)
	}
	local, err := os.ReadFile(filepath.Join(root, "bin", fn.Folder, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != "bootstrap" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		deployedBin, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(deployedBin, local) {
			t.Errorf("%s: the deployed bootstrap (%d bytes) is not bin/%s/bootstrap (%d bytes)", fn.Folder, len(deployedBin), fn.Folder, len(local))
		}
		if f.Mode()&0o111 == 0 {
			t.Errorf("%s: the deployed bootstrap is not executable (%v)", fn.Folder, f.Mode())
		}
		return
	}
	t.Errorf("%s: no bootstrap in the asset", fn.Folder)
}

// canonical is a JSON document re-encoded with sorted keys.
func canonical(t *testing.T, doc []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, doc)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
