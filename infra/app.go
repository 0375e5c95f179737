package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/selfheal/selfheal/events"
)

// deployment is what build adds to the app.
type deployment struct {
	// regions holds one stack per configured region, in the order of the
	// settings' regions: the whole suite, or an organization's hub.
	regions []awscdk.Stack
	// members is the organization's member side, nil for a single account.
	members *members
}

// build adds one stack per configured region to app and, with an
// organization, the member templates and the StackSets that deploy them.
// The settings come from the app's "selfheal" context (cdk.json), the rules
// from the event catalogue, the function code from
// assetDir/<function>/bootstrap. checks are aspects (cdk-nag in the tests)
// for the member stage, which the app's own aspects do not reach.
func build(app awscdk.App, assetDir string, getenv func(string) string, checks ...awscdk.IAspect) (deployment, settings, error) {
	s, err := parseSettings(app.Node().TryGetContext(jsii.String(contextKey)), getenv)
	if err != nil {
		return deployment{}, settings{}, err
	}
	for _, f := range deployed(s) {
		bootstrap := filepath.Join(assetDir, f.name, "bootstrap")
		if _, err := os.Stat(bootstrap); err != nil {
			return deployment{}, settings{}, fmt.Errorf("%s is missing: run `make build` first (make synth does)", bootstrap)
		}
	}
	patterns, err := events.Patterns()
	if err != nil {
		return deployment{}, settings{}, fmt.Errorf("read the event catalogue: %w", err)
	}
	var d deployment
	for _, region := range s.Regions {
		stack, err := newRegionStack(app, stackProps{settings: s, region: region, assetDir: assetDir, patterns: patterns})
		if err != nil {
			return deployment{}, settings{}, fmt.Errorf("stack for %s: %w", region, err)
		}
		d.regions = append(d.regions, stack)
	}
	if s.Organization == nil {
		return d, s, nil
	}
	if d.members, err = newMembers(app, s, patterns, checks); err != nil {
		return deployment{}, settings{}, fmt.Errorf("member accounts: %w", err)
	}
	// Members forward to the hub buses: they exist first.
	for _, hub := range d.regions {
		d.members.stack.AddStackDependency(hub, jsii.String("member accounts forward to its bus"))
	}
	return d, s, nil
}
