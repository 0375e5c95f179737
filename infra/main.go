package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/selfheal/selfheal/shared/config"
)

func main() {
	app := awscdk.NewApp(nil)
	_, s, err := build(app, "bin", os.Getenv)
	if err != nil {
		jsii.Close()
		fmt.Fprintln(os.Stderr, describe(err))
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "selfheal: account %s (%s), regions %s\n", s.Account, s.AccountSource, strings.Join(s.Regions, ", "))
	if s.Organization != nil {
		fmt.Fprintf(os.Stderr, "selfheal: hub of organization %s; StackSets (%s) reach %s\n",
			s.Organization.ID, callAs(s), stackSetTargets(s))
	}
	app.Synth(nil)
	jsii.Close()
}

// describe lists every context problem on its own line.
func describe(err error) string {
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		return "selfheal: " + err.Error()
	}
	return fmt.Sprintf("selfheal: cdk.json context %q has %d problem(s):\n  - %s",
		contextKey, len(cerr.Problems), strings.Join(cerr.Problems, "\n  - "))
}
