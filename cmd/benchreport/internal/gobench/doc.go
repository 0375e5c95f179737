// Package gobench runs Go benchmarks with `go test -bench` and reads their
// results: ns/op, B/op, allocs/op and every custom metric a benchmark
// reports with b.ReportMetric (calls/op, sim-s/op, …).
//
// It does not decide what the numbers mean (the report does) nor time
// anything itself.
package gobench
