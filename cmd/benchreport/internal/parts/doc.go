// Package parts names the part of a Go program a package belongs to — the
// Go runtime and standard library, the AWS SDK's core, each SDK service,
// aws-lambda-go, selfheal — so that init time and binary size can be
// summed by what a function chose to import.
//
// It does not measure anything.
package parts
