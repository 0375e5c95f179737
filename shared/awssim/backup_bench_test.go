package awssim_test

import (
	"testing"
	"time"
)

// BenchmarkBackupPlanDay runs a day of the sim clock (8,640 ticks) for a
// daily plan with a cross-region copy: the cost of a game-day day.
func BenchmarkBackupPlanDay(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		f := newPlanFixture(b, nil)
		f.sim.Advance(24 * time.Hour)
	}
}
