//go:build e2e

package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfheal/selfheal/internal/lambdarie"
)

// stackName is the stack of the suite's one region.
const stackName = "selfheal-" + region

// deployContext is the "selfheal" context the suite deploys with: this
// account, one region, an e-mail subscriber, and dry-run off so that the
// rebalancer's writes reach moto (the repository's cdk.json ships dry-run).
var deployContext = `{"account":"` + account + `","regions":["` + region + `"],` +
	`"notificationEmails":["oncall@example.com"],"policy":{"dryRun":false}}`

// deployment is the stack as deployed on moto.
type deployment struct {
	// Template is the synthesized template that was deployed.
	Template template
	// Resources is what CloudFormation lists for the stack.
	Resources []cftypes.StackResourceSummary
	// Functions by folder name ("asg-rebalancer").
	Functions map[string]deployedFunction
	// Physical ids of the stack's single resources.
	TableName, TopicARN, QueueURL, KeyID string
	// CLI is the CDK CLI's output.
	CLI string
	// Took is how long bootstrap and deploy took.
	Took time.Duration
}

// deployedFunction is one function as Lambda on moto holds it.
type deployedFunction struct {
	Folder, LogicalID, Name, ARN string
	Env                          map[string]string
}

var deployOnce = sync.OnceValues(deploy)

// deployed deploys the stack once per run and returns it.
func deployed(t *testing.T) *deployment {
	t.Helper()
	d, err := deployOnce()
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return d
}

// cdkEnv is the CDK CLI's environment: the endpoint and fake credentials,
// nothing of the caller's AWS settings. The endpoint is named localhost:
// moto reads a TemplateURL whose host is not "localhost" or
// s3.amazonaws.com as a virtual-hosted bucket (moto's gap, see
// README "Verified against").
func cdkEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "CDK_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_ENDPOINT_URL="+strings.Replace(moto.URL, "127.0.0.1", "localhost", 1),
		"AWS_ACCESS_KEY_ID="+keyCDK,
		"AWS_SECRET_ACCESS_KEY="+fakeSecret,
		"AWS_REGION="+region,
		"AWS_DEFAULT_REGION="+region,
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"CDK_DISABLE_VERSION_CHECK=1",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
		"NODE_NO_WARNINGS=1",
	)
}

func deploy() (*deployment, error) {
	ctx := context.Background()
	cli := filepath.Join(root, "infra", "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cli); err != nil {
		return nil, fmt.Errorf("the pinned CDK CLI is not installed (%v): run make e2e, which runs make infra/node_modules", err)
	}
	for _, fn := range functionFolders() {
		if _, err := os.Stat(filepath.Join(root, "bin", fn, "bootstrap")); err != nil {
			return nil, fmt.Errorf("bin/%s/bootstrap: %v: run make e2e, which runs make build first", fn, err)
		}
	}
	out, err := os.MkdirTemp("", "selfheal-e2e-cdk-out-")
	if err != nil {
		return nil, err
	}
	var log bytes.Buffer
	runCDK := func(args ...string) error {
		cmd := exec.CommandContext(ctx, cli, args...)
		cmd.Dir = root
		cmd.Env = cdkEnv()
		cmd.Stdout, cmd.Stderr = &log, &log
		fmt.Fprintf(&log, "$ cdk %s\n", strings.Join(args, " "))
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("cdk %s: %w\n%s", args[0], err, lambdarie.Tail(log.Bytes(), 40))
		}
		return nil
	}
	start := time.Now()
	if err := runCDK("bootstrap", "aws://"+account+"/"+region, "--output", out, "-c", "selfheal="+deployContext); err != nil {
		return nil, err
	}
	if err := runCDK("deploy", "--all", "--require-approval", "never", "--output", out, "-c", "selfheal="+deployContext); err != nil {
		return nil, err
	}
	d := &deployment{CLI: log.String(), Took: time.Since(start), Functions: map[string]deployedFunction{}}
	raw, err := os.ReadFile(filepath.Join(out, stackName+".template.json"))
	if err != nil {
		return nil, fmt.Errorf("the deployed template: %w", err)
	}
	if err := json.Unmarshal(raw, &d.Template); err != nil {
		return nil, fmt.Errorf("the deployed template: %w", err)
	}
	return d, d.readBack(ctx)
}

// readBack reads the stack's resources and the functions' configuration.
func (d *deployment) readBack(ctx context.Context) error {
	cf := cloudformation.NewFromConfig(harness())
	pages := cloudformation.NewListStackResourcesPaginator(cf, &cloudformation.ListStackResourcesInput{StackName: aws.String(stackName)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list stack resources: %w", err)
		}
		d.Resources = append(d.Resources, page.StackResourceSummaries...)
	}
	physical := map[string]string{}
	for _, r := range d.Resources {
		physical[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
	}
	one := func(typ string) (string, error) {
		ids := d.Template.logicalIDs(typ)
		if len(ids) != 1 {
			return "", fmt.Errorf("the template has %d %s, want 1", len(ids), typ)
		}
		p := physical[ids[0]]
		if p == "" {
			return "", fmt.Errorf("%s %s was not created", typ, ids[0])
		}
		return p, nil
	}
	var err error
	if d.TableName, err = one("AWS::DynamoDB::Table"); err != nil {
		return err
	}
	if d.TopicARN, err = one("AWS::SNS::Topic"); err != nil {
		return err
	}
	if d.QueueURL, err = one("AWS::SQS::Queue"); err != nil {
		return err
	}
	if d.KeyID, err = one("AWS::KMS::Key"); err != nil {
		return err
	}
	lc := lambda.NewFromConfig(harness())
	for _, id := range d.Template.logicalIDs("AWS::Lambda::Function") {
		folder := d.Template.functionFolder(id)
		name := physical[id]
		if folder == "" || name == "" {
			return fmt.Errorf("function %s: folder %q, physical name %q", id, folder, name)
		}
		cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("get function %s: %w", name, err)
		}
		f := deployedFunction{Folder: folder, LogicalID: id, Name: name, ARN: aws.ToString(cfg.FunctionArn)}
		if cfg.Environment != nil {
			f.Env = cfg.Environment.Variables
		}
		d.Functions[folder] = f
	}
	report.setDeployment(d)
	return nil
}

// functionFolders lists functions/<name>.
func functionFolders() []string {
	entries, _ := os.ReadDir(filepath.Join(root, "functions"))
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// template is a synthesized CloudFormation template.
type template struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
		Metadata   map[string]any `json:"Metadata"`
	} `json:"Resources"`
}

// logicalIDs are the template's resources of a type, sorted.
func (t template) logicalIDs(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sortStrings(ids)
	return ids
}

// functionFolder is the functions/<folder> a function resource deploys:
// its construct is the folder's name in PascalCase
// ("selfheal-us-east-1/AsgRebalancer/Resource" → "asg-rebalancer").
func (t template) functionFolder(logicalID string) string {
	path, _ := t.Resources[logicalID].Metadata["aws:cdk:path"].(string)
	parts := strings.Split(path, "/")
	if len(parts) < 2 {
		return ""
	}
	for _, fn := range functionFolders() {
		if pascal(fn) == parts[1] {
			return fn
		}
	}
	return ""
}

func pascal(kebab string) string {
	var b strings.Builder
	for _, w := range strings.Split(kebab, "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}
