// Package builds makes the binaries the cold-start measurements start:
// each function built for the host with the flags of its Lambda build, and
// its floors — a Go program that only imports the same AWS SDK service
// packages and starts aws-lambda-go, and the same clients built by Python
// boto3 — so that a function's init can be compared with the least any
// Lambda using those clients pays.
//
// Generated floor sources are given to `go build -overlay` as if they were
// in the module: nothing is written into the repository.
//
// It does not run or time anything.
package builds
