package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/selfheal/selfheal/events"
)

// The CDK tests share one synthesis: the first costs seconds (it starts the
// jsii kernel), and every assertion reads the same cloud assembly.
// jsii.Close runs once, after every test.
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	for _, dir := range tempDirs {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// tempDirs are removed after the last test (the shared synthesis outlives
// any one test's t.TempDir).
var tempDirs []string

func tempDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err == nil {
		tempDirs = append(tempDirs, dir)
	}
	return dir, err
}

// testRegions and testEmails extend cdk.json's context so the tests see more
// than one regional stack and a subscription; everything else (the policy,
// the schedule, the feature flags) is cdk.json's own.
var (
	testRegions = []any{"us-east-1", "eu-west-1"}
	testEmails  = []any{"ops@example.com"}
)

// synthesis is the app as `cdk synth` builds it from cdk.json, with the
// AwsSolutions checks applied.
type synthesis struct {
	settings settings
	patterns []events.Pattern
	stacks   []*regionStack
	// With an organization: the stack of the StackSets and the member
	// templates they deploy.
	organization, memberAccess, memberEvents *regionStack
}

// all is every template of the synthesis.
func (s *synthesis) all() []*regionStack {
	out := slices.Clone(s.stacks)
	for _, rs := range []*regionStack{s.organization, s.memberAccess, s.memberEvents} {
		if rs != nil {
			out = append(out, rs)
		}
	}
	return out
}

// regionStack is one synthesized stack.
type regionStack struct {
	region   string
	stack    awscdk.Stack
	template assertions.Template
	file     string // the template file as cdk synth writes it
	doc      cfnTemplate
	// path is the construct path of the stack (its name, or the member
	// stage's and its name).
	path string
}

type cfnTemplate struct {
	Resources map[string]cfnResource `json:"Resources"`
	Outputs   map[string]any         `json:"Outputs"`
}

type cfnResource struct {
	Type                string         `json:"Type"`
	Properties          map[string]any `json:"Properties"`
	Metadata            map[string]any `json:"Metadata"`
	DeletionPolicy      string         `json:"DeletionPolicy"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy"`
}

var shared = sync.OnceValues(func() (*synthesis, error) { return synthesize(nil) })

// sharedOrganization is the app synthesized with the README's example
// organization context (docs/organization-example.json) as "selfheal".
var sharedOrganization = sync.OnceValues(func() (*synthesis, error) {
	b, err := os.ReadFile(exampleOrganization)
	if err != nil {
		return nil, err
	}
	var example map[string]any
	if err := json.Unmarshal(b, &example); err != nil {
		return nil, fmt.Errorf("%s: %w", exampleOrganization, err)
	}
	return synthesize(example)
})

// exampleOrganization is the organization context the README shows.
var exampleOrganization = filepath.Join("..", "docs", "organization-example.json")

// bothShapes is the single-account and the organization synthesis.
func bothShapes(t *testing.T) []*synthesis {
	t.Helper()
	return []*synthesis{synth(t), synthOrganization(t)}
}

// synthOrganization returns the shared organization synthesis.
func synthOrganization(t *testing.T) *synthesis {
	t.Helper()
	s, err := sharedOrganization()
	if err != nil {
		t.Fatalf("synthesize the organization app: %v", err)
	}
	return s
}

// synth returns the shared synthesis, failing the test if it failed.
func synth(t *testing.T) *synthesis {
	t.Helper()
	s, err := shared()
	if err != nil {
		t.Fatalf("synthesize the app: %v", err)
	}
	return s
}

