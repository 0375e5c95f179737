package sweep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/selfheal/selfheal/shared/compliance"
)

// part is one kind of thing a run reads in a region.
type part struct {
	name string // what the digest calls it
	unit string // what one failed read leaves out
	miss string // what happened to them; "not read" when empty
}

var (
	partVaults    = part{name: "backup vaults", unit: "vaults"}
	partPoints    = part{name: "recovery points", unit: "vaults"}
	partPlans     = part{name: "backup plans", unit: "plans"}
	partProtected = part{name: "protected resources", unit: "resources"}
	partTables    = part{name: "DynamoDB tables", unit: "tables"}
	partInstances = part{name: "RDS instances", unit: "instances"}
	partClusters  = part{name: "Aurora clusters", unit: "clusters"}
	partGroups    = part{name: "Auto Scaling groups", unit: "groups"}
	partCopies    = part{name: "missing cross-region copies", unit: "copies"}
	partNotify    = part{name: "notifications", unit: "findings", miss: "not notified"}
	partOpen      = part{name: "open failures", unit: "failures"}
	partRestores  = part{name: "restore tests", unit: "resources"}
)

func (p part) missed() string {
	if p.miss == "" {
		return "not read"
	}
	return p.miss
}

// parts in the order the digest lists them.
var parts = []part{partVaults, partPoints, partPlans, partProtected, partTables, partInstances, partClusters, partGroups, partCopies, partRestores, partNotify, partOpen}

// ledger records what a run covered and what it did not, and why. Safe
// for concurrent use.
type ledger struct {
	mu      sync.Mutex
	covered map[coverKey]int
	gaps    map[gapKey]*gap
}

type coverKey struct {
	region string
	part   part
}

type gapKey struct {
	region string
	part   part
	reason string
}

type gap struct {
	items    int      // items not read (0 with listing)
	listing  bool     // a listing did not finish, so how many is unknown
	examples []string // a few of the items, for the reader
}

const maxExamples = 3

func newLedger() *ledger {
	return &ledger{covered: map[coverKey]int{}, gaps: map[gapKey]*gap{}}
}

// listed counts the n items of p a listing in region found; a listing
// that failed before finding any covered nothing.
func (l *ledger) listed(region string, p part, n int, complete bool) {
	if n > 0 || complete {
		l.saw(region, p, n)
	}
}

// saw counts n items of p read in region.
func (l *ledger) saw(region string, p part, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.covered[coverKey{region, p}] += n
}

func (l *ledger) gap(region string, p part, err error) *gap {
	k := gapKey{region, p, reason(err)}
	g := l.gaps[k]
	if g == nil {
		g = &gap{}
		l.gaps[k] = g
	}
	return g
}

// missed records one item of p that could not be read.
func (l *ledger) missed(region string, p part, item string, err error) {
	l.missedN(region, p, 1, []string{item}, err)
}

// missedN records n items of p that could not be read.
func (l *ledger) missedN(region string, p part, n int, examples []string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.gap(region, p, err)
	g.items += n
	// The first few by name, whatever order the reads ended in, so that
	// a digest reads the same from run to run.
	for _, e := range examples {
		if e == "" || slices.Contains(g.examples, e) {
			continue
		}
		g.examples = append(g.examples, e)
		slices.Sort(g.examples)
		g.examples = g.examples[:min(len(g.examples), maxExamples)]
	}
}

// unlisted records a listing of p that did not finish.
func (l *ledger) unlisted(region string, p part, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gap(region, p, err).listing = true
}

// errPanic is a bug met while reading or reporting one item.
type errPanic struct{ value any }

func (e errPanic) Error() string { return fmt.Sprintf("internal error: %v", e.value) }

