// Package awsapi builds the AWS SDK configuration and clients every selfheal
// function shares: a Lambda-lean aws.Config (credentials from the Lambda
// environment, adaptive retry mode, the endpoints AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> configure, read as the SDK reads them) and a
// per-region client cache, so a function that reads a DR region builds that
// region's client once.
//
// The narrow interfaces over SDK clients are owned by the packages that
// consume them (rebalance, compliance, state, notify, …), each in one file
// named aws.go with compile-time checks against the real clients. They are
// not gathered here on purpose: a package that declared every interface
// would link every service package into every function, and each service
// package's init costs milliseconds of cold start and megabytes of binary
// (see BENCHMARKS.md). Each function imports only the clients it calls.
//
// It does not call AWS itself.
package awsapi
