package sweep_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/config"
)

// benchLatency is what every simulated call attempt costs on the sim
// clock. The sim answers one call at a time, so sim time is the serial sum
// of the calls' latencies plus throttling backoff: an upper bound of a run
// whose reads overlap, as the sweep's do.
const benchLatency = 10 * time.Millisecond

// awsLikeLimits puts per-account API rate limits on the audited services,
// per operation, measured on the sim clock:
//   - DynamoDB control plane: 2,500 requests per second
//     (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-control-plane.html);
//   - Auto Scaling: EC2's documented bucket for describe calls, 100 burst
//     and 20 per second (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html);
//   - RDS: 20 per second, 40 burst;
//   - AWS Backup: 10 per second, 20 burst, below the defaults its quotas
//     page lists (https://docs.aws.amazon.com/general/latest/gr/bk.html),
//     so that the plan and recovery-point calls do meet throttling.
//
// The state table (on-demand, data plane) and SNS are not limited at these
// rates.
func awsLikeLimits(sim *awssim.Sim) {
	for _, op := range []string{"ListTables", "DescribeContinuousBackups", "ListTagsOfResource"} {
		sim.SetRateLimit(awssim.ServiceDynamoDB, op, 2500, 2500)
	}
	sim.SetRateLimit(awssim.ServiceAutoScaling, "", 20, 100)
	sim.SetRateLimit(awssim.ServiceRDS, "", 20, 40)
	sim.SetRateLimit(awssim.ServiceBackup, "", 10, 20)
}

// audited reports whether a call is one of the audit's reads (not the
// state table, not SNS).
func audited(c awssim.Call) bool {
	switch c.Service {
	case awssim.ServiceBackup, awssim.ServiceAutoScaling, awssim.ServiceRDS:
		return true
	case awssim.ServiceDynamoDB:
		return slices.Contains([]string{"ListTables", "DescribeContinuousBackups", "ListTagsOfResource"}, c.Operation)
	}
	return false
}

// accounts keeps each size's account across the benchmark's invocations:
// the framework calls a benchmark once with b.N = 1 before the measured
// run, and building 10x takes a while. (b.Loop, which runs setup once,
// crashes the go1.27.3 compiler in this file: internal compiler error in
// sync/atomic.Pointer.)
var accounts = map[int]*harness{}

func benchAccount(b *testing.B, n int) *harness {
	if h, ok := accounts[n]; ok {
		h.t = b
		return h
	}
	h := newHarness(b, config.DefaultPolicy(), []string{home}, awssim.WithCallLatency(benchLatency))
	scale(n).build(h)
	awsLikeLimits(h.sim)
	accounts[n] = h
	return h
}

// BenchmarkSweep runs the sweep on the goal account (10,000 recovery
// points, 1,000 groups, 500 tables, 200 vaults) at 1x and 10x, with every
// call costing benchLatency of sim time under AWS-like rate limits.
// Reported per run: wall time (ns/op), sim time in all and for the audit's
// reads, call attempts by kind, throttled attempts.
//
//	go test -run '^$' -bench BenchmarkSweep -benchtime 2x ./shared/sweep/
func BenchmarkSweep(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("%dx", n), func(b *testing.B) {
			h := benchAccount(b, n)

			var simTime, auditTime time.Duration
			var calls, auditCalls, stateCalls, snsCalls, throttled int
			b.ResetTimer()
			for range b.N {
				before := h.sim.CallCount()
				start := h.sim.Now()
				h.mustRun()
				simTime += h.sim.Now().Sub(start)
				var lastAudit time.Time
				for _, c := range h.sim.CallsSince(before) {
					calls++
					switch {
					case audited(c):
						auditCalls++
						lastAudit = c.Time
					case c.Service == awssim.ServiceSNS:
						snsCalls++
					default:
						stateCalls++
					}
					if c.Err != nil {
						throttled++
					}
				}
				auditTime += lastAudit.Sub(start)
				if d := h.lastDigest(); !d.Complete {
					b.Fatalf("incomplete run: %v", d.NotCovered)
				}
			}
			per := func(v float64) float64 { return v / float64(b.N) }
			b.ReportMetric(per(simTime.Seconds()), "sim-s/op")
			b.ReportMetric(per(auditTime.Seconds()), "audit-sim-s/op")
			b.ReportMetric(per(float64(calls)), "calls/op")
			b.ReportMetric(per(float64(auditCalls)), "audit-calls/op")
			b.ReportMetric(per(float64(stateCalls)), "state-calls/op")
			b.ReportMetric(per(float64(snsCalls)), "sns-calls/op")
			b.ReportMetric(per(float64(throttled)), "throttled/op")
		})
	}
}

// BenchmarkSweepLambdaDeadline runs the 10x account under Lambda's 15
// minutes, measured on the sim clock (where calls do not overlap): what a
// run that cannot do everything covers, and that it says what it did not.
//
//	go test -run '^$' -bench BenchmarkSweepLambdaDeadline -benchtime 1x ./shared/sweep/
func BenchmarkSweepLambdaDeadline(b *testing.B) {
	h := benchAccount(b, 10)
	b.ResetTimer()
	var simTime time.Duration
	for range b.N {
		ctx, cancel := context.WithTimeout(bg, 15*time.Minute)
		start := h.sim.Now()
		if err := h.run(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
		simTime += h.sim.Now().Sub(start)
		d := h.lastDigest()
		b.Logf("complete %t; not covered:\n%s", d.Complete, strings.Join(d.NotCovered, "\n"))
	}
	b.ReportMetric(simTime.Seconds()/float64(b.N), "sim-s/op")
}
