package events

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// The sample folders are named after event sources, which all start with
// "aws." for the services the suite handles.
//
//go:embed patterns/*.json aws.*/*.json
var catalogue embed.FS

const patternsDir = "patterns"

// Pattern is one EventBridge event pattern the suite deploys as one rule.
type Pattern struct {
	// Name is the file's base name without ".json", e.g. "asg-rebalancer--health".
	Name string
	// Function is the part of Name before "--": the functions/<folder> the
	// rule targets, e.g. "asg-rebalancer".
	Function string
	// JSON is the pattern document exactly as stored.
	JSON []byte
}

// SampleEvent is one real-shaped EventBridge event from the catalogue. (It
// is not called Sample because [Sample] is the lookup by path.)
type SampleEvent struct {
	// Path is the slash-separated path inside the catalogue, e.g.
	// "aws.backup/backup-job-state-change--completed.json". It is the key
	// [Sample] looks samples up by.
	Path string
	// Source and DetailType are the event's own "source" and "detail-type".
	Source, DetailType string
	// JSON is the event exactly as stored.
	JSON []byte
}

type loaded struct {
	patterns []Pattern
	samples  []SampleEvent
	byPath   map[string][]byte
}

// load reads and checks the embedded files once; the catalogue is immutable,
// so one answer serves the process.
var load = sync.OnceValues(func() (*loaded, error) {
	l := &loaded{byPath: map[string][]byte{}}
	err := fs.WalkDir(catalogue, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := catalogue.ReadFile(p)
		if err != nil {
			return err
		}
		dir, file := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		base := strings.TrimSuffix(file, ".json")
		if dir == patternsDir {
			fn, _, ok := strings.Cut(base, "--")
			if !ok || fn == "" {
				return fmt.Errorf("pattern %s: name must be <function>--<signal>.json", p)
			}
			if !json.Valid(data) {
				return fmt.Errorf("pattern %s: not valid JSON", p)
			}
			l.patterns = append(l.patterns, Pattern{Name: base, Function: fn, JSON: data})
			return nil
		}
		s, err := sampleOf(p, dir, base, data)
		if err != nil {
			return err
		}
		l.samples = append(l.samples, s)
		l.byPath[p] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("event catalogue: %w", err)
	}
	slices.SortFunc(l.patterns, func(a, b Pattern) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(l.samples, func(a, b SampleEvent) int { return strings.Compare(a.Path, b.Path) })
	return l, nil
})

// sampleOf reads a sample's source and detail-type and checks that its path
// follows the catalogue's naming, so a misfiled sample fails loudly.
func sampleOf(p, dir, base string, data []byte) (SampleEvent, error) {
	var head struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return SampleEvent{}, fmt.Errorf("sample %s: %w", p, err)
	}
	if head.Source != dir {
		return SampleEvent{}, fmt.Errorf("sample %s: source %q does not match its folder %q", p, head.Source, dir)
	}
	name, _, _ := strings.Cut(base, "--")
	if want := Kebab(head.DetailType); name != want {
		return SampleEvent{}, fmt.Errorf("sample %s: detail-type %q wants a file name starting %q", p, head.DetailType, want)
	}
	return SampleEvent{Path: p, Source: head.Source, DetailType: head.DetailType, JSON: data}, nil
}

// Kebab is the file-name form of a detail-type: lower case, runs of
// anything but letters and digits replaced by one hyphen
// ("AWS Health Event" → "aws-health-event").
func Kebab(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
			continue
		}
		hyphen = true
	}
	return b.String()
}

// Patterns returns every pattern in the catalogue, sorted by Name. Each call
// returns fresh copies: callers may modify them.
func Patterns() ([]Pattern, error) {
	l, err := load()
	if err != nil {
		return nil, err
	}
	out := make([]Pattern, len(l.patterns))
	for i, p := range l.patterns {
		p.JSON = slices.Clone(p.JSON)
		out[i] = p
	}
	return out, nil
}

// Samples returns every sample event in the catalogue, sorted by Path. Each
// call returns fresh copies: callers may modify them.
func Samples() ([]SampleEvent, error) {
	l, err := load()
	if err != nil {
		return nil, err
	}
	out := make([]SampleEvent, len(l.samples))
	for i, s := range l.samples {
		s.JSON = slices.Clone(s.JSON)
		out[i] = s
	}
	return out, nil
}

// Sample returns a copy of the sample at path (a [SampleEvent.Path], e.g.
// "aws.health/aws-health-event--ec2-issue-account.json").
func Sample(path string) ([]byte, error) {
	l, err := load()
	if err != nil {
		return nil, err
	}
	data, ok := l.byPath[path]
	if !ok {
		return nil, fmt.Errorf("event catalogue: no sample %q", path)
	}
	return slices.Clone(data), nil
}
