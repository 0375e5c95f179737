package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/internal/render"
	"github.com/selfheal/selfheal/shared/awssim"
)

func simulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("simulate", stderr)
	ref := fs.String("scenario", "", "scenario file, or the name of a built-in one (selfheal scenarios lists them)")
	asJSON := fs.Bool("json", false, "print one JSON document instead of the report for people")
	seed := fs.Uint64("seed", 0, "seed of the sim's randomness (default: the scenario's, else 1)")
	logs := fs.Bool("logs", false, "copy the functions' own log lines and metrics to stderr")
	dups := fs.Int("duplicates", 1, "deliver every event this many times, as at-least-once delivery may")
	throttle := fs.Float64("throttle", 0, "probability (0–1) that any AWS call is throttled")
	serverErrors := fs.Float64("server-errors", 0, "probability (0–1) that any AWS call fails with a 500")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "selfheal simulate: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	faults, err := chaos(*throttle, *serverErrors)
	if err != nil || *dups < 1 {
		fmt.Fprintf(stderr, "selfheal simulate: %v\n", cmp.Or(err, errors.New("--duplicates must be at least 1")))
		return exitUsage
	}
	sc, err := loadScenario(*ref)
	if err != nil {
		return reportLoadError(stderr, err)
	}
	opts := gameday.Options{Seed: *seed, Faults: faults, Duplicates: *dups}
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

// chaos is the faults of --throttle and --server-errors: on every service
// and operation, drawn from the sim's seeded generator. The SDK's retryer
// absorbs most; what it cannot is the functions' to handle.
func chaos(throttle, serverErrors float64) ([]awssim.Fault, error) {
	var out []awssim.Fault
	for _, f := range []struct {
		flag, code string
		p          float64
	}{{"--throttle", "ThrottlingException", throttle}, {"--server-errors", "InternalFailure", serverErrors}} {
		if f.p < 0 || f.p > 1 {
			return nil, fmt.Errorf("%s %g is not a probability from 0 to 1", f.flag, f.p)
		}
		if f.p > 0 {
			out = append(out, awssim.Fault{Code: f.code, Probability: f.p})
		}
	}
	return out, nil
}
