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
//
// The command only parses flags and prints: scenarios are parsed by
// package scenario, run by package gameday, printed by internal/render.
// docs/scenarios.md is the reference. It is not deployed: the Lambdas are
// functions/*, and only this command loads the AWS SDK's default
// configuration chain (for invoke --aws).
package main
