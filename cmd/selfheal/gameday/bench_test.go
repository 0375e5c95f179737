package gameday_test

import (
	"context"
	"testing"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/scenarios"
)

// BenchmarkScenario runs each built-in game day whole (build, seed, play,
// check): wall time per run, and the AWS calls and deliveries it made.
func BenchmarkScenario(b *testing.B) {
	for _, name := range scenarios.Names() {
		b.Run(name, func(b *testing.B) {
			sc := builtin(b, name)
			var rep *gameday.Report
			for b.Loop() {
				var err error
				if rep, err = gameday.Run(context.Background(), sc, gameday.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rep.Calls.Total), "calls/op")
			b.ReportMetric(float64(rep.Bus.Deliveries), "deliveries/op")
			b.ReportMetric(rep.End.Sub(rep.Start).Hours(), "sim-h/op")
		})
	}
}