// synthesize builds the app from cdk.json's context, with selfheal as the
// "selfheal" value if given (as `cdk synth -c selfheal=...` does), else
// cdk.json's with the test regions and e-mails.
func synthesize(selfheal map[string]any) (*synthesis, error) {
	ctx, err := cdkContext()
	if err != nil {
		return nil, err
	}
	if selfheal == nil {
		selfheal, _ = ctx[contextKey].(map[string]any)
		if selfheal == nil {
			return nil, fmt.Errorf("cdk.json has no %q context", contextKey)
		}
		selfheal["regions"] = testRegions
		selfheal["notificationEmails"] = testEmails
	}
	ctx[contextKey] = selfheal
	// What the CDK CLI adds to every synthesis (cdk.json cannot set these).
	ctx["aws:cdk:enable-path-metadata"] = true
	ctx["aws:cdk:enable-asset-metadata"] = true

	assets, err := placeholderAssets()
	if err != nil {
		return nil, err
	}
	outdir, err := tempDir("selfheal-cdk-out-")
	if err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	nag := func() awscdk.IAspect {
		return cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)})
	}
	awscdk.Aspects_Of(app).Add(nag(), nil)
	d, s, err := build(app, assets, func(string) string { return "" }, nag())
	if err != nil {
		return nil, err
	}
	stacks := d.regions
	if err := synthApp(app); err != nil {
		return nil, err
	}

	out := &synthesis{settings: s}
	if out.patterns, err = events.Patterns(); err != nil {
		return nil, err
	}
	read := func(st awscdk.Stack, region, dir, path string) (*regionStack, error) {
		rs := &regionStack{
			region:   region,
			stack:    st,
			template: assertions.Template_FromStack(st, nil),
			file:     filepath.Join(dir, *st.TemplateFile()),
			path:     path,
		}
		b, err := os.ReadFile(rs.file)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &rs.doc); err != nil {
			return nil, fmt.Errorf("%s: %w", rs.file, err)
		}
		return rs, nil
	}
	for i, st := range stacks {
		rs, err := read(st, s.Regions[i], outdir, stackName(s.Regions[i]))
		if err != nil {
			return nil, err
		}
		out.stacks = append(out.stacks, rs)
	}
	if m := d.members; m != nil {
		if out.organization, err = read(m.stack, s.homeRegion(), outdir, organizationStack); err != nil {
			return nil, err
		}
		stageDir := *m.stage.Outdir()
		if out.memberAccess, err = read(m.access, "", stageDir, membersStage+"/"+memberAccessStack); err != nil {
			return nil, err
		}
		if out.memberEvents, err = read(m.events, "", stageDir, membersStage+"/"+memberEventsStack); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// synthApp synthesizes, turning the CDK's panic into an error. With the
// recommended feature flags an error annotation (an unsuppressed cdk-nag
// finding among them) fails synthesis itself; the findings are printed above
// the test output.
func synthApp(app awscdk.App) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed (unsuppressed AwsSolutions errors are listed above): %v", r)
		}
	}()
	app.Synth(nil)
	return nil
}

// cdkContext is the "context" of the repository's cdk.json.
func cdkContext() (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	return doc.Context, nil
}

// placeholderAssets is a folder with a bootstrap per function, so the tests
// do not depend on `make build`. Each differs, as real binaries do.
func placeholderAssets() (string, error) {
	dir, err := tempDir("selfheal-assets-")
	if err != nil {
		return "", err
	}
	for _, f := range functions {
		if err := os.MkdirAll(filepath.Join(dir, f.name), 0o755); err != nil {
			return "", err
		}
		body := "#!/bin/sh\n# placeholder for " + f.name + "\n"
		if err := os.WriteFile(filepath.Join(dir, f.name, "bootstrap"), []byte(body), 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// assert runs a CDK assertion, which panics when it fails, as a test error.
func assert(t *testing.T, what string, check func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	check()
}

// byPath finds the resource synthesized for a construct path below the
// stack, e.g. "AsgRebalancer/Resource". It returns the logical ID.
func (rs *regionStack) byPath(t *testing.T, path string) (string, cfnResource) {
	t.Helper()
	want := rs.path + "/" + path
	for id, r := range rs.doc.Resources {
		if r.Metadata["aws:cdk:path"] == want {
			return id, r
		}
	}
	t.Fatalf("%s: no resource at %s", rs.path, want)
	return "", cfnResource{}
}

// ofType lists the resources of one CloudFormation type by logical ID.
func (rs *regionStack) ofType(typ string) map[string]cfnResource {
	out := map[string]cfnResource{}
	for id, r := range rs.doc.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

func ref(id string) map[string]any { return map[string]any{"Ref": id} }

func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

// asJSON normalises a value to what encoding/json decodes it to, so Go
// literals compare with decoded templates.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
