package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/selfheal/selfheal/shared/config"
)

// Options tell Parse what the build it runs in provides.
type Options struct {
	// Name is the scenario's name when the file gives none (its base name).
	Name string
	// File names the file in errors.
	File string
	// ReadEvent reads the file of an "eventFile" step (a sample of the
	// catalogue, or a path relative to the scenario). Nil refuses every
	// eventFile step.
	ReadEvent func(path string) ([]byte, error)
	// Functions that exist: "to" and "runSchedule" must name one of them,
	// and runSchedule one that is Scheduled.
	Functions []Function
	// Checks are the known finding check ids; when set, an expectation on
	// another id is an error (a typo would make "absent" pass forever).
	Checks []string
}

// Function is what Parse needs to know of a function.
type Function struct {
	Name      string
	Scheduled bool
	// Shape is where the function is deployed: "" in every deployment,
	// ShapeSingle only in a single account, ShapeHub only in an
	// organization's hub.
	Shape string
}

// Deployment shapes of a function.
const (
	ShapeSingle = "single"
	ShapeHub    = "hub"
)

// defaultRegions are the simulated account's regions unless the file says.
var defaultRegions = []string{"eu-west-1", "us-east-1", "us-west-2"}

// Parse reads and validates a scenario document. Its error is an *Error
// listing every problem.
func Parse(data []byte, opts Options) (*Scenario, error) {
	r := &reader{}
	sc := parse(r, data, opts)
	if len(r.problems) > 0 {
		sortProblems(r.problems)
		return nil, &Error{File: opts.File, Problems: r.problems}
	}
	return sc, nil
}

func parse(r *reader, data []byte, opts Options) *Scenario {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		r.addf("", "not valid JSON: %s", jsonErrorAt(data, err))
		return nil
	}
	if _, err := dec.Token(); err == nil {
		r.addf("", "holds more than one JSON value")
		return nil
	}
	root, ok := r.asObject("", doc)
	if !ok {
		return nil
	}
	sc := &Scenario{Name: opts.Name}
	if n := root.str("name", false); n != "" {
		sc.Name = n
	}
	sc.Description = root.str("description", false)
	sc.Region = root.str("region", false)
	if sc.Region == "" && !root.has("region") {
		sc.Region = DefaultRegion
	} else if sc.Region != "" && !config.ValidRegion(sc.Region) {
		r.addf("region", "%q is not an AWS region name", sc.Region)
	}
	if v, ok := root.get("seed"); ok {
		n, isNum := v.(json.Number)
		u, err := parseSeed(n)
		if !isNum || err != nil {
			r.addf("seed", "must be a whole number from 1 to %d, not %s", uint64(math.MaxInt64), config.DescribeJSON(v))
		}
		sc.Seed = u
	}
	sc.Policy = config.DefaultPolicy()
	if v, ok := root.get("policy"); ok {
		parsePolicy(r, sc, v)
	}
	if st, ok := root.child("state", false); ok {
		sc.State = parseState(st, sc.Region)
	} else {
		sc.State = State{Regions: regionsWith(nil, sc.Region), AZCount: 3, SupportPlan: "BUSINESS"}
	}
	w := &world{sc: sc, opts: opts, r: r, health: map[string]healthIssue{}}
	w.cur = &sc.State
	w.index(&sc.State)
	w.checkState("state")
	w.checkRestoreTestingPlans("state")
	if _, ok := root.array("accounts", false); ok {
		w.accounts(root)
	}
	if _, ok := root.array("timeline", false); ok {
		for i, so := range root.objects("timeline") {
			if st, ok := w.step(so, index("timeline", i)); ok {
				sc.Timeline = append(sc.Timeline, st)
			}
		}
	}
	// Steps run in time order; equal times keep the file's order.
	sort.SliceStable(sc.Timeline, func(i, j int) bool { return sc.Timeline[i].At < sc.Timeline[j].At })
	w.checkHealthIssues()
	if d, ok := root.duration("duration", false); ok {
		switch {
		case d == 0:
			r.addf("duration", "must be more than zero")
		case d < sc.lastAt():
			r.addf("duration", "%s ends before the last step, at %s", d, sc.lastAt())
		}
		sc.Duration = d
	} else {
		sc.Duration = sc.lastAt() + DefaultTail
	}
	so, hasSchedules := root.child("schedules", false)
	if sc.Duration > MaxDuration {
		r.addf("duration", "%s is longer than the %s a game day may last", sc.Duration, MaxDuration)
	} else if hasSchedules {
		w.schedules(so)
	}
	if eo, ok := root.child("expect", false); ok {
		sc.Expect = w.expect(eo)
	}
	root.done()
	return sc
}

