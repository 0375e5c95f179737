package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/selfheal/selfheal/events"
)

// build adds one stack per configured region to app. The settings come from
// the app's "selfheal" context (cdk.json), the rules from the event
// catalogue, the function code from assetDir/<function>/bootstrap.
func build(app awscdk.App, assetDir string, getenv func(string) string) ([]awscdk.Stack, settings, error) {
	s, err := parseSettings(app.Node().TryGetContext(jsii.String(contextKey)), getenv)
	if err != nil {
		return nil, settings{}, err
	}
	for _, f := range functions {
		bootstrap := filepath.Join(assetDir, f.name, "bootstrap")
		if _, err := os.Stat(bootstrap); err != nil {
			return nil, settings{}, fmt.Errorf("%s is missing: run `make build` first (make synth does)", bootstrap)
		}
	}
	patterns, err := events.Patterns()
	if err != nil {
		return nil, settings{}, fmt.Errorf("read the event catalogue: %w", err)
	}
	var stacks []awscdk.Stack
	for _, region := range s.Regions {
		stack, err := newRegionStack(app, stackProps{settings: s, region: region, assetDir: assetDir, patterns: patterns})
		if err != nil {
			return nil, settings{}, fmt.Errorf("stack for %s: %w", region, err)
		}
		stacks = append(stacks, stack)
	}
	return stacks, s, nil
}
