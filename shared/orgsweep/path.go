package orgsweep

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
)

// Reference paths: "$" or "$$" followed by ".name" steps, the subset of
// JSONPath the States Language allows where a single node is selected and
// the only one the definition uses. Anything else (filters, wildcards,
// indexes, intrinsic functions) is an error, not a guess.
// https://states-language.net/spec.html#ref-paths

type refPath struct {
	context bool // "$$": the context object
	steps   []string
}

func parsePath(p string) (refPath, error) {
	var r refPath
	rest, ok := strings.CutPrefix(p, "$$")
	if ok {
		r.context = true
	} else if rest, ok = strings.CutPrefix(p, "$"); !ok {
		return r, fmt.Errorf("path %q does not start with $", p)
	}
	if rest == "" {
		return r, nil
	}
	if !strings.HasPrefix(rest, ".") {
		return r, fmt.Errorf("path %q: the executor reads .name steps only", p)
	}
	for _, step := range strings.Split(rest[1:], ".") {
		if step == "" || strings.ContainsAny(step, "[]*?@()'\" ") {
			return r, fmt.Errorf("path %q: the executor reads .name steps only", p)
		}
		r.steps = append(r.steps, step)
	}
	return r, nil
}

// get selects the path's node from input (or the context object).
func (r refPath) get(input, ctx any) (any, bool) {
	node := input
	if r.context {
		node = ctx
	}
	for _, step := range r.steps {
		obj, ok := node.(map[string]any)
		if !ok {
			return nil, false
		}
		if node, ok = obj[step]; !ok {
			return nil, false
		}
	}
	return node, true
}

// set returns a copy of input with value at the path's place, creating
// objects on the way, as ResultPath does. The context object is read-only.
func (r refPath) set(input, value any) (any, error) {
	if r.context {
		return nil, fmt.Errorf("ResultPath into the context object")
	}
	if len(r.steps) == 0 {
		return value, nil
	}
	obj, ok := input.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("ResultPath .%s into a %s", strings.Join(r.steps, "."), kindOf(input))
	}
	out := maps.Clone(obj)
	child, present := out[r.steps[0]]
	if !present {
		child = map[string]any{}
	}
	v, err := refPath{steps: r.steps[1:]}.set(child, value)
	if err != nil {
		return nil, err
	}
	out[r.steps[0]] = v
	return out, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case nil:
		return "null"
	default:
		return "value"
	}
}

// template applies a payload template (Parameters, ItemSelector,
// ResultSelector): a field whose name ends in ".$" takes the node its path
// selects, under the name without the suffix; other values are copied,
// objects recursively.
// https://states-language.net/spec.html#payload-template
func template(tmpl, input, ctx any) (any, error) {
	switch t := tmpl.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			name, isPath := strings.CutSuffix(k, ".$")
			if !isPath {
				x, err := template(v, input, ctx)
				if err != nil {
					return nil, err
				}
				out[k] = x
				continue
			}
			p, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("field %s: a path must be a string", k)
			}
			if strings.HasPrefix(p, "States.") {
				return nil, fmt.Errorf("field %s: intrinsic functions are not run by the executor", k)
			}
			ref, err := parsePath(p)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", k, err)
			}
			node, found := ref.get(input, ctx)
			if !found {
				return nil, fmt.Errorf("field %s: path %s selects nothing", k, p)
			}
			out[name] = node
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			x, err := template(v, input, ctx)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	default:
		return tmpl, nil
	}
}

// decodeValue reads JSON keeping numbers exact.
func decodeValue(raw []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}
