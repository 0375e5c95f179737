package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/cmd/selfheal/scenarios"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // an expectation failed, or the handler returned an error
	exitUsage  = 2 // bad command line, scenario or event file
)

const usage = `usage:
  selfheal simulate [--scenario FILE|NAME] [--json] [--seed N] [--logs]
                    [--throttle P] [--server-errors P] [--duplicates N]
      Run a game day on the simulated AWS account (default: the built-in "default"),
      optionally with injected AWS faults and duplicate event delivery.
  selfheal invoke FUNCTION --event FILE [--scenario FILE|NAME] [--json] [--aws] [--apply]
      Run one function's handler on one event, against the sim or (--aws) your account.
  selfheal scenarios
      List the built-in scenarios.

Exit status: 0 expectations hold / handler succeeded, 1 one failed, 2 bad input.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "simulate":
		return simulate(ctx, args[1:], stdout, stderr)
	case "invoke":
		return invoke(ctx, args[1:], stdout, stderr)
	case "scenarios":
		return listScenarios(stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "selfheal: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// newFlags is a flag set that reports to stderr and never exits.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("selfheal "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// loadScenario reads a scenario: a built-in by name, or a file. An empty
// ref is the default game day.
func loadScenario(ref string) (*scenario.Scenario, error) {
	if ref == "" {
		ref = scenarios.Default
	}
	isPath := strings.ContainsAny(ref, `/\`) || strings.HasSuffix(ref, ".json")
	if !isPath {
		data, err := scenarios.Read(ref)
		if err != nil {
			if _, statErr := os.Stat(ref); statErr != nil {
				return nil, err
			}
		} else {
			return scenario.Parse(data, gameday.ParseOptions(ref, "built-in "+ref, ""))
		}
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	name := strings.TrimSuffix(filepath.Base(ref), ".json")
	return scenario.Parse(data, gameday.ParseOptions(name, ref, filepath.Dir(ref)))
}

// reportLoadError prints why a scenario could not be loaded, every problem
// on its own line.
func reportLoadError(stderr io.Writer, err error) int {
	var serr *scenario.Error
	if errors.As(err, &serr) {
		fmt.Fprintf(stderr, "selfheal: %s has %d problem(s):\n", serr.File, len(serr.Problems))
		for _, p := range serr.Problems {
			fmt.Fprintf(stderr, "  %s\n", p)
		}
		return exitUsage
	}
	fmt.Fprintf(stderr, "selfheal: %v\n", err)
	return exitUsage
}

func listScenarios(stdout, stderr io.Writer) int {
	for _, name := range scenarios.Names() {
		sc, err := loadScenario(name)
		if err != nil {
			return reportLoadError(stderr, err)
		}
		fmt.Fprintf(stdout, "%-20s %s\n", name, sc.Description)
	}
	return exitOK
}
