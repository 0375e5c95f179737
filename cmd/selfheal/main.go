// Command selfheal runs selfheal's functions on your machine: game days on
// the simulated AWS account (simulate), and one function on one event
// (invoke), against the sim or, with --aws, a real account.
//
//	selfheal simulate [--scenario FILE|NAME] [--json] [--seed N] [--logs] [--throttle P] [--server-errors P] [--duplicates N]
//	selfheal invoke FUNCTION --event FILE [--scenario FILE|NAME] [--json] [--aws] [--apply]
//	selfheal scenarios
//
// Exit status: 0 when the game day's expectations hold (or the invocation
// returned no error), 1 when one does not (or the handler returned an
// error), 2 for a bad command line, scenario or event file.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
