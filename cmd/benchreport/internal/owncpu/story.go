package owncpu

import (
	"context"
	"time"

	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/shared/awssim"
)

// Story plays the seed's day on the scenario's world: an AWS Health issue
// in the first AZ opens and, an hour later, closes (the rebalancer
// evacuates and restores), the backup plans run and copy, the scenario's
// restore testing plans run 2h10m in (after the night's backups, as the
// default story's step does), the rebalancer's schedule fires every 5
// minutes; every event is measured.
// It returns the samples.
func Story(ctx context.Context, sc *scenario.Scenario) ([]Sample, error) {
	h, err := New(ctx, sc)
	if err != nil {
		return nil, err
	}
	w := h.World
	region := w.Env.Region
	az := w.Sim.AZs(region)[0].Name
	arn := w.Sim.RaiseAZIssue(region, az, "EC2")
	if err := h.Pump(ctx); err != nil {
		return nil, err
	}
	end := w.Start.Add(sc.Duration)
	closeAt := w.Start.Add(time.Hour)
	restoreAt := w.Start.Add(2*time.Hour + 10*time.Minute)
	n := 0
	for w.Sim.Now().Before(end) {
		w.Sim.Advance(awssim.DefaultTick)
		now := w.Sim.Now()
		if arn != "" && !now.Before(closeAt) {
			if err := w.Sim.CloseHealthEvent(arn); err != nil {
				return nil, err
			}
			arn = ""
		}
		if !restoreAt.IsZero() && !now.Before(restoreAt) {
			for _, p := range sc.State.RestoreTestingPlans {
				if _, err := w.Sim.RunRestoreTestingPlan(p.Region, p.Name); err != nil {
					return nil, err
				}
			}
			restoreAt = time.Time{}
		}
		if err := h.Pump(ctx); err != nil {
			return nil, err
		}
		if now.Sub(w.Start)%(5*time.Minute) == 0 {
			n++
			if err := h.Deliver(ctx, "asg-rebalancer", h.Scheduled("asg-rebalancer", n)); err != nil {
				return nil, err
			}
		}
	}
	return h.Samples, nil
}
