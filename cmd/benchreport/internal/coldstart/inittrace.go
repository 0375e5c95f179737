package coldstart

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/selfheal/selfheal/cmd/benchreport/internal/parts"
)

// InitEntry is one package's init as GODEBUG=inittrace=1 reports it.
// https://pkg.go.dev/runtime#hdr-Environment_Variables
type InitEntry struct {
	Package       string
	At, Clock     time.Duration
	Bytes, Allocs int64
}

var initLine = regexp.MustCompile(`^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock, (\d+) bytes, (\d+) allocs`)

// ParseInitTrace reads the inittrace lines of a process's stderr.
func ParseInitTrace(stderr []byte) []InitEntry {
	var out []InitEntry
	for line := range strings.Lines(string(stderr)) {
		m := initLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		at, _ := strconv.ParseFloat(m[2], 64)
		clock, _ := strconv.ParseFloat(m[3], 64)
		b, _ := strconv.ParseInt(m[4], 10, 64)
		a, _ := strconv.ParseInt(m[5], 10, 64)
		out = append(out, InitEntry{Package: m[1], At: ms(at), Clock: ms(clock), Bytes: b, Allocs: a})
	}
	return out
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// InitGroup is the init cost of a group of packages.
type InitGroup struct {
	Name          string
	Packages      int
	Clock         time.Duration
	Bytes, Allocs int64
}

// GroupInit sums entries by the part of the program they belong to (the
// Go runtime and standard library, the SDK's core, each SDK service,
// aws-lambda-go, selfheal, other modules), costliest first.
func GroupInit(entries []InitEntry) []InitGroup {
	idx := map[string]int{}
	var out []InitGroup
	for _, e := range entries {
		name := parts.Of(e.Package)
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, InitGroup{Name: name})
		}
		g := &out[i]
		g.Packages++
		g.Clock += e.Clock
		g.Bytes += e.Bytes
		g.Allocs += e.Allocs
	}
	slices.SortStableFunc(out, func(a, b InitGroup) int { return cmp.Compare(b.Clock, a.Clock) })
	return out
}
