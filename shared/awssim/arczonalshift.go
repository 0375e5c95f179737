package awssim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	arctypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
)

// ARC zonal shift: the zonal shifts of the account's managed resources —
// customer-initiated shifts (StartZonalShift, UpdateZonalShift,
// CancelZonalShift), ARC's practice runs and AWS FIS experiments — with the
// API that reads them, their expiry, ARC's precedence between them, the
// "aws.arc-zonal-shift" EventBridge events, and their effect on an Auto
// Scaling group: while a shift is applied to it, the group treats the AZ as
// impaired and launches nothing there.
// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/Welcome.html
//
// The managed resources are the Auto Scaling groups with zonal shift
// enabled (AvailabilityZoneImpairmentPolicy.ZonalShiftEnabled): "When you
// enable zonal shift for an Auto Scaling group, the group is registered
// with the ARC zonal shift service."
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-zonal-shift.html
// Load balancers and EKS clusters, which ARC also manages, are not
// modelled; neither are autoshifts, practice run configurations or the
// autoshift observer.

// ServiceARCZonalShift is the SDK's service id of ARC zonal shift.
const ServiceARCZonalShift = "ARC Zonal Shift"

const (
	// maxShiftDuration: "You can set a zonal shift to be active initially
	// for up to three days (72 hours)", and an update sets a new expiry
	// within the same bound.
	// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_StartZonalShift.html
	maxShiftDuration = 72 * time.Hour
	// practiceRunDuration: a practice run shifts traffic away "for the
	// expected 30 minute zonal shift duration".
	// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_ZonalShiftSummary.html
	practiceRunDuration = 30 * time.Minute
	maxShiftComment     = 128
)

// expiresIn is the format of ExpiresIn: a whole number of minutes or hours,
// "120m" or "20h".
var expiresIn = regexp.MustCompile(`^([1-9][0-9]*)(m|h)$`)

type arcState struct {
	s      *Sim
	shifts []*zonalShift // every region, in start order
}

// zonalShift is one shift of one resource, of any type.
type zonalShift struct {
	id, region, resource string
	kind                 arctypes.ShiftType
	awayFrom             string // AZ id
	comment              string
	start, expiry        time.Time
	status               arctypes.ZonalShiftStatus
	outcome              arctypes.PracticeRunOutcome // practice runs only
	fisDone              bool                        // an FIS shift ended (completed or canceled)
}

func newARCState(s *Sim) *arcState { return &arcState{s: s} }

func (s *Sim) registerARCZonalShift() {
	a := s.arc
	handle(s, ServiceARCZonalShift, "StartZonalShift", a.startZonalShift)
	handle(s, ServiceARCZonalShift, "UpdateZonalShift", a.updateZonalShift)
	handle(s, ServiceARCZonalShift, "CancelZonalShift", a.cancelZonalShift)
	handle(s, ServiceARCZonalShift, "ListZonalShifts", a.listZonalShifts)
	handle(s, ServiceARCZonalShift, "GetManagedResource", a.getManagedResource)
	handle(s, ServiceARCZonalShift, "ListManagedResources", a.listManagedResources)
}

// Errors as ARC answers them: typed, with the reason codes the API models.
func arcValidation(reason arctypes.ValidationExceptionReason, format string, args ...any) error {
	return &arctypes.ValidationException{Message: aws.String(fmt.Sprintf(format, args...)), Reason: reason}
}

func arcConflict(reason arctypes.ConflictExceptionReason, id, format string, args ...any) error {
	e := &arctypes.ConflictException{Message: aws.String(fmt.Sprintf(format, args...)), Reason: reason}
	if id != "" {
		e.ZonalShiftId = aws.String(id)
	}
	return e
}

func arcNotFound(format string, args ...any) error {
	return &arctypes.ResourceNotFoundException{Message: aws.String(fmt.Sprintf(format, args...))}
}

