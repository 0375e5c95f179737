package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/internal/render"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/shared/config"
)

// invokeResult is `selfheal invoke --json`.
type invokeResult struct {
	Invocation  gameday.Invocation   `json:"invocation"`
	DeadLetters []gameday.DeadLetter `json:"deadLetters"`
}

func invoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("invoke", stderr)
	eventFile := fs.String("event", "", "the event: a sample of the catalogue (e.g. aws.backup/backup-job-state-change--failed.json) or a file")
	ref := fs.String("scenario", "", "seed the simulated account from this scenario's state (default: an empty account)")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	useAWS := fs.Bool("aws", false, "run against the AWS account of the standard credential chain, in dry-run unless --apply")
	apply := fs.Bool("apply", false, "with --aws: make the writes the function decides, and publish when SELFHEAL_TOPIC_ARN is set")
	var function string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		function, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if function == "" && fs.NArg() > 0 {
		function = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "selfheal invoke: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	fn, ok := gameday.Lookup(function)
	switch {
	case function == "":
		fmt.Fprintf(stderr, "selfheal invoke: name a function (%s)\n", strings.Join(gameday.FunctionNames(), ", "))
		return exitUsage
	case !ok:
		fmt.Fprintf(stderr, "selfheal invoke: no function %q (have: %s)\n", function, strings.Join(gameday.FunctionNames(), ", "))
		return exitUsage
	case fn.New == nil:
		fmt.Fprintf(stderr, "selfheal invoke: %s runs the tasks of its state machine, not events: play a scenario with accounts (selfheal simulate)\n", function)
		return exitUsage
	case *eventFile == "":
		fmt.Fprintln(stderr, "selfheal invoke: --event is required")
		return exitUsage
	case *apply && !*useAWS:
		fmt.Fprintln(stderr, "selfheal invoke: --apply only applies with --aws (on the sim every write is simulated anyway)")
		return exitUsage
	case *useAWS && *ref != "":
		fmt.Fprintln(stderr, "selfheal invoke: --scenario seeds the simulated account; it cannot be combined with --aws")
		return exitUsage
	}
	wd, _ := os.Getwd()
	raw, err := gameday.ReadEvent(*eventFile, wd)
	if err != nil {
		fmt.Fprintf(stderr, "selfheal invoke: %v\n", err)
		return exitUsage
	}

	var res invokeResult
	if *useAWS {
		res, err = invokeAWS(ctx, fn, raw, *apply, os.Getenv, stdout, stderr)
	} else {
		res, err = invokeSim(ctx, fn, raw, *ref)
	}
	if err != nil {
		if _, bad := err.(*scenario.Error); bad {
			return reportLoadError(stderr, err)
		}
		fmt.Fprintf(stderr, "selfheal invoke: %v\n", err)
		return exitUsage
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		err = render.Invocation(stdout, &res.Invocation)
		for _, d := range res.DeadLetters {
			fmt.Fprintf(stdout, "☠ dead-letter queue: %s: %s\n", d.Kind, d.Reason)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "selfheal invoke: %v\n", err)
		return exitFailed
	}
	if res.Invocation.Failed() {
		return exitFailed
	}
	return exitOK
}

// invokeSim runs the function on the simulated account, seeded from a
// scenario's state when one is given. The sim takes the event's account
// (and, when no scenario deploys selfheal elsewhere, its region), so that
// an event captured from a real account is decided, not quarantined as
// foreign: the function's checks of where an event comes from stay on.
func invokeSim(ctx context.Context, fn gameday.Function, raw []byte, ref string) (invokeResult, error) {
	account, region := origin(raw)
	var sc *scenario.Scenario
	var err error
	if ref != "" {
		sc, err = loadScenario(ref)
	} else {
		doc := []byte(`{}`)
		if region != "" {
			doc, _ = json.Marshal(map[string]any{"region": region, "state": map[string]any{"regions": []string{region}}})
		}
		sc, err = scenario.Parse(doc, gameday.ParseOptions("empty", "empty account", ""))
	}
	if err != nil {
		return invokeResult{}, err
	}
	w, err := gameday.Build(ctx, sc, gameday.Options{AccountID: account})
	if err != nil {
		return invokeResult{}, err
	}
	inv, err := w.Invoke(ctx, fn.Name, raw, 1, "")
	if err != nil {
		return invokeResult{}, err
	}
	return invokeResult{Invocation: inv, DeadLetters: w.DeadLetters()}, nil
}

// origin is the account and region an event says it comes from, each ""
// when it does not say or says something no account or region is called.
func origin(raw []byte) (account, region string) {
	var env struct {
		Account any `json:"account"`
		Region  any `json:"region"`
	}
	if json.Unmarshal(raw, &env) != nil {
		return "", ""
	}
	if a, ok := env.Account.(string); ok && validAccount(a) {
		account = a
	}
	if r, ok := env.Region.(string); ok && config.ValidRegion(r) {
		region = r
	}
	return account, region
}

func validAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