// lastAt is when the last step runs.
func (sc *Scenario) lastAt() time.Duration {
	if n := len(sc.Timeline); n > 0 {
		return sc.Timeline[n-1].At
	}
	return 0
}

func parseSeed(n json.Number) (uint64, error) {
	i, err := n.Int64()
	if err != nil || i < 1 {
		return 0, errors.New("bad seed")
	}
	return uint64(i), nil
}

// parsePolicy overlays the file's policy on the defaults with the same
// parser the Lambdas use, so the game day runs exactly what a deployment
// with this SELFHEAL_POLICY would.
func parsePolicy(r *reader, sc *Scenario, v any) {
	if _, ok := v.(map[string]any); !ok {
		r.addf("policy", "must be an object, not %s", config.DescribeJSON(v))
		return
	}
	raw, err := json.Marshal(v)
	if err != nil {
		r.addf("policy", "%v", err)
		return
	}
	sc.PolicyJSON = raw
	p, err := config.ParsePolicy(raw)
	var cerr *config.Error
	switch {
	case errors.As(err, &cerr):
		for _, msg := range cerr.Problems {
			path, text, found := strings.Cut(msg, ": ")
			if !found {
				r.addf("policy", "%s", msg)
				continue
			}
			if path == "" || path == "policy" {
				path = "policy"
			} else {
				path = "policy." + path
			}
			r.addf(path, "%s", text)
		}
	case err != nil:
		r.addf("policy", "%v", err)
	default:
		sc.Policy = p
	}
}

// jsonErrorAt says where a JSON syntax error is, as line and column.
func jsonErrorAt(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return err.Error()
	}
	// The offset is just past the byte that broke the syntax.
	off = min(max(off-1, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%v (line %d, column %d)", err, line, col)
}

func regionsWith(list []string, region string) []string {
	if len(list) == 0 {
		list = slices.Clone(defaultRegions)
	}
	if region != "" && !slices.Contains(list, region) {
		list = append(list, region)
	}
	slices.Sort(list)
	return list
}

// minSchedule is EventBridge's shortest schedule: rate(1 minute).
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
const minSchedule = time.Minute

// schedules turns "schedules": {"function": "every"} into runSchedule
// steps at every multiple of the interval, as a deployed rate() rule
// fires.
func (w *world) schedules(o *object) {
	names := make([]string, 0, len(o.m))
	for k := range o.m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		every, ok := o.duration(name, true)
		fn, found := w.function(o.at(name), name)
		switch {
		case !ok || !found:
			continue
		case !fn.Scheduled:
			w.r.addf(o.at(name), "%s runs on events, not on a schedule", name)
			continue
		case every < minSchedule:
			w.r.addf(o.at(name), "%s is more often than EventBridge schedules run (at most every %s)", every, minSchedule)
			continue
		}
		for at := every; at <= w.sc.Duration; at += every {
			w.sc.Timeline = append(w.sc.Timeline, Step{At: at, Path: o.at(name), Action: RunSchedule{Function: name}})
		}
	}
	o.done()
	sort.SliceStable(w.sc.Timeline, func(i, j int) bool { return w.sc.Timeline[i].At < w.sc.Timeline[j].At })
}

// sections are the top-level keys in the order the documentation presents
// them; problems are listed in that order.
var sections = []string{"", "name", "description", "region", "seed", "policy", "state", "accounts", "schedules", "timeline", "duration", "expect"}

// sortProblems orders problems by section, and timeline problems by step,
// keeping the order they were found in otherwise. Keys that are no
// section (typos of one, most likely) come first.
func sortProblems(ps []Problem) {
	rank := func(p Problem) (int, int) {
		top, _, _ := strings.Cut(p.Path, ".")
		top, idx, _ := strings.Cut(top, "[")
		r := slices.Index(sections, top)
		i := 0
		if top == "timeline" {
			fmt.Sscanf(idx, "%d]", &i)
		}
		return r, i
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		ra, ia := rank(a)
		rb, ib := rank(b)
		if ra != rb {
			return ra - rb
		}
		return ia - ib
	})
}
