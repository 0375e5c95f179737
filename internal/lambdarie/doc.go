// Package lambdarie runs Lambda function binaries under the AWS Lambda
// Runtime Interface Emulator, as Lambda runs them: the emulator serves the
// Runtime API, starts the bootstrap on the first invocation, hands it each
// event and returns its response. `make bench` measures cold starts with
// it (cmd/benchreport) and `make e2e` invokes the real functions with it.
//
// It installs the pinned emulator with `go install` into a directory the
// caller chooses, binds everything to 127.0.0.1 (the emulator listens on
// all interfaces by default), and signals only the processes it started,
// by their process group.
//
// It does not build the binaries or decide what their environment holds.
package lambdarie