// protect runs fn, turning a panic into a gap of p in region (item, or the
// listing when item is empty): a bug met on one item must not take the
// whole run down, nor the Lambda runtime with it, which the handler's own
// recovery cannot prevent for a goroutine.
func (l *ledger) protect(region string, p part, item string, fn func()) {
	defer func() {
		v := recover()
		switch {
		case v == nil:
		case item == "":
			l.unlisted(region, p, errPanic{v})
		default:
			l.missed(region, p, item, errPanic{v})
		}
	}()
	fn()
}

// complete reports whether the run read everything it set out to.
func (l *ledger) complete() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.gaps) == 0
}

// coveredLines says what was read, one line per region (and one for the
// expected copies), in region order.
func (l *ledger) coveredLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	byRegion := map[string][]string{}
	var regions []string
	for _, p := range parts {
		for k, n := range l.covered {
			if k.part != p {
				continue
			}
			if _, ok := byRegion[k.region]; !ok {
				regions = append(regions, k.region)
			}
			byRegion[k.region] = append(byRegion[k.region], fmt.Sprintf("%d %s", n, p.name))
		}
	}
	slices.Sort(regions)
	out := make([]string, 0, len(regions))
	for _, r := range regions {
		out = append(out, r+": "+strings.Join(byRegion[r], ", "))
	}
	return out
}

// gapLines says what was not read and why, one line per region, part and
// reason, in that order.
func (l *ledger) gapLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]gapKey, 0, len(l.gaps))
	for k := range l.gaps {
		keys = append(keys, k)
	}
	order := func(p part) int { return slices.Index(parts, p) }
	slices.SortFunc(keys, func(a, b gapKey) int {
		if c := strings.Compare(a.region, b.region); c != 0 {
			return c
		}
		if c := order(a.part) - order(b.part); c != 0 {
			return c
		}
		return strings.Compare(a.reason, b.reason)
	})
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		g := l.gaps[k]
		var what string
		switch {
		case g.listing && g.items > 0:
			what = fmt.Sprintf("not all listed, and %d %s %s", g.items, k.part.unit, k.part.missed())
		case g.listing:
			what = "not all listed"
		default:
			what = fmt.Sprintf("%d %s %s", g.items, k.part.unit, k.part.missed())
		}
		switch {
		case len(g.examples) == 0:
		case k.part == partNotify:
			// Findings are many; what they are about says more.
			what += " (about " + strings.Join(g.examples, ", ") + ")"
		default:
			what += " (" + strings.Join(g.examples, ", ")
			if more := g.items - len(g.examples); more > 0 {
				what += fmt.Sprintf(", +%d more", more)
			}
			what += ")"
		}
		out = append(out, fmt.Sprintf("%s: %s: %s: %s", k.region, k.part.name, what, k.reason))
	}
	return out
}

// iamPrefix maps SDK service ids to IAM action prefixes.
var iamPrefix = map[string]string{"Backup": "backup", "DynamoDB": "dynamodb", "RDS": "rds", "Auto Scaling": "autoscaling", "SNS": "sns"}

// reason says in a few words why a read failed, and what to do when there
// is something to do: error codes and types, never message text.
func reason(err error) string {
	var op *smithy.OperationError
	action := "the read"
	if errors.As(err, &op) {
		prefix := iamPrefix[op.ServiceID]
		if prefix == "" {
			prefix = strings.ToLower(op.ServiceID)
		}
		action = prefix + ":" + op.OperationName
	}
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	var bug errPanic
	switch {
	case errors.As(err, &bug):
		return bug.Error()
	case errors.Is(err, errOutOfTime), errors.Is(err, context.DeadlineExceeded):
		return errOutOfTime.Error()
	case compliance.IsDenied(err):
		return fmt.Sprintf("access denied (%s): allow %s to the function's role, or enable the region", code, action)
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary:
		return fmt.Sprintf("throttled beyond retries (%s on %s)", code, action)
	case code != "":
		return fmt.Sprintf("%s failed (%s)", action, code)
	}
	return fmt.Sprintf("%s failed: %v", action, err)
}
