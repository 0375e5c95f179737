// Package scenarios holds the game days shipped with selfheal, embedded in
// the binary so that `selfheal simulate --scenario NAME` runs them from
// anywhere. Each is a scenario file (docs/scenarios.md) that passes; make
// test runs them all.
package scenarios
