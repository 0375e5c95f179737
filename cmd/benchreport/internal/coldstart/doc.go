// Package coldstart measures how a Lambda function starts: a process
// started against a Runtime API, the time from exec to its first poll for
// work (GET /runtime/invocation/next: the end of Lambda's init phase), the
// round trip of its first invocation, and its peak resident memory.
//
// Two Runtime APIs are used. [Launch] serves a minimal one in process,
// stamping each request as it arrives, so init is measured to the
// microsecond from the exec; it runs anything that speaks the API (a Go
// bootstrap, a Python script). [RIE] runs the AWS Lambda Runtime Interface
// Emulator (through internal/lambdarie, which make e2e shares) and reads
// its own INIT REPORT, the figure Lambda would bill,
// as a cross-check that the in-process API measures what Lambda measures.
// [InitTrace] reads GODEBUG=inittrace=1 output to say where a Go binary's
// init time goes.
//
// Only processes this package starts are signalled, by their id.
// Everything listens on 127.0.0.1.
//
// It does not build binaries (builds does) or judge the numbers.
package coldstart
