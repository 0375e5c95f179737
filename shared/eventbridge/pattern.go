package eventbridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Pattern is a compiled EventBridge event pattern. It implements the subset
// of EventBridge's pattern language the catalogue uses (see the package
// documentation); CompilePattern rejects every other feature, so a Pattern
// never gives an answer EventBridge would not.
//
// Pattern language: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
type Pattern struct {
	root *fieldSet
}

// fieldSet is a pattern object: every field must match (AND).
type fieldSet struct {
	fields []patternField
}

// patternField matches one key of an event object, either with a nested
// pattern object or with a list of rules of which one must match (OR).
type patternField struct {
	key    string
	nested *fieldSet
	rules  []rule
}

type ruleKind uint8

const (
	ruleExact ruleKind = iota
	rulePrefix
	ruleAnythingBut
	ruleAnythingButPrefix
	ruleExists
	ruleNumeric
)

type rule struct {
	kind   ruleKind
	value  scalar   // ruleExact
	prefix string   // rulePrefix, ruleAnythingButPrefix
	set    []scalar // ruleAnythingBut
	exists bool     // ruleExists
	bounds []bound  // ruleNumeric: every bound must hold
}

type scalarKind uint8

const (
	scalarString scalarKind = iota
	scalarNumber
	scalarBool
	scalarNull
)

// scalar is a JSON leaf value. Numbers compare by value, so 5 and 5.0 are
// equal, as in EventBridge.
type scalar struct {
	kind scalarKind
	s    string
	n    float64
	b    bool
}

type bound struct {
	op string // "<", "<=", "=", ">=", ">"
	n  float64
}

// Pattern operators EventBridge has that the matcher does not implement.
// Naming them gives a precise compile error.
var unsupportedOperators = map[string]bool{
	"suffix": true, "equals-ignore-case": true, "wildcard": true, "cidr": true,
}

