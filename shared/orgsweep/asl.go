package orgsweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The part of the Amazon States Language (JSONPath query language) the
// executor runs: what the organization sweep's definition uses, read
// strictly. A field it does not know is an error, never ignored, so a
// definition cannot grow a feature the game day would silently skip.
// https://states-language.net/spec.html
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-amazon-states-language.html

// machine is a state machine, or a Map's item processor.
type machine struct {
	Comment       string                `json:"Comment,omitempty"`
	StartAt       string                `json:"StartAt"`
	States        map[string]*stateSpec `json:"States"`
	QueryLanguage string                `json:"QueryLanguage,omitempty"`
	// ProcessorConfig is only an item processor's.
	ProcessorConfig *processorConfig `json:"ProcessorConfig,omitempty"`
}

type processorConfig struct {
	Mode          string `json:"Mode"`
	ExecutionType string `json:"ExecutionType"`
}

// stateSpec is one state. Paths are json.RawMessage so that an explicit
// null (discard) differs from an absent field ("$").
type stateSpec struct {
	Type    string `json:"Type"`
	Comment string `json:"Comment,omitempty"`
	Next    string `json:"Next,omitempty"`
	End     bool   `json:"End,omitempty"`

	InputPath      json.RawMessage `json:"InputPath,omitempty"`
	OutputPath     json.RawMessage `json:"OutputPath,omitempty"`
	ResultPath     json.RawMessage `json:"ResultPath,omitempty"`
	Parameters     json.RawMessage `json:"Parameters,omitempty"`
	ResultSelector json.RawMessage `json:"ResultSelector,omitempty"`
	Result         json.RawMessage `json:"Result,omitempty"`

	Retry []retrier `json:"Retry,omitempty"`
	Catch []catcher `json:"Catch,omitempty"`

	// Task
	Resource       string `json:"Resource,omitempty"`
	TimeoutSeconds int    `json:"TimeoutSeconds,omitempty"`

	// Map
	ItemsPath                  json.RawMessage `json:"ItemsPath,omitempty"`
	ItemSelector               json.RawMessage `json:"ItemSelector,omitempty"`
	ItemProcessor              *machine        `json:"ItemProcessor,omitempty"`
	MaxConcurrency             int             `json:"MaxConcurrency,omitempty"`
	ToleratedFailurePercentage *float64        `json:"ToleratedFailurePercentage,omitempty"`
	ToleratedFailureCount      *int            `json:"ToleratedFailureCount,omitempty"`
	Label                      string          `json:"Label,omitempty"`

	// Fail: a name and cause, or paths to them in the state's input.
	Error     string `json:"Error,omitempty"`
	Cause     string `json:"Cause,omitempty"`
	ErrorPath string `json:"ErrorPath,omitempty"`
	CausePath string `json:"CausePath,omitempty"`
}

// retrier is one Retry entry; omitted numbers take the spec's defaults.
type retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds *float64 `json:"IntervalSeconds,omitempty"`
	MaxAttempts     *int     `json:"MaxAttempts,omitempty"`
	BackoffRate     *float64 `json:"BackoffRate,omitempty"`
	MaxDelaySeconds *float64 `json:"MaxDelaySeconds,omitempty"`
	JitterStrategy  string   `json:"JitterStrategy,omitempty"`
}

type catcher struct {
	ErrorEquals []string        `json:"ErrorEquals"`
	Next        string          `json:"Next"`
	ResultPath  json.RawMessage `json:"ResultPath,omitempty"`
}

// Error names of the States Language the executor raises or matches.
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
const (
	ErrAll                   = "States.ALL"
	ErrTaskFailed            = "States.TaskFailed"
	ErrTimeout               = "States.Timeout"
	ErrRuntime               = "States.Runtime"
	ErrDataLimitExceeded     = "States.DataLimitExceeded"
	ErrResultPathMatch       = "States.ResultPathMatchFailure"
	ErrExceedToleratedFailed = "States.ExceedToleratedFailureThreshold"
)

// PayloadLimit is Step Functions' limit on a state's input or output and
// on a task's payload: 256 KiB of UTF-8.
// https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
const PayloadLimit = 256 * 1024

// distributedMaxConcurrency is a Distributed Map's concurrency when its
// MaxConcurrency is 0 (unbounded): Step Functions runs up to 10,000
// child executions at once.
// https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
const distributedMaxConcurrency = 10000

// parseDefinition reads a definition and checks what the executor needs
// of it: known fields only, supported state types and resources, every
// transition to a state of the same machine.
func parseDefinition(def string) (*machine, error) {
	dec := json.NewDecoder(strings.NewReader(def))
	dec.DisallowUnknownFields()
	var m machine
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("read definition: %w", err)
	}
	if m.ProcessorConfig != nil {
		return nil, errors.New("read definition: ProcessorConfig outside a Map's ItemProcessor")
	}
	if err := m.check("", false); err != nil {
		return nil, fmt.Errorf("read definition: %w", err)
	}
	return &m, nil
}

