// Package simcost measures what one AWS call costs in the per-event
// benchmarks that is not the function's own work: the real SDK client's
// middleware (serialize, sign, retry) and the simulated account answering.
// The handler benchmarks' ns/op include it once per call, so
//
//	own CPU per event ≈ ns/op − calls/op × cost of one call
//
// is what the function itself spends. It has benchmarks only
// (BenchmarkCallOnSim); `make bench` runs them.
package simcost
