package rebalance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	arctypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"

	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/state"
)

// activeShifts reads the active zonal shifts and autoshifts of every
// managed resource of the region, by ARN: one paginated call, whatever the
// number of groups.
// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_ListManagedResources.html
func (p *Processor) activeShifts(ctx context.Context) (map[string][]Shift, error) {
	out := map[string][]Shift{}
	pages := arczonalshift.NewListManagedResourcesPaginator(p.arc, &arczonalshift.ListManagedResourcesInput{MaxResults: aws.Int32(100)})
	type raw struct {
		arn string
		s   Shift
	}
	var found []raw
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list zonal shift managed resources: %w", err)
		}
		for _, r := range page.Items {
			arn := aws.ToString(r.Arn)
			for _, z := range r.ZonalShifts {
				s := Shift{
					ID: aws.ToString(z.ZonalShiftId), Type: string(z.ShiftType), AZID: aws.ToString(z.AwayFrom),
					Comment: aws.ToString(z.Comment), Start: aws.ToTime(z.StartTime), Expiry: aws.ToTime(z.ExpiryTime),
					Applied: z.AppliedStatus == arctypes.AppliedStatusApplied,
				}
				if s.Type == "" {
					s.Type = ShiftCustomer // the API's default type
				}
				found = append(found, raw{arn, s})
			}
			for _, a := range r.Autoshifts {
				s := Shift{Type: ShiftAutoshift, AZID: aws.ToString(a.AwayFrom), Start: aws.ToTime(a.StartTime),
					Applied: a.AppliedStatus == arctypes.AutoshiftAppliedStatusApplied}
				found = append(found, raw{arn, s})
			}
		}
	}
	if len(found) == 0 {
		return out, nil
	}
	if err := p.loadZones(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range found {
		f.s.AZ = p.zoneByID[f.s.AZID] // "" for an AZ this account does not know: it holds none of its AZs
		out[f.arn] = append(out[f.arn], f.s)
	}
	return out, nil
}