func (m *machine) check(where string, inMap bool) error {
	if m.QueryLanguage != "" && m.QueryLanguage != "JSONPath" {
		return fmt.Errorf("%sQueryLanguage %q: the executor runs JSONPath definitions", where, m.QueryLanguage)
	}
	if _, ok := m.States[m.StartAt]; !ok {
		return fmt.Errorf("%sStartAt %q is not a state", where, m.StartAt)
	}
	for _, name := range sortedNames(m.States) {
		s := m.States[name]
		at := where + name + ": "
		if err := s.check(at, m, inMap); err != nil {
			return err
		}
	}
	return nil
}

func (s *stateSpec) check(at string, m *machine, inMap bool) error {
	next := func(n string) error {
		if _, ok := m.States[n]; !ok {
			return fmt.Errorf("%stransition to %q, which is not a state of this machine", at, n)
		}
		return nil
	}
	terminal := s.Type == "Fail" || s.Type == "Succeed"
	switch {
	case terminal && (s.Next != "" || s.End):
		return fmt.Errorf("%sa %s state has no Next or End", at, s.Type)
	case !terminal && s.End == (s.Next != ""):
		return fmt.Errorf("%sexactly one of Next and End", at)
	case s.Next != "":
		if err := next(s.Next); err != nil {
			return err
		}
	}
	for _, c := range s.Catch {
		if err := next(c.Next); err != nil {
			return err
		}
		if err := checkErrorEquals(at, c.ErrorEquals); err != nil {
			return err
		}
	}
	for _, r := range s.Retry {
		if err := checkErrorEquals(at, r.ErrorEquals); err != nil {
			return err
		}
		if r.JitterStrategy != "" && r.JitterStrategy != "FULL" && r.JitterStrategy != "NONE" {
			return fmt.Errorf("%sJitterStrategy %q", at, r.JitterStrategy)
		}
	}
	for field, p := range map[string]json.RawMessage{"InputPath": s.InputPath, "OutputPath": s.OutputPath, "ResultPath": s.ResultPath, "ItemsPath": s.ItemsPath} {
		if _, _, err := pathField(p); err != nil {
			return fmt.Errorf("%s%s: %w", at, field, err)
		}
	}
	switch s.Type {
	case "Task":
		if s.Resource != lambdaInvoke {
			return fmt.Errorf("%sresource %q: the executor runs %s tasks only", at, s.Resource, lambdaInvoke)
		}
	case "Map":
		p := s.ItemProcessor
		switch {
		case inMap:
			return fmt.Errorf("%sa Map inside a Map's item processor", at)
		case p == nil:
			return fmt.Errorf("%sa Map without ItemProcessor", at)
		case p.ProcessorConfig == nil || p.ProcessorConfig.Mode != "DISTRIBUTED" || p.ProcessorConfig.ExecutionType != "STANDARD":
			return fmt.Errorf("%sthe executor runs Distributed Maps of STANDARD child executions", at)
		case s.MaxConcurrency < 0:
			return fmt.Errorf("%sMaxConcurrency %d", at, s.MaxConcurrency)
		case s.ToleratedFailurePercentage != nil && (*s.ToleratedFailurePercentage < 0 || *s.ToleratedFailurePercentage > 100):
			return fmt.Errorf("%sToleratedFailurePercentage %v", at, *s.ToleratedFailurePercentage)
		}
		return p.check(at, true)
	case "Fail":
		for _, p := range []string{s.ErrorPath, s.CausePath} {
			if _, err := parsePath(p); p != "" && err != nil {
				return fmt.Errorf("%s%w", at, err)
			}
		}
		if (s.Error != "" && s.ErrorPath != "") || (s.Cause != "" && s.CausePath != "") {
			return fmt.Errorf("%sa Fail state has a name or a path to one, not both", at)
		}
	case "Pass", "Succeed":
	default:
		return fmt.Errorf("%sstate type %q is not run by the executor", at, s.Type)
	}
	if s.Type != "Map" && (s.ItemsPath != nil || s.ItemSelector != nil || s.ItemProcessor != nil) {
		return fmt.Errorf("%sMap fields on a %s state", at, s.Type)
	}
	return nil
}

func checkErrorEquals(at string, names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("%sempty ErrorEquals", at)
	}
	if slices.Contains(names, ErrAll) && len(names) > 1 {
		return fmt.Errorf("%s%s must appear alone in ErrorEquals", at, ErrAll)
	}
	return nil
}

// pathField reads an optional path field: absent is "$", null discards.
func pathField(raw json.RawMessage) (path string, null bool, err error) {
	if raw == nil {
		return "$", false, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "", true, nil
	}
	if err := json.Unmarshal(raw, &path); err != nil {
		return "", false, fmt.Errorf("not a path: %s", raw)
	}
	if _, err := parsePath(path); err != nil {
		return "", false, err
	}
	return path, false, nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
