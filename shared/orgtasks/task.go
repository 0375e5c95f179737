package orgtasks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/orgsweep"
	"github.com/selfheal/selfheal/shared/sweep"
	"github.com/selfheal/selfheal/shared/telemetry"
)

// Payload is a task's input, as the state machine's Parameters build it
// (see orgsweep's doc for each task's shape).
type Payload struct {
	Task    string          `json:"task"`
	Run     string          `json:"run"`
	Event   json.RawMessage `json:"event,omitempty"`
	Account string          `json:"account,omitempty"`
	Region  string          `json:"region,omitempty"`
	// Error is the failure of an account-region's sweep (task "failed").
	Error *StatesError `json:"error,omitempty"`
	// ListError and MapError say the list or the map failed (task
	// "aggregate").
	ListError *StatesError `json:"listError,omitempty"`
	MapError  *StatesError `json:"mapError,omitempty"`
}

// StatesError is an error as a Catch hands it on.
type StatesError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// PayloadError is a payload that is not one of the tasks: a definition
// out of step with this function. Step Functions names it by its type.
type PayloadError struct{ Reason string }

func (e *PayloadError) Error() string { return "org-sweep task payload: " + e.Reason }

// Handler is the org-sweep function: the organization sweep's tasks.
type Handler struct {
	deps    handler.Deps
	org     config.Organization
	orgs    OrganizationsAPI
	metrics func() *telemetry.Metrics

	mu     sync.Mutex
	sweeps map[Item]*sweep.Processor // kept for the life of the process, with their clients
}

// New builds the function on its dependencies (a hub deployment's: the
// configuration has an Organization) and an Organizations client of the
// hub's account.
func New(deps handler.Deps, orgs OrganizationsAPI) (*Handler, error) {
	if deps.Config.Organization == nil {
		return nil, errors.New("org-sweep runs in a hub deployment: " + config.EnvOrganization + " is not set")
	}
	h := &Handler{deps: deps, org: *deps.Config.Organization, orgs: orgs, sweeps: map[Item]*sweep.Processor{}}
	h.metrics = func() *telemetry.Metrics {
		return telemetry.NewMetrics(deps.Out, deps.Now, map[string]string{"Function": deps.Function})
	}
	return h, nil
}

// outcome is what one task tells the log line.
type outcome struct {
	// duplicate: the run is another delivery's of a scheduled event a run
	// already has, and does nothing.
	duplicate bool
	decision  string
	attrs     []slog.Attr
	metrics   map[string]float64
}

// Handle is the Lambda handler: one task per invocation, one log line and
// one EMF record. A task's error is returned for Step Functions to retry
// or catch; a panic is recovered into one.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (out json.RawMessage, err error) {
	start := h.deps.Now()
	metrics := h.metrics()
	var (
		p   Payload
		res outcome
	)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("org-sweep task %s panicked: %v\n%s", p.Task, r, debug.Stack())
		}
		h.log(ctx, p, res, err, h.deps.Now().Sub(start))
		metrics.Add("Invocations", 1, telemetry.UnitCount)
		metrics.Add("Duration", float64(h.deps.Now().Sub(start).Milliseconds()), telemetry.UnitMilliseconds)
		if err != nil {
			metrics.Add("Errors", 1, telemetry.UnitCount)
		}
		for name, v := range res.metrics {
			metrics.Add(name, v, telemetry.UnitCount)
		}
		if ferr := metrics.Flush(); ferr != nil {
			h.deps.Logger.Warn("metrics not written", "error", ferr.Error())
		}
	}()
	if p, err = decodePayload(raw); err != nil {
		return nil, err
	}
	var answer any
	switch p.Task {
	case orgsweep.TaskList:
		answer, res, err = h.list(ctx, p)
	case orgsweep.TaskSweep:
		answer, res, err = h.sweep(ctx, p)
	case orgsweep.TaskFailed:
		answer, res, err = h.failed(ctx, p)
	case orgsweep.TaskAggregate:
		answer, res, err = h.aggregate(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(answer)
}

func decodePayload(raw []byte) (Payload, error) {
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, &PayloadError{Reason: err.Error()}
	}
	if p.Run == "" {
		return p, &PayloadError{Reason: "no run"}
	}
	switch p.Task {
	case orgsweep.TaskList, orgsweep.TaskAggregate:
	case orgsweep.TaskSweep, orgsweep.TaskFailed:
		if !config.ValidAccountID(p.Account) || !config.ValidRegion(p.Region) {
			return p, &PayloadError{Reason: fmt.Sprintf("account %q, region %q", p.Account, p.Region)}
		}
		if p.Task == orgsweep.TaskFailed && p.Error == nil {
			return p, &PayloadError{Reason: "a failure without its error"}
		}
	default:
		return p, &PayloadError{Reason: fmt.Sprintf("unknown task %q", p.Task)}
	}
	return p, nil
}

func (h *Handler) log(ctx context.Context, p Payload, res outcome, err error, took time.Duration) {
	l := h.deps.Logger
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		l = l.With(telemetry.KeyRequestID, lc.AwsRequestID)
	}
	status := "processed"
	if res.duplicate {
		status = "duplicate"
	}
	level := slog.LevelInfo
	attrs := []slog.Attr{slog.String("task", p.Task), slog.String("run", p.Run)}
	if p.Account != "" {
		attrs = append(attrs, slog.String("account", p.Account), slog.String("region", p.Region))
	}
	attrs = append(attrs, slog.String("decision", res.decision), slog.Duration("took", took))
	attrs = append(attrs, res.attrs...)
	if err != nil {
		status, level = "error", slog.LevelError
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	attrs = append([]slog.Attr{slog.String("status", status)}, attrs...)
	l.LogAttrs(ctx, level, "org-sweep task "+p.Task+" "+status, attrs...)
}

// hubAccount is the account the function runs in, from its ARN.
func hubAccount(ctx context.Context) (string, error) {
	lc, ok := lambdacontext.FromContext(ctx)
	if ok {
		if parts := strings.SplitN(lc.InvokedFunctionArn, ":", 6); len(parts) >= 5 && config.ValidAccountID(parts[4]) {
			return parts[4], nil
		}
	}
	return "", errors.New("the hub's account is unknown: no Lambda context with the function's ARN")
}
