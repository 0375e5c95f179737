package scenario

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/selfheal/selfheal/shared/config"
)

// Problem is one thing wrong with a scenario file.
type Problem struct {
	// Path is the JSON path of the value, e.g. "timeline[3].at"; "" is the
	// document itself.
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Error is every problem of a scenario file.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	head := "scenario"
	if e.File != "" {
		head += " " + e.File
	}
	return fmt.Sprintf("%s: %d problem(s): %s", head, len(e.Problems), strings.Join(lines, "; "))
}

// reader walks a decoded JSON document, recording every problem with its
// path instead of stopping at the first, and the keys each object was asked
// for, so that the rest are reported as unknown.
type reader struct {
	problems []Problem
}

func (r *reader) addf(path, format string, args ...any) {
	r.problems = append(r.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// object is one JSON object being read.
type object struct {
	r     *reader
	path  string
	m     map[string]any
	known []string
}

// asObject starts reading v as an object; ok is false (and the problem
// recorded) when it is not one.
func (r *reader) asObject(path string, v any) (*object, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		r.addf(path, "must be an object, not %s", config.DescribeJSON(v))
		return &object{r: r, path: path, m: map[string]any{}}, false
	}
	return &object{r: r, path: path, m: m}, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// at returns a key's path.
func (o *object) at(key string) string { return join(o.path, key) }

// get marks key as known and returns its value; a JSON null counts as
// absent.
func (o *object) get(key string) (any, bool) {
	o.known = append(o.known, key)
	v, ok := o.m[key]
	return v, ok && v != nil
}

func (o *object) has(key string) bool {
	v, ok := o.m[key]
	return ok && v != nil
}

// done reports the keys nobody asked for.
func (o *object) done() {
	var unknown []string
	for k := range o.m {
		if !slices.Contains(o.known, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	known := slices.Clone(o.known)
	slices.Sort(known)
	known = slices.Compact(known)
	for _, k := range unknown {
		o.r.addf(o.at(k), "unknown key (known here: %s)", strings.Join(known, ", "))
	}
}

func (o *object) missing(key string) { o.r.addf(o.at(key), "is required") }

func (o *object) str(key string, required bool) string {
	v, ok := o.get(key)
	if !ok {
		if required {
			o.missing(key)
		}
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		o.r.addf(o.at(key), "must be a string, not %s", config.DescribeJSON(v))
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		o.r.addf(o.at(key), "must not be empty")
	}
	return s
}

// integer reads a whole number within [lo, hi]; ok is false when absent or
// bad.
func (o *object) integer(key string, required bool, lo, hi int) (int, bool) {
	v, present := o.get(key)
	if !present {
		if required {
			o.missing(key)
		}
		return 0, false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		o.r.addf(o.at(key), "must be a whole number, not %s", config.DescribeJSON(v))
		return 0, false
	}
	i, err := n.Int64()
	if err != nil {
		o.r.addf(o.at(key), "%s is not a whole number", n)
		return 0, false
	}
	if i < int64(lo) || i > int64(hi) {
		if hi == math.MaxInt32 {
			o.r.addf(o.at(key), "%d is less than %d", i, lo)
		} else {
			o.r.addf(o.at(key), "%d is not from %d to %d", i, lo, hi)
		}
		return 0, false
	}
	return int(i), true
}

// optInt is integer as a pointer: nil when absent or bad.
func (o *object) optInt(key string, lo, hi int) *int {
	if n, ok := o.integer(key, false, lo, hi); ok {
		return &n
	}
	return nil
}

func (o *object) boolean(key string) (value, present bool) {
	v, ok := o.get(key)
	if !ok {
		return false, false
	}
	b, isBool := v.(bool)
	if !isBool {
		o.r.addf(o.at(key), "must be true or false, not %s", config.DescribeJSON(v))
		return false, false
	}
	return b, true
}

// duration reads a Go duration string ("5m", "1h30m") that is not
// negative.
func (o *object) duration(key string, required bool) (time.Duration, bool) {
	v, present := o.get(key)
	if !present {
		if required {
			o.missing(key)
		}
		return 0, false
	}
	s, isStr := v.(string)
	if !isStr {
		o.r.addf(o.at(key), "must be a duration string like \"5m\" or \"1h30m\", not %s", config.DescribeJSON(v))
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		o.r.addf(o.at(key), "%q is not a duration (write it like \"90s\", \"5m\" or \"1h30m\")", s)
		return 0, false
	}
	if d < 0 {
		o.r.addf(o.at(key), "%q is negative", s)
		return 0, false
	}
	return d, true
}

func (o *object) array(key string, required bool) ([]any, bool) {
	v, present := o.get(key)
	if !present {
		if required {
			o.missing(key)
		}
		return nil, false
	}
	a, ok := v.([]any)
	if !ok {
		o.r.addf(o.at(key), "must be an array, not %s", config.DescribeJSON(v))
		return nil, false
	}
	return a, true
}

func (o *object) strings(key string, required bool) []string {
	a, ok := o.array(key, required)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(a))
	for i, e := range a {
		s, isStr := e.(string)
		if !isStr || strings.TrimSpace(s) == "" {
			o.r.addf(index(o.at(key), i), "must be a non-empty string, not %s", config.DescribeJSON(e))
			continue
		}
		out = append(out, s)
	}
	if required && len(a) == 0 {
		o.r.addf(o.at(key), "must not be empty")
	}
	return out
}

// objects reads an array of objects; each element is returned even when
// it is not an object (empty, with the problem recorded), so callers can
// keep indexes aligned.
func (o *object) objects(key string) []*object {
	a, ok := o.array(key, false)
	if !ok {
		return nil
	}
	out := make([]*object, len(a))
	for i, e := range a {
		out[i], _ = o.r.asObject(index(o.at(key), i), e)
	}
	return out
}

func (o *object) child(key string, required bool) (*object, bool) {
	v, present := o.get(key)
	if !present {
		if required {
			o.missing(key)
		}
		return nil, false
	}
	return o.r.asObject(o.at(key), v)
}

// tags reads an object of string values.
func (o *object) tags(key string) map[string]string {
	c, ok := o.child(key, false)
	if !ok {
		return map[string]string{}
	}
	out := map[string]string{}
	for k, v := range c.m {
		c.known = append(c.known, k)
		s, isStr := v.(string)
		if !isStr {
			o.r.addf(c.at(k), "a tag value must be a string, not %s", config.DescribeJSON(v))
			continue
		}
		if k == "" {
			o.r.addf(c.path, "a tag key must not be empty")
			continue
		}
		out[k] = s
	}
	return out
}

// oneOf reads a string that must be one of allowed (compared exactly).
func (o *object) oneOf(key string, required bool, def string, allowed ...string) string {
	s := o.str(key, required)
	if s == "" {
		if o.has(key) {
			return ""
		}
		return def
	}
	if !slices.Contains(allowed, s) {
		o.r.addf(o.at(key), "%q is not one of %s", s, strings.Join(allowed, ", "))
		return ""
	}
	return s
}