// managed returns the group a resource identifier names if it is a managed
// resource of the region: an Auto Scaling group with zonal shift enabled.
func (a *arcState) managed(r *Region, id string) (*asgGroup, error) {
	if len(id) < 8 || len(id) > 1024 || !strings.HasPrefix(id, "arn:") {
		return nil, arcValidation(arctypes.ValidationExceptionReasonInvalidResourceIdentifier,
			"The resource identifier %q is not the ARN of a resource", id)
	}
	for _, g := range a.s.asg.regionGroups(r.Name) {
		if g.arn == id && zonalShiftEnabled(g) {
			return g, nil
		}
	}
	return nil, arcNotFound("The resource %s is not a managed resource in %s: it does not exist, or zonal shift is not enabled for it", id, r.Name)
}

func zonalShiftEnabled(g *asgGroup) bool {
	return g.impairmentPolicy != nil && aws.ToBool(g.impairmentPolicy.ZonalShiftEnabled)
}

// groupAZIDs are the ids of the AZs a group is deployed in, sorted.
func groupAZIDs(r *Region, g *asgGroup) []string {
	var ids []string
	for _, e := range g.enabledAZs(r) {
		if az, ok := r.az(e.name); ok {
			ids = append(ids, az.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// parseExpiresIn reads ExpiresIn and bounds it by the 72 hours ARC allows.
func parseExpiresIn(s string) (time.Duration, error) {
	m := expiresIn.FindStringSubmatch(s)
	if m == nil {
		return 0, arcValidation(arctypes.ValidationExceptionReasonInvalidExpiresIn,
			"expiresIn %q must be a whole number followed by m (minutes) or h (hours), such as 120m or 20h", s)
	}
	n, err := strconv.Atoi(m[1])
	d := time.Duration(n) * time.Minute
	if m[2] == "h" {
		d = time.Duration(n) * time.Hour
	}
	if err != nil || d > maxShiftDuration || n > int(maxShiftDuration/time.Minute) {
		return 0, arcValidation(arctypes.ValidationExceptionReasonInvalidExpiresIn,
			"expiresIn %q is longer than the 72 hours a zonal shift may be set to last", s)
	}
	return d, nil
}

func checkComment(c string) error {
	if len(c) > maxShiftComment {
		return arcValidation("", "comment is %d characters; at most %d", len(c), maxShiftComment)
	}
	return nil
}

// active returns the active shifts of a resource.
func (a *arcState) active(resource string) []*zonalShift {
	var out []*zonalShift
	for _, z := range a.shifts {
		if z.resource == resource && z.status == arctypes.ZonalShiftStatusActive {
			out = append(out, z)
		}
	}
	return out
}

// precedence orders shift types: "zonal shifts that you start as a
// customer take precedence over other shift types"; an autoshift cancels
// an FIS experiment, which keeps a practice run from starting.
// https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-autoshift.how-it-works.precedence.html
var precedence = map[arctypes.ShiftType]int{
	arctypes.ShiftTypeZonalShift:     4,
	arctypes.ShiftTypeZonalAutoshift: 3,
	arctypes.ShiftTypeFisExperiment:  2,
	arctypes.ShiftTypePracticeRun:    1,
}

// applied returns the shift in effect for a resource: the active one of
// highest precedence ("There can be no more than one applied zonal shift at
// a given time").
func (a *arcState) applied(resource string) *zonalShift {
	var best *zonalShift
	for _, z := range a.active(resource) {
		if best == nil || precedence[z.kind] > precedence[best.kind] {
			best = z
		}
	}
	return best
}

// shiftedAway returns the name of the AZ a group is shifted away from, or
// "". The group treats that AZ as impaired: it launches all new capacity in
// the others.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-zonal-shift.html
func (a *arcState) shiftedAway(g *asgGroup) string {
	if !zonalShiftEnabled(g) {
		return ""
	}
	z := a.applied(g.arn)
	if z == nil {
		return ""
	}
	for _, az := range a.s.regions[g.region].AZs {
		if az.ID == z.awayFrom {
			return az.Name
		}
	}
	return ""
}

// reconcile ends what ends by itself: customer shifts at their expiry
// (status EXPIRED; ARC sends no event for it), practice runs after 30
// minutes (SUCCEEDED) and FIS shifts at the end of their action.
func (a *arcState) reconcile() {
	now := a.s.now
	for _, z := range a.shifts {
		if z.status != arctypes.ZonalShiftStatusActive || now.Before(z.expiry) {
			continue
		}
		z.status = arctypes.ZonalShiftStatusExpired
		switch z.kind {
		case arctypes.ShiftTypePracticeRun:
			z.outcome = arctypes.PracticeRunOutcomeSucceeded
			a.emit(z, "Practice Run Succeeded", nil)
		case arctypes.ShiftTypeFisExperiment:
			z.fisDone = true
			a.emit(z, "FIS Experiment Autoshift Completed", nil)
		}
	}
}

func (a *arcState) newShift(r *Region, g *asgGroup, kind arctypes.ShiftType, awayFrom, comment string, d time.Duration) (*zonalShift, error) {
	if !slices.Contains(groupAZIDs(r, g), awayFrom) {
		reason := arctypes.ValidationExceptionReasonInvalidAz
		if slices.ContainsFunc(r.AZs, func(az AZ) bool { return az.ID == awayFrom }) {
			reason = arctypes.ValidationExceptionReasonUnsupportedAz
		}
		return nil, arcValidation(reason, "%q is not an Availability Zone ID the resource is deployed in (%s)",
			awayFrom, strings.Join(groupAZIDs(r, g), ", "))
	}
	z := &zonalShift{
		id: a.s.uuid(), region: r.Name, resource: g.arn, kind: kind, awayFrom: awayFrom, comment: comment,
		start: a.s.now, expiry: a.s.now.Add(d), status: arctypes.ZonalShiftStatusActive,
	}
	if kind == arctypes.ShiftTypePracticeRun {
		z.outcome = arctypes.PracticeRunOutcomePending
	}
	a.shifts = append(a.shifts, z)
	return z, nil
}

// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_StartZonalShift.html
func (a *arcState) startZonalShift(r *Region, in *arczonalshift.StartZonalShiftInput) (*arczonalshift.StartZonalShiftOutput, error) {
	g, err := a.managed(r, aws.ToString(in.ResourceIdentifier))
	if err != nil {
		return nil, err
	}
	d, err := parseExpiresIn(aws.ToString(in.ExpiresIn))
	if err != nil {
		return nil, err
	}
	if err := checkComment(aws.ToString(in.Comment)); err != nil {
		return nil, err
	}
	for _, z := range a.active(g.arn) {
		if z.kind == arctypes.ShiftTypeZonalShift {
			return nil, arcConflict(arctypes.ConflictExceptionReasonZonalShiftAlreadyExists, z.id,
				"A zonal shift %s is already active for %s: update or cancel it", z.id, g.arn)
		}
	}
	z, err := a.newShift(r, g, arctypes.ShiftTypeZonalShift, aws.ToString(in.AwayFrom), aws.ToString(in.Comment), d)
	if err != nil {
		return nil, err
	}
	a.preempt(z)
	a.emit(z, "Manual Shift Started", nil)
	out := &arczonalshift.StartZonalShiftOutput{}
	z.fill(&out.ZonalShiftId, &out.ResourceIdentifier, &out.AwayFrom, &out.Comment, &out.StartTime, &out.ExpiryTime, &out.Status)
	return out, nil
}

// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_UpdateZonalShift.html
func (a *arcState) updateZonalShift(r *Region, in *arczonalshift.UpdateZonalShiftInput) (*arczonalshift.UpdateZonalShiftOutput, error) {
	z, err := a.customerShift(r, aws.ToString(in.ZonalShiftId))
	if err != nil {
		return nil, err
	}
	if in.ExpiresIn == nil && in.Comment == nil {
		return nil, arcValidation(arctypes.ValidationExceptionReasonMissingValue, "give expiresIn, comment or both")
	}
	if in.Comment != nil {
		if err := checkComment(*in.Comment); err != nil {
			return nil, err
		}
	}
	if in.ExpiresIn != nil {
		d, err := parseExpiresIn(*in.ExpiresIn)
		if err != nil {
			return nil, err
		}
		// The new expiry counts from now, not from the start.
		z.expiry = a.s.now.Add(d)
	}
	if in.Comment != nil {
		z.comment = *in.Comment
	}
	a.emit(z, "Manual Shift Updated", nil)
	out := &arczonalshift.UpdateZonalShiftOutput{}
	z.fill(&out.ZonalShiftId, &out.ResourceIdentifier, &out.AwayFrom, &out.Comment, &out.StartTime, &out.ExpiryTime, &out.Status)
	return out, nil
}

// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_CancelZonalShift.html
func (a *arcState) cancelZonalShift(r *Region, in *arczonalshift.CancelZonalShiftInput) (*arczonalshift.CancelZonalShiftOutput, error) {
	z, err := a.customerShift(r, aws.ToString(in.ZonalShiftId))
	if err != nil {
		return nil, err
	}
	z.status, z.expiry = arctypes.ZonalShiftStatusCanceled, a.s.now
	a.emit(z, "Manual Shift Canceled", nil)
	out := &arczonalshift.CancelZonalShiftOutput{}
	z.fill(&out.ZonalShiftId, &out.ResourceIdentifier, &out.AwayFrom, &out.Comment, &out.StartTime, &out.ExpiryTime, &out.Status)
	return out, nil
}

// customerShift finds an active customer-initiated shift of the region by
// id. Autoshifts, practice runs and FIS shifts are changed through their
// own APIs, never Update/CancelZonalShift.
func (a *arcState) customerShift(r *Region, id string) (*zonalShift, error) {
	for _, z := range a.shifts {
		if z.id != id || z.region != r.Name {
			continue
		}
		switch {
		case z.kind == arctypes.ShiftTypeFisExperiment:
			return nil, arcValidation(arctypes.ValidationExceptionReasonFisExperimentUpdateNotAllowed, "zonal shift %s belongs to an AWS FIS experiment", id)
		case z.kind != arctypes.ShiftTypeZonalShift:
			return nil, arcNotFound("No customer-initiated zonal shift %s", id)
		case z.status != arctypes.ZonalShiftStatusActive:
			return nil, arcConflict(arctypes.ConflictExceptionReasonZonalShiftStatusNotActive, id, "zonal shift %s is %s, not ACTIVE", id, z.status)
		}
		return z, nil
	}
	return nil, arcNotFound("No zonal shift %s in %s", id, r.Name)
}

// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_ListZonalShifts.html
func (a *arcState) listZonalShifts(r *Region, in *arczonalshift.ListZonalShiftsInput) (*arczonalshift.ListZonalShiftsOutput, error) {
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 100) {
		return nil, arcValidation("", "maxResults must be between 1 and 100")
	}
	switch in.Status {
	case "", arctypes.ZonalShiftStatusActive, arctypes.ZonalShiftStatusExpired, arctypes.ZonalShiftStatusCanceled:
	default:
		return nil, arcValidation(arctypes.ValidationExceptionReasonInvalidStatus, "status %q is not ACTIVE, EXPIRED or CANCELED", in.Status)
	}
	// "customer-initiated zonal shifts, as well as practice run zonal
	// shifts that ARC started on your behalf"; autoshifts have
	// ListAutoshifts.
	var items []arctypes.ZonalShiftSummary
	for _, z := range a.shifts {
		if z.region != r.Name || (z.kind != arctypes.ShiftTypeZonalShift && z.kind != arctypes.ShiftTypePracticeRun) {
			continue
		}
		if (in.Status != "" && z.status != in.Status) || (in.ResourceIdentifier != nil && *in.ResourceIdentifier != z.resource) {
			continue
		}
		s := arctypes.ZonalShiftSummary{ShiftType: z.kind, PracticeRunOutcome: z.outcome}
		z.fill(&s.ZonalShiftId, &s.ResourceIdentifier, &s.AwayFrom, &s.Comment, &s.StartTime, &s.ExpiryTime, &s.Status)
		items = append(items, s)
	}
	pg, next, err := page(items, in.MaxResults, in.NextToken, 100, 100, "ValidationException")
	if err != nil {
		return nil, err
	}
	return &arczonalshift.ListZonalShiftsOutput{Items: pg, NextToken: next}, nil
}

// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_GetManagedResource.html
func (a *arcState) getManagedResource(r *Region, in *arczonalshift.GetManagedResourceInput) (*arczonalshift.GetManagedResourceOutput, error) {
	g, err := a.managed(r, aws.ToString(in.ResourceIdentifier))
	if err != nil {
		return nil, err
	}
	s := a.summary(r, g)
	return &arczonalshift.GetManagedResourceOutput{
		Arn: s.Arn, Name: s.Name, AppliedWeights: s.AppliedWeights, ZonalShifts: s.ZonalShifts,
		Autoshifts: s.Autoshifts, ZonalAutoshiftStatus: s.ZonalAutoshiftStatus,
	}, nil
}

// https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_ListManagedResources.html
func (a *arcState) listManagedResources(r *Region, in *arczonalshift.ListManagedResourcesInput) (*arczonalshift.ListManagedResourcesOutput, error) {
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 100) {
		return nil, arcValidation("", "maxResults must be between 1 and 100")
	}
	var items []arctypes.ManagedResourceSummary
	for _, g := range a.s.asg.regionGroups(r.Name) {
		if zonalShiftEnabled(g) {
			items = append(items, a.summary(r, g))
		}
	}
	pg, next, err := page(items, in.MaxResults, in.NextToken, 100, 100, "ValidationException")
	if err != nil {
		return nil, err
	}
	return &arczonalshift.ListManagedResourcesOutput{Items: pg, NextToken: next}, nil
}

// summary describes a managed group: its AZs (ids, as awayFrom names
// them), the weight ARC applies to each (0 for the AZ an applied shift
// moves it away from) and its active shifts, the applied one marked.
func (a *arcState) summary(r *Region, g *asgGroup) arctypes.ManagedResourceSummary {
	ids := groupAZIDs(r, g)
	applied := a.applied(g.arn)
	s := arctypes.ManagedResourceSummary{
		Arn: aws.String(g.arn), Name: aws.String(g.name), AvailabilityZones: ids,
		AppliedWeights:       map[string]float32{},
		Autoshifts:           []arctypes.AutoshiftInResource{},
		ZonalShifts:          []arctypes.ZonalShiftInResource{},
		ZonalAutoshiftStatus: arctypes.ZonalAutoshiftStatusDisabled,
		PracticeRunStatus:    arctypes.ZonalAutoshiftStatusDisabled,
	}
	for _, id := range ids {
		s.AppliedWeights[id] = 1
		if applied != nil && applied.awayFrom == id {
			s.AppliedWeights[id] = 0
		}
	}
	for _, z := range a.active(g.arn) {
		in := arctypes.ZonalShiftInResource{AppliedStatus: arctypes.AppliedStatusNotApplied, ShiftType: z.kind, PracticeRunOutcome: z.outcome}
		if z == applied {
			in.AppliedStatus = arctypes.AppliedStatusApplied
		}
		var status arctypes.ZonalShiftStatus
		z.fill(&in.ZonalShiftId, &in.ResourceIdentifier, &in.AwayFrom, &in.Comment, &in.StartTime, &in.ExpiryTime, &status)
		s.ZonalShifts = append(s.ZonalShifts, in)
	}
	return s
}

// preempt ends the active shifts of z's resource that z takes precedence
// over: a practice run is interrupted, an FIS experiment's shift canceled.
func (a *arcState) preempt(z *zonalShift) {
	for _, o := range a.active(z.resource) {
		if o == z || precedence[o.kind] >= precedence[z.kind] {
			continue
		}
		switch o.kind {
		case arctypes.ShiftTypePracticeRun:
			o.status, o.outcome, o.expiry = arctypes.ZonalShiftStatusCanceled, arctypes.PracticeRunOutcomeInterrupted, a.s.now
			a.emit(o, "Practice Run Interrupted", map[string]string{
				"additionalFailureInfo": fmt.Sprintf("Practice run interrupted. A zonal shift of type %s took precedence.", z.kind)})
		case arctypes.ShiftTypeFisExperiment:
			o.status, o.expiry, o.fisDone = arctypes.ZonalShiftStatusCanceled, a.s.now, true
			a.emit(o, "FIS Experiment Autoshift Canceled", nil)
		}
	}
}

func (z *zonalShift) fill(id, resource, awayFrom, comment **string, start, expiry **time.Time, status *arctypes.ZonalShiftStatus) {
	*id, *resource, *awayFrom, *comment = aws.String(z.id), aws.String(z.resource), aws.String(z.awayFrom), aws.String(z.comment)
	*start, *expiry = aws.Time(z.start), aws.Time(z.expiry)
	*status = z.status
}

// arcEventDetail is the detail of every aws.arc-zonal-shift event: data is
// "" except in practice run outcomes, where it carries
// additionalFailureInfo.
// https://docs.aws.amazon.com/r53recovery/latest/dg/eventbridge-zonal-autoshift.html
type arcEventDetail struct {
	Version  string `json:"version"`
	Data     any    `json:"data"`
	Metadata struct {
		AwayFrom string  `json:"awayFrom"`
		Notes    *string `json:"notes,omitempty"`
	} `json:"metadata"`
}

// emit sends a shift's event. Its resources are the shift's id, an opaque
// identifier as in AWS's samples: the event names no resource ARN.
func (a *arcState) emit(z *zonalShift, detailType string, data map[string]string) {
	d := arcEventDetail{Version: "0.0.1", Data: ""}
	if data != nil {
		d.Data = data
	} else {
		d.Metadata.Notes = aws.String("")
	}
	d.Metadata.AwayFrom = z.awayFrom
	a.s.emitLocked(z.region, "aws.arc-zonal-shift", detailType, []string{z.id}, d)
}

// ---- exported controls: what ARC and AWS FIS start on their own ----

// ZonalShift is one shift as the sim holds it.
type ZonalShift struct {
	ID, Resource, AwayFrom, Comment string
	Type                            string // ZONAL_SHIFT, PRACTICE_RUN or FIS_EXPERIMENT
	Status                          string // ACTIVE, EXPIRED or CANCELED
	Outcome                         string // practice runs
	Start, Expiry                   time.Time
}

// ZonalShifts returns every shift of a region, in start order.
func (s *Sim) ZonalShifts(region string) []ZonalShift {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ZonalShift
	for _, z := range s.arc.shifts {
		if z.region == region {
			out = append(out, ZonalShift{
				ID: z.id, Resource: z.resource, AwayFrom: z.awayFrom, Comment: z.comment, Type: string(z.kind),
				Status: string(z.status), Outcome: string(z.outcome), Start: z.start, Expiry: z.expiry,
			})
		}
	}
	return out
}

// StartPracticeRun starts a practice run zonal shift of a group away from
// an AZ (name or id) for 30 minutes, as ARC does about weekly for resources
// with zonal autoshift (or a person on demand, StartPracticeRun). It fails
// while another shift is active for the group, and emits "Practice Run
// Started"; the run ends SUCCEEDED on its own, or INTERRUPTED when a
// customer's shift takes precedence.
func (s *Sim) StartPracticeRun(region, group, az string) (string, error) {
	return s.startShiftControl(region, group, az, arctypes.ShiftTypePracticeRun, practiceRunDuration, "Practice Run Started")
}

// StartFISShift is an AWS FIS experiment's aws:arc:start-zonal-autoshift
// action on a group, away from an AZ (name or id) for d. It emits "FIS
// Experiment Autoshift In Progress" and, at the end, "… Completed".
// https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
func (s *Sim) StartFISShift(region, group, az string, d time.Duration) (string, error) {
	return s.startShiftControl(region, group, az, arctypes.ShiftTypeFisExperiment, d, "FIS Experiment Autoshift In Progress")
}

// StopFISShift stops an experiment early: its shift is canceled and "FIS
// Experiment Autoshift Canceled" emitted.
func (s *Sim) StopFISShift(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, z := range s.arc.shifts {
		if z.id == id && z.kind == arctypes.ShiftTypeFisExperiment && z.status == arctypes.ZonalShiftStatusActive {
			z.status, z.expiry, z.fisDone = arctypes.ZonalShiftStatusCanceled, s.now, true
			s.arc.emit(z, "FIS Experiment Autoshift Canceled", nil)
			return nil
		}
	}
	return fmt.Errorf("awssim: no active FIS experiment shift %s", id)
}

func (s *Sim) startShiftControl(region, group, az string, kind arctypes.ShiftType, d time.Duration, detailType string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	g := s.asg.group(region, group)
	if r == nil || g == nil {
		return "", fmt.Errorf("awssim: no group %s in %s", group, region)
	}
	if !zonalShiftEnabled(g) {
		return "", fmt.Errorf("awssim: group %s does not have zonal shift enabled", group)
	}
	id := az
	if n, ok := r.az(az); ok {
		id = n.ID
	}
	for _, o := range s.arc.active(g.arn) {
		if precedence[o.kind] >= precedence[kind] {
			return "", apiError(http.StatusConflict, "ConflictException",
				fmt.Sprintf("a %s shift (%s) is active for %s", o.kind, o.id, group))
		}
	}
	z, err := s.arc.newShift(r, g, kind, id, "", d)
	if err != nil {
		return "", err
	}
	s.arc.preempt(z)
	s.arc.emit(z, detailType, nil)
	return z.id, nil
}

// ---- a person's zonal shifts, by group: what someone does in the console ----

// StartZonalShiftOf starts a customer-initiated zonal shift of a group away
// from an AZ (name or id), as a person would with StartZonalShift, with
// the same validation and events; it is not logged as a call.
func (s *Sim) StartZonalShiftOf(region, group, az string, expiresIn time.Duration, comment string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, g, err := s.shiftTarget(region, group)
	if err != nil {
		return "", err
	}
	if n, ok := r.az(az); ok {
		az = n.ID
	}
	out, err := s.arc.startZonalShift(r, &arczonalshift.StartZonalShiftInput{
		ResourceIdentifier: aws.String(g.arn), AwayFrom: aws.String(az),
		ExpiresIn: aws.String(minutes(expiresIn)), Comment: aws.String(comment),
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ZonalShiftId), nil
}

// UpdateZonalShiftOf changes the active customer-initiated shift of a
// group, whoever started it, as a person would with UpdateZonalShift: a
// new expiry from now (when expiresIn > 0) and a new comment (when not "").
func (s *Sim) UpdateZonalShiftOf(region, group string, expiresIn time.Duration, comment string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, z, err := s.customerShiftOf(region, group)
	if err != nil {
		return err
	}
	in := &arczonalshift.UpdateZonalShiftInput{ZonalShiftId: aws.String(z.id)}
	if expiresIn > 0 {
		in.ExpiresIn = aws.String(minutes(expiresIn))
	}
	if comment != "" {
		in.Comment = aws.String(comment)
	}
	_, err = s.arc.updateZonalShift(r, in)
	return err
}

// CancelZonalShiftOf cancels the active customer-initiated shift of a
// group, whoever started it.
func (s *Sim) CancelZonalShiftOf(region, group string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, z, err := s.customerShiftOf(region, group)
	if err != nil {
		return err
	}
	_, err = s.arc.cancelZonalShift(r, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: aws.String(z.id)})
	return err
}

func (s *Sim) shiftTarget(region, group string) (*Region, *asgGroup, error) {
	r := s.regions[region]
	g := s.asg.group(region, group)
	if r == nil || g == nil {
		return nil, nil, fmt.Errorf("awssim: no group %s in %s", group, region)
	}
	return r, g, nil
}

func (s *Sim) customerShiftOf(region, group string) (*Region, *zonalShift, error) {
	r, g, err := s.shiftTarget(region, group)
	if err != nil {
		return nil, nil, err
	}
	for _, z := range s.arc.active(g.arn) {
		if z.kind == arctypes.ShiftTypeZonalShift {
			return r, z, nil
		}
	}
	return nil, nil, fmt.Errorf("awssim: group %s has no active customer-initiated zonal shift", group)
}

// minutes writes a duration as ExpiresIn does: "90m".
func minutes(d time.Duration) string { return strconv.Itoa(int(d/time.Minute)) + "m" }
