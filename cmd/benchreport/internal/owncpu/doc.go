// Package owncpu measures what a function spends on one event itself: the
// time its handler takes, on the simulated account, minus the time the
// account spends answering its calls. That is the CPU Lambda bills for the
// event beyond waiting on AWS: decoding, deciding, the SDK's own request
// building, signing and parsing, logging and metrics.
//
// A shipped game day's world is seeded (cmd/selfheal/gameday.Build) and
// the functions are deployed on it again, over SDK clients with one more
// middleware that times the sim's answer of every attempt. The story is
// then driven by hand — an AZ issue opened and closed, the nightly backup
// and its copy, schedules firing — and every event the account emits is
// routed by the deployed rules (events/patterns) and delivered to its
// function one at a time, after a garbage collection, so that nothing but
// the event is measured.
//
// The handlers run on one goroutine, so their wall time is their CPU time
// on an idle core. The sweep, whose reads run concurrently, is not
// measured here (see the scale benchmarks).
package owncpu
