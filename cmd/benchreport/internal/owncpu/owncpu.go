package owncpu

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/handler"
)

// Sample is one event delivered to one function.
type Sample struct {
	Function string
	// Kind says what the event was: its detail-type and state.
	Kind string
	// Own is the handler's time minus Sim.
	Own time.Duration
	// Sim is the time the simulated account took answering its calls.
	Sim time.Duration
	// Calls is how many call attempts it made.
	Calls int
}

// Harness is a seeded world with the functions deployed over timed clients.
type Harness struct {
	World *gameday.World

	fns   map[string]*handler.Boundary
	rules []rule

	mu    sync.Mutex
	sim   time.Duration
	calls int

	Samples []Sample
}

type rule struct {
	function string
	pattern  *eventbridge.Pattern
}

// measured are the functions whose events are measured: the event-driven
// ones (the sweep reads concurrently).
var measured = map[string]bool{"asg-rebalancer": true, "backup-compliance": true}

// New seeds the scenario's world and deploys the functions on it.
func New(ctx context.Context, sc *scenario.Scenario) (*Harness, error) {
	w, err := gameday.Build(ctx, sc, gameday.Options{})
	if err != nil {
		return nil, err
	}
	h := &Harness{World: w, fns: map[string]*handler.Boundary{}}
	cfg := w.Sim.Config(w.Env.Region)
	// Added after the sim's own middleware, this one is first in the
	// Deserialize step: it wraps the sim's answer.
	cfg.APIOptions = append(cfg.APIOptions, h.timeAnswer)
	for _, f := range gameday.Functions() {
		if !measured[f.Name] {
			continue
		}
		deps := handler.NewDeps(f.Name, w.Env.Config, cfg, io.Discard, w.Sim.Now)
		h.fns[f.Name] = deps.Boundary(f.New(deps), f.Kinds...)
	}
	patterns, err := events.Patterns()
	if err != nil {
		return nil, err
	}
	for _, p := range patterns {
		if !measured[p.Function] {
			continue
		}
		c, err := eventbridge.CompilePattern(p.JSON)
		if err != nil {
			return nil, fmt.Errorf("pattern %s: %w", p.Name, err)
		}
		h.rules = append(h.rules, rule{function: p.Function, pattern: c})
	}
	return h, nil
}

func (h *Harness) timeAnswer(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("owncpu.sim",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			start := time.Now()
			out, md, err := next.HandleDeserialize(ctx, in)
			took := time.Since(start)
			h.mu.Lock()
			h.sim += took
			h.calls++
			h.mu.Unlock()
			return out, md, err
		}), middleware.Before)
}

// Pump delivers every event the account emitted in the world's region to
// the functions whose rules match it, each measured.
func (h *Harness) Pump(ctx context.Context) error {
	w := h.World
	for _, e := range w.Sim.DrainEvents() {
		if e.Region != w.Env.Region {
			continue
		}
		for _, r := range h.rules {
			if ok, err := r.pattern.Matches(e.JSON); err != nil || !ok {
				continue
			}
			if err := h.Deliver(ctx, r.function, e.JSON); err != nil {
				return err
			}
		}
	}
	return nil
}

// Deliver hands one event to a function and records the measurement.
func (h *Harness) Deliver(ctx context.Context, function string, raw []byte) error {
	b, ok := h.fns[function]
	if !ok {
		return fmt.Errorf("no measured function %q", function)
	}
	// What the setup left for the collector is not the event's.
	runtime.GC()
	h.mu.Lock()
	h.sim, h.calls = 0, 0
	h.mu.Unlock()
	start := time.Now()
	err := b.Handle(ctx, raw)
	wall := time.Since(start)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", function, Kind(raw), err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Samples = append(h.Samples, Sample{Function: function, Kind: Kind(raw), Own: wall - h.sim, Sim: h.sim, Calls: h.calls})
	return nil
}

// Scheduled is the event a function's schedule sends it.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
func (h *Harness) Scheduled(function string, n int) []byte {
	w := h.World
	raw, _ := json.Marshal(map[string]any{
		"version": "0", "id": fmt.Sprintf("9f1e2d3c-0000-4000-8000-%012d", n), "detail-type": "Scheduled Event", "source": "aws.events",
		"account": w.Sim.AccountID(), "time": w.Sim.Now().UTC().Format(time.RFC3339), "region": w.Env.Region,
		"resources": []string{fmt.Sprintf("arn:aws:events:%s:%s:rule/selfheal-%s", w.Env.Region, w.Sim.AccountID(), function)},
		"detail":    map[string]any{},
	})
	return raw
}

// Kind names an event by its detail-type and the state it reports.
func Kind(raw []byte) string {
	ev, err := eventbridge.Decode(raw)
	if err != nil {
		return ev.Kind.DetailType + " (not decoded)"
	}
	state := ""
	switch d := ev.Detail.(type) {
	case *eventbridge.HealthEvent:
		state = string(d.StatusCode)
	case *eventbridge.AlarmStateChange:
		state = string(d.State.Value)
	case *eventbridge.BackupJobStateChange:
		state = string(d.State)
	case *eventbridge.CopyJobStateChange:
		state = string(d.State)
	case *eventbridge.RecoveryPointStateChange:
		state = string(d.Status)
	case *eventbridge.BackupVaultStateChange:
		state = string(d.State)
	case *eventbridge.RestoreJobStateChange:
		state = string(d.Status)
	}
	if state == "" {
		return ev.Kind.DetailType
	}
	return ev.Kind.DetailType + " " + state
}