// zoneIDMap returns the region's AZ name → id map.
func (p *Processor) zoneIDMap(ctx context.Context) (map[string]string, error) {
	if err := p.loadZones(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.zoneIDs, nil
}

// needShifts reports whether the plan for sig may start, extend, cancel or
// be held back by a zonal shift: some in-scope group is enrolled (and the
// signal impairs) or already holds a zonal-shift evacuation, or an
// evacuation of an enrolled group (which someone's shift may hold).
func (p *Processor) needShifts(sig Signal, groups []Group, ledger map[string][]state.Evacuation) bool {
	for _, g := range groups {
		if ScopeOf(g.Tags, p.policy) != InScope {
			continue
		}
		records := ledger[g.Name]
		if slices.ContainsFunc(records, state.Evacuation.ByZonalShift) {
			return true
		}
		if g.ZonalShiftEnabled && (len(records) > 0 || sig.Effect == EffectImpair && p.policy.Rebalance.ZonalShift.Enabled &&
			len(intersect(g.AZs, sig.AZs)) > 0) {
			return true
		}
	}
	return false
}

// applyShifts makes a group plan's zonal shift calls, each recorded on its
// ledger record: a start right after ARC answers (a crash in between leaves
// a shift the retry recognizes by its comment), an extension likewise; a
// cancel before the record is cleared. written are the records as written
// this run, by AZ.
func (p *Processor) applyShifts(ctx context.Context, sig Signal, gp GroupPlan, gr *groupResult, written map[string]state.Evacuation) error {
	ttl := p.policy.Rebalance.ZonalShift.ExpiresIn.Duration
	expiresIn := strconv.Itoa(int(ttl/time.Minute)) + "m"
	for _, op := range gp.Shifts {
		r := op.Record
		if w, ok := written[op.AZ]; ok {
			r = w
		}
		switch op.Op {
		case ShiftStart:
			// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_StartZonalShift.html
			out, err := p.arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{
				ResourceIdentifier: aws.String(gp.ARN), AwayFrom: aws.String(op.AZID),
				ExpiresIn: aws.String(expiresIn), Comment: aws.String(shiftComment(r, sig.Title)),
			})
			if err != nil {
				return fmt.Errorf("start zonal shift of %s away from %s: %w", gp.Group, op.AZ, err)
			}
			gr.writes++
			gr.shifts[op.AZ] = aws.ToString(out.ZonalShiftId)
			if _, err := p.store.SetZonalShift(ctx, r, aws.ToString(out.ZonalShiftId), aws.ToTime(out.ExpiryTime)); err != nil {
				return err
			}
		case ShiftAdopt:
			gr.shifts[op.AZ] = op.ID
			if _, err := p.store.SetZonalShift(ctx, r, op.ID, op.Expiry); err != nil {
				return err
			}
		case ShiftExtend:
			// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_UpdateZonalShift.html
			out, err := p.arc.UpdateZonalShift(ctx, &arczonalshift.UpdateZonalShiftInput{
				ZonalShiftId: aws.String(op.ID), ExpiresIn: aws.String(expiresIn),
			})
			if err != nil {
				return fmt.Errorf("extend zonal shift %s of %s away from %s: %w", op.ID, gp.Group, op.AZ, err)
			}
			gr.writes++
			gr.shifts[op.AZ] = op.ID
			if _, err := p.store.SetZonalShift(ctx, r, op.ID, aws.ToTime(out.ExpiryTime)); err != nil {
				return err
			}
		case ShiftCancel:
			// A shift that ended meanwhile needs no cancel.
			// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_CancelZonalShift.html
			_, err := p.arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: aws.String(op.ID)})
			var conflict *arctypes.ConflictException
			var gone *arctypes.ResourceNotFoundException
			switch {
			case errors.As(err, &conflict) && conflict.Reason == arctypes.ConflictExceptionReasonZonalShiftStatusNotActive,
				errors.As(err, &gone):
			case err != nil:
				return fmt.Errorf("cancel zonal shift %s of %s away from %s: %w", op.ID, gp.Group, op.AZ, err)
			default:
				gr.writes++
			}
			gr.shifts[op.AZ] = op.ID
		}
	}
	for _, h := range gp.Held {
		if err := p.store.MarkHeld(ctx, h.Record, h.ShiftID); err != nil {
			return err
		}
	}
	return nil
}

// onZonalShift re-evaluates every evacuation after a zonal shift someone
// started, changed or ended: a restore held back by a shift that ended
// goes ahead now rather than at the next scheduled run, and one that a new
// shift holds is said to be held. None of these events is an AZ-health
// signal: a practice run or an FIS experiment tests an AZ that is fine,
// and selfheal's own shifts send them too.
func (p *Processor) onZonalShift(ctx context.Context, ev eventbridge.Event, what string) (handler.Outcome, error) {
	env := ev.Envelope
	sig := Signal{
		Key: SignalKey(SourceZonalShift, env.ID), Source: SourceZonalShift, Effect: EffectNone,
		At: env.Time, EventID: env.ID, Title: what,
	}
	return p.decide(ctx, env, sig, nil, nil)
}

// zonalShiftTitle says what an ARC event reports, for the log line.
func zonalShiftTitle(d any) (string, bool) {
	switch e := d.(type) {
	case *eventbridge.ManualShiftEvent:
		return fmt.Sprintf("manual zonal shift away from %s %s", e.AwayFrom, strings.ToLower(string(e.Change))), true
	case *eventbridge.PracticeRunEvent:
		if e.Outcome == eventbridge.PracticeRunPending {
			return fmt.Sprintf("zonal autoshift practice run away from %s started", e.AwayFrom), true
		}
		return fmt.Sprintf("zonal autoshift practice run away from %s %s", e.AwayFrom, strings.ToLower(string(e.Outcome))), true
	case *eventbridge.FISAutoshiftEvent:
		return fmt.Sprintf("AWS FIS experiment zonal autoshift away from %s (%s)", e.AwayFrom, e.Status), true
	}
	return "", false
}
