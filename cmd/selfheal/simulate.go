package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/internal/render"
)

func simulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("simulate", stderr)
	ref := fs.String("scenario", "", "scenario file, or the name of a built-in one (selfheal scenarios lists them)")
	asJSON := fs.Bool("json", false, "print one JSON document instead of the report for people")
	seed := fs.Uint64("seed", 0, "seed of the sim's randomness (default: the scenario's, else 1)")
	logs := fs.Bool("logs", false, "copy the functions' own log lines and metrics to stderr")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "selfheal simulate: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	sc, err := loadScenario(*ref)
	if err != nil {
		return reportLoadError(stderr, err)
	}
	opts := gameday.Options{Seed: *seed}
	if *logs {
		opts.Log = stderr
	}
	start := time.Now()
	rep, err := gameday.Run(ctx, sc, opts)
	if err != nil {
		fmt.Fprintf(stderr, "selfheal simulate: %v\n", err)
		return exitFailed
	}
	wall := time.Since(start)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "selfheal simulate: %v\n", err)
			return exitFailed
		}
	} else if err := render.Report(stdout, rep, wall); err != nil {
		fmt.Fprintf(stderr, "selfheal simulate: %v\n", err)
		return exitFailed
	}
	if failures := rep.Failures(); len(failures) > 0 {
		for _, f := range failures {
			fmt.Fprintf(stderr, "expectation failed: %s: %s\n", f.Path, f.Detail)
		}
		return exitFailed
	}
	return exitOK
}
