// Package scenario is the game-day file format of selfheal simulate: the
// account to build on the simulated AWS account (state), the policy the
// deployment runs with, what happens and when (timeline), and what must
// hold afterwards (expect). docs/scenarios.md is its reference.
//
// Parse is strict: unknown keys, wrong JSON types, missing fields, bad
// values and dangling references (a step naming a group the state does not
// have) are all reported together, each with its JSON path, e.g.
// `timeline[3].at: "5x" is not a duration`. A scenario that parses is
// complete: nothing runs half-configured.
//
// It does not run anything: package gameday does. It knows nothing of the
// functions either; the caller passes the names of the functions that
// exist (Options.Functions) so that a step naming another is an error.
package scenario