// CompilePattern compiles an EventBridge event pattern. A pattern that is
// not valid EventBridge syntax, or uses a feature outside the supported
// subset (suffix, equals-ignore-case, wildcard, cidr, $or, anything-but
// with those), is an error.
func CompilePattern(p []byte) (*Pattern, error) {
	if len(p) > MaxEventSize {
		return nil, fmt.Errorf("event pattern is %d bytes, over %d", len(p), MaxEventSize)
	}
	v, err := decodeJSON(p)
	if err != nil {
		return nil, fmt.Errorf("event pattern: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("event pattern: want a JSON object")
	}
	root, err := compileObject("", obj)
	if err != nil {
		return nil, fmt.Errorf("event pattern: %w", err)
	}
	return &Pattern{root: root}, nil
}

func compileObject(path string, obj map[string]any) (*fieldSet, error) {
	if len(obj) == 0 {
		return nil, fmt.Errorf("%s: an empty object matches nothing", orRoot(path))
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic errors
	fs := &fieldSet{}
	for _, k := range keys {
		p := join(path, k)
		if strings.HasPrefix(k, "$") {
			return nil, fmt.Errorf("%s: %s is not supported by this matcher", p, k)
		}
		f := patternField{key: k}
		switch v := obj[k].(type) {
		case map[string]any:
			nested, err := compileObject(p, v)
			if err != nil {
				return nil, err
			}
			f.nested = nested
		case []any:
			if len(v) == 0 {
				return nil, fmt.Errorf("%s: an empty array matches nothing", p)
			}
			for _, elem := range v {
				r, err := compileRule(p, elem)
				if err != nil {
					return nil, err
				}
				f.rules = append(f.rules, r)
			}
		default:
			return nil, fmt.Errorf("%s: values to match must be in an array, got %s", p, describe(v))
		}
		fs.fields = append(fs.fields, f)
	}
	return fs, nil
}

func compileRule(path string, elem any) (rule, error) {
	if s, ok := toScalar(elem); ok {
		return rule{kind: ruleExact, value: s}, nil
	}
	op, ok := elem.(map[string]any)
	if !ok || len(op) != 1 {
		return rule{}, fmt.Errorf("%s: want a value or an object with one operator, got %s", path, describe(elem))
	}
	var name string
	var arg any
	for name, arg = range op { // the only entry
	}
	switch {
	case unsupportedOperators[name]:
		return rule{}, fmt.Errorf("%s: %q matching is not supported by this matcher", path, name)
	case name == "prefix":
		s, ok := arg.(string)
		if !ok {
			return rule{}, fmt.Errorf("%s: prefix wants a string, got %s (prefix with equals-ignore-case is not supported)", path, describe(arg))
		}
		return rule{kind: rulePrefix, prefix: s}, nil
	case name == "anything-but":
		return compileAnythingBut(path, arg)
	case name == "exists":
		b, ok := arg.(bool)
		if !ok {
			return rule{}, fmt.Errorf("%s: exists wants true or false, got %s", path, describe(arg))
		}
		return rule{kind: ruleExists, exists: b}, nil
	case name == "numeric":
		return compileNumeric(path, arg)
	default:
		return rule{}, fmt.Errorf("%s: unknown pattern operator %q", path, name)
	}
}

func compileAnythingBut(path string, arg any) (rule, error) {
	switch a := arg.(type) {
	case string, json.Number:
		s, _ := toScalar(a)
		return rule{kind: ruleAnythingBut, set: []scalar{s}}, nil
	case []any:
		if len(a) == 0 {
			return rule{}, fmt.Errorf("%s: anything-but wants at least one value", path)
		}
		r := rule{kind: ruleAnythingBut}
		for _, v := range a {
			s, ok := toScalar(v)
			if !ok || (s.kind != scalarString && s.kind != scalarNumber) {
				return rule{}, fmt.Errorf("%s: anything-but lists strings or numbers, got %s", path, describe(v))
			}
			r.set = append(r.set, s)
		}
		return r, nil
	case map[string]any:
		if p, ok := a["prefix"].(string); ok && len(a) == 1 {
			return rule{kind: ruleAnythingButPrefix, prefix: p}, nil
		}
		return rule{}, fmt.Errorf("%s: anything-but supports a value, a list or {\"prefix\": string} here, got %s", path, describe(a))
	}
	return rule{}, fmt.Errorf("%s: anything-but wants a string, a number or a list, got %s", path, describe(arg))
}

func compileNumeric(path string, arg any) (rule, error) {
	a, ok := arg.([]any)
	if !ok || (len(a) != 2 && len(a) != 4) {
		return rule{}, fmt.Errorf("%s: numeric wants [op, n] or [lower-op, n, upper-op, n], got %s", path, describe(arg))
	}
	r := rule{kind: ruleNumeric}
	for i := 0; i < len(a); i += 2 {
		op, _ := a[i].(string)
		num, isNum := a[i+1].(json.Number)
		if !isNum {
			return rule{}, fmt.Errorf("%s: numeric wants a number after %q, got %s", path, op, describe(a[i+1]))
		}
		n, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return rule{}, fmt.Errorf("%s: numeric: %v", path, err)
		}
		switch op {
		case "<", "<=", "=", ">", ">=":
		default:
			return rule{}, fmt.Errorf("%s: numeric operator %s is not one of < <= = > >=", path, describe(a[i]))
		}
		r.bounds = append(r.bounds, bound{op: op, n: n})
	}
	// A range is a lower bound followed by an upper bound, as EventBridge
	// requires.
	if len(r.bounds) == 2 {
		lo, hi := r.bounds[0].op, r.bounds[1].op
		if (lo != ">" && lo != ">=") || (hi != "<" && hi != "<=") {
			return rule{}, fmt.Errorf("%s: a numeric range is [\">\" or \">=\", n, \"<\" or \"<=\", n]", path)
		}
	}
	return r, nil
}

// Matches reports whether event, a JSON object, matches the pattern. It
// returns an error if event is not a JSON object or is larger than
// MaxEventSize.
func (p *Pattern) Matches(event []byte) (bool, error) {
	if len(event) > MaxEventSize {
		return false, fmt.Errorf("event is %d bytes, over the EventBridge limit of %d", len(event), MaxEventSize)
	}
	v, err := decodeJSON(event)
	if err != nil {
		return false, fmt.Errorf("event: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false, errors.New("event: want a JSON object")
	}
	return p.root.match(obj), nil
}

// MatchesMap is Matches for an event already decoded by encoding/json into
// a map (numbers as float64 or json.Number).
func (p *Pattern) MatchesMap(event map[string]any) bool {
	return p.root.match(event)
}

func (fs *fieldSet) match(obj map[string]any) bool {
	for i := range fs.fields {
		f := &fs.fields[i]
		v, present := obj[f.key]
		if !f.match(v, present) {
			return false
		}
	}
	return true
}

// matchAbsent reports whether the pattern matches an event in which none of
// its fields exist: only if every field accepts absence ({"exists": false}).
func (fs *fieldSet) matchAbsent() bool {
	for i := range fs.fields {
		if !fs.fields[i].match(nil, false) {
			return false
		}
	}
	return true
}

func (f *patternField) match(v any, present bool) bool {
	if f.nested != nil {
		var objs []map[string]any
		if present {
			objs = collectObjects(v, objs)
		}
		if len(objs) == 0 {
			return f.nested.matchAbsent()
		}
		// An array of objects matches if one of its elements does.
		for _, o := range objs {
			if f.nested.match(o) {
				return true
			}
		}
		return false
	}
	var leaves []scalar
	if present {
		leaves = collectLeaves(v, leaves)
	}
	for i := range f.rules {
		r := &f.rules[i]
		if len(leaves) == 0 {
			// Exists matching looks at leaves only, as in EventBridge: a
			// field holding an object or [] does not "exist".
			if r.kind == ruleExists && !r.exists {
				return true
			}
			continue
		}
		if r.matchAny(leaves) {
			return true
		}
	}
	return false
}

// matchAny reports whether one of the event's values at a field (one value,
// or the elements of an array) satisfies the rule.
func (r *rule) matchAny(leaves []scalar) bool {
	if r.kind == ruleExists {
		return r.exists
	}
	for _, l := range leaves {
		if r.matchOne(l) {
			return true
		}
	}
	return false
}

func (r *rule) matchOne(l scalar) bool {
	switch r.kind {
	case ruleExact:
		return l.equal(r.value)
	case rulePrefix:
		return l.kind == scalarString && strings.HasPrefix(l.s, r.prefix)
	case ruleAnythingBut:
		for _, s := range r.set {
			if l.equal(s) {
				return false
			}
		}
		return true
	case ruleAnythingButPrefix:
		return !(l.kind == scalarString && strings.HasPrefix(l.s, r.prefix))
	case ruleNumeric:
		if l.kind != scalarNumber {
			return false
		}
		for _, b := range r.bounds {
			if !b.holds(l.n) {
				return false
			}
		}
		return true
	}
	return false
}

func (b bound) holds(n float64) bool {
	switch b.op {
	case "<":
		return n < b.n
	case "<=":
		return n <= b.n
	case "=":
		return n == b.n
	case ">=":
		return n >= b.n
	case ">":
		return n > b.n
	}
	return false
}

func (s scalar) equal(o scalar) bool {
	if s.kind != o.kind {
		return false
	}
	switch s.kind {
	case scalarString:
		return s.s == o.s
	case scalarNumber:
		return s.n == o.n
	case scalarBool:
		return s.b == o.b
	}
	return true // null
}

// toScalar converts a decoded JSON leaf to a scalar; false for objects and
// arrays.
func toScalar(v any) (scalar, bool) {
	switch x := v.(type) {
	case string:
		return scalar{kind: scalarString, s: x}, true
	case json.Number:
		// A valid JSON number always parses; one out of float64's range
		// becomes ±Inf, which is still ordered.
		n, _ := strconv.ParseFloat(string(x), 64)
		return scalar{kind: scalarNumber, n: n}, true
	case float64:
		return scalar{kind: scalarNumber, n: x}, true
	case bool:
		return scalar{kind: scalarBool, b: x}, true
	case nil:
		return scalar{kind: scalarNull}, true
	}
	return scalar{}, false
}

// collectLeaves appends the leaf values at a field: the value itself, or
// the leaves of an array (nested arrays flattened, objects skipped).
func collectLeaves(v any, out []scalar) []scalar {
	if a, ok := v.([]any); ok {
		for _, e := range a {
			out = collectLeaves(e, out)
		}
		return out
	}
	if s, ok := toScalar(v); ok {
		out = append(out, s)
	}
	return out
}

// collectObjects appends the objects at a field: the value itself, or the
// objects in an array (nested arrays flattened).
func collectObjects(v any, out []map[string]any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		out = append(out, x)
	case []any:
		for _, e := range x {
			out = collectObjects(e, out)
		}
	}
	return out
}

// decodeJSON decodes exactly one JSON value, keeping numbers exact.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(preview([]byte(x)))
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "pattern"
	}
	return path
}
