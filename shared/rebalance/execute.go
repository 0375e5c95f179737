package rebalance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/selfheal/selfheal/shared/state"
)

// result is what executing a plan did.
type result struct {
	groups        map[string]*groupResult
	breakerOpened bool // by this invocation: only it announces it
	breakerClosed bool
	writes        int // Auto Scaling writes made
}

type groupResult struct {
	done bool // every step went through
	// acted: every change to the group went through, and what failed, if
	// anything, is selfheal's own bookkeeping (clearing a restored
	// evacuation's record), which the retry finishes.
	acted  bool
	err    error
	writes int
	shifts map[string]string // AZ → the zonal shift started, extended or cancelled
}

// execute carries out a plan. In dry-run it writes nothing at all.
//
// Per group the order is what makes a crash at any point safe: the ledger
// record and the breaker count first (conditional writes, so a retry
// neither overwrites the original configuration nor counts twice), then
// the group, then its zonal shift calls, then the tag that mirrors the
// ledger, and a restore's record is cleared last. Each group write is made only if the group differs from
// the plan's target as observed, so a retry after a crash finishes the
// work without doing any step twice.
func (p *Processor) execute(ctx context.Context, plan Plan) (result, error) {
	res := result{groups: map[string]*groupResult{}}
	if plan.DryRun {
		return res, nil
	}
	if len(plan.NeedRefresh) > 0 {
		return res, fmt.Errorf("plan is not executable: instance refresh status of %s unknown", strings.Join(plan.NeedRefresh, ", "))
	}
	switch plan.Breaker.Change {
	case BreakerClose:
		closed, err := p.store.CloseBreaker(ctx)
		if err != nil {
			return res, err
		}
		res.breakerClosed = closed
	case BreakerOpen:
		opened, err := p.store.OpenBreaker(ctx, plan.Breaker.Until, plan.Breaker.Reason)
		if err != nil {
			return res, err
		}
		res.breakerOpened = opened
	}
	ensure := plan.Breaker.Create
	var errs []error
	for _, gp := range plan.Groups {
		if !gp.InScope {
			continue // never touched, only reported
		}
		gr := &groupResult{shifts: map[string]string{}}
		res.groups[gp.Group] = gr
		gr.err = p.apply(ctx, plan.Signal, gp, gr, &ensure)
		gr.done = gr.err == nil
		res.writes += gr.writes
		if gr.err != nil {
			errs = append(errs, gr.err)
		}
	}
	return res, errors.Join(errs...)
}

func (p *Processor) apply(ctx context.Context, sig Signal, gp GroupPlan, gr *groupResult, ensureBreaker *bool) error {
	written := map[string]state.Evacuation{}
	for _, r := range gp.Record {
		got, created, err := p.store.RecordEvacuation(ctx, r)
		if err != nil {
			return err
		}
		if !created && got.EventID != r.EventID {
			return fmt.Errorf("evacuation of %s from %s was recorded meanwhile for event %s: %w", r.Group, r.AZ, got.EventID, state.ErrConflict)
		}
		written[r.AZ] = got
	}
	for _, az := range gp.Hold {
		if _, err := p.store.HoldEvacuation(ctx, gp.Group, az, sig.Key); err != nil {
			return err
		}
	}
	if len(gp.Count) > 0 && *ensureBreaker {
		if err := p.store.EnsureBreaker(ctx, gp.Count[0].At); err != nil {
			return err
		}
		*ensureBreaker = false
	}
	window := p.policy.Rebalance.Breaker.Window.Duration
	for _, c := range gp.Count {
		if err := p.store.CountEvacuation(ctx, c, window); err != nil {
			return err
		}
	}

	update := &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(gp.Group)}
	changed := false
	if !slices.Equal(gp.Current.Subnets, gp.Target.Subnets) {
		update.VPCZoneIdentifier = aws.String(strings.Join(gp.Target.Subnets, ","))
		changed = true
	}
	if gp.Current.MaxSize != gp.Target.MaxSize {
		// DesiredCapacity is never sent: the group keeps the capacity it
		// has, and the planner never sets MaxSize below it.
		// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html
		update.MaxSize = aws.Int32(gp.Target.MaxSize)
		changed = true
	}
	if changed {
		if _, err := p.asg.UpdateAutoScalingGroup(ctx, update); err != nil {
			return fmt.Errorf("update auto scaling group %s: %w", gp.Group, err)
		}
		gr.writes++
	}
	if err := p.applyShifts(ctx, sig, gp, gr, written); err != nil {
		return err
	}
	if gp.Current.AZRebalanceSuspended && !gp.Target.AZRebalanceSuspended {
		_, err := p.asg.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{
			AutoScalingGroupName: aws.String(gp.Group), ScalingProcesses: []string{ProcessAZRebalance},
		})
		if err != nil {
			return fmt.Errorf("resume AZRebalance of %s: %w", gp.Group, err)
		}
		gr.writes++
	}
	if gp.Current.EvacuatedTag != gp.Target.EvacuatedTag {
		if err := p.mirror(ctx, gp.Group, gp.Target.EvacuatedTag); err != nil {
			return err
		}
		gr.writes++
	}
	gr.acted = true
	for _, r := range gp.Clear {
		if err := p.store.ClearEvacuation(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// mirror sets the tag that shows the ledger in the console, or removes it.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateOrUpdateTags.html
func (p *Processor) mirror(ctx context.Context, group, value string) error {
	tag := astypes.Tag{
		Key: aws.String(TagEvacuatedFrom), ResourceId: aws.String(group),
		ResourceType: aws.String("auto-scaling-group"), PropagateAtLaunch: aws.Bool(false),
	}
	if value == "" {
		if _, err := p.asg.DeleteTags(ctx, &autoscaling.DeleteTagsInput{Tags: []astypes.Tag{tag}}); err != nil {
			return fmt.Errorf("delete tag %s of %s: %w", TagEvacuatedFrom, group, err)
		}
		return nil
	}
	tag.Value = aws.String(value)
	if _, err := p.asg.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{tag}}); err != nil {
		return fmt.Errorf("tag %s with %s=%s: %w", group, TagEvacuatedFrom, value, err)
	}
	return nil
}

// plannedWrites counts the Auto Scaling writes a group plan makes.
func plannedWrites(gp GroupPlan) int {
	n := 0
	if !slices.Equal(gp.Current.Subnets, gp.Target.Subnets) || gp.Current.MaxSize != gp.Target.MaxSize {
		n++
	}
	if gp.Current.AZRebalanceSuspended && !gp.Target.AZRebalanceSuspended {
		n++
	}
	if gp.Current.EvacuatedTag != gp.Target.EvacuatedTag {
		n++
	}
	for _, op := range gp.Shifts {
		if op.Writes() {
			n++
		}
	}
	return n
}
