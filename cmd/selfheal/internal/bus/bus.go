package bus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/eventbridge"
)

// Rule is one deployed rule: a compiled pattern and the function it
// targets.
type Rule struct {
	Name     string // the pattern's name, e.g. "asg-rebalancer--health"
	Function string
	pattern  *eventbridge.Pattern
}

// Bus routes events by rules.
type Bus struct {
	rules []Rule
}

// New compiles the patterns whose function is one of functions (every
// pattern when functions is empty): a rule without a deployed target does
// not exist.
func New(patterns []events.Pattern, functions ...string) (*Bus, error) {
	b := &Bus{}
	for _, p := range patterns {
		if len(functions) > 0 && !slices.Contains(functions, p.Function) {
			continue
		}
		c, err := eventbridge.CompilePattern(p.JSON)
		if err != nil {
			return nil, fmt.Errorf("compile rule %s: %w", p.Name, err)
		}
		b.rules = append(b.rules, Rule{Name: p.Name, Function: p.Function, pattern: c})
	}
	return b, nil
}

// Rules lists the bus's rules in order.
func (b *Bus) Rules() []Rule { return slices.Clone(b.rules) }

// Event is an event parsed once for matching.
type Event struct {
	Raw        []byte
	ID         string
	Source     string
	DetailType string
	Region     string
	fields     map[string]any
}

// Parse reads an event for routing. Only a JSON object can be on a bus.
func Parse(raw []byte) (Event, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return Event{}, fmt.Errorf("an event on the bus must be a JSON object: %w", err)
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	return Event{Raw: raw, ID: str("id"), Source: str("source"), DetailType: str("detail-type"), Region: str("region"), fields: m}, nil
}

// Route returns the rules that match ev, in rule order. A function
// targeted by two matching rules gets the event twice, as on EventBridge.
func (b *Bus) Route(ev Event) []Rule {
	var out []Rule
	for _, r := range b.rules {
		if r.pattern.MatchesMap(ev.fields) {
			out = append(out, r)
		}
	}
	return out
}

// RetryDelays are Lambda's waits before the second and third attempts of
// an asynchronous invocation whose function returned an error: one
// minute, then two.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
var RetryDelays = []time.Duration{time.Minute, 2 * time.Minute}

// RetryDelay is the wait before attempt (2 or more).
func RetryDelay(attempt int) time.Duration {
	i := min(max(attempt-2, 0), len(RetryDelays)-1)
	return RetryDelays[i]
}
