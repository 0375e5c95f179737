//go:build e2e

package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfheal/selfheal/events"
	sheb "github.com/selfheal/selfheal/shared/eventbridge"
)

// mutatedEvents is how many mutated events the differential check makes;
// each is put to every pattern, as the samples are.
const mutatedEvents = 2400

// matchEvent is one event put to both matchers.
type matchEvent struct {
	Label string
	// Mutation names what was done to a sample ("" for the sample as is).
	Mutation string
	// Event is the event as EventBridge (moto's PutEvents) builds it from
	// the entry: what both matchers judge.
	Event map[string]any
}

// The hand-written EventBridge matcher (shared/eventbridge) and moto's own
// pattern matching answer the same for every pattern of events/patterns ×
// every sample of events/ and every mutated event (fields removed, values
// changed, scalars wrapped in arrays and unwrapped, numbers as strings and
// strings as numbers, nulls, objects where values were).
//
// moto 5.2.1's TestEventPattern is a stub that answers false to
// everything (pinned below), so moto is asked the way EventBridge is used:
// each pattern is a rule on an event bus with an SQS queue as its target,
// each event is put with PutEvents, and what each queue received is what
// moto matched. Every disagreement is listed, and must be one that
// resolve explains by EventBridge's documentation.
func TestMatcherAgreesWithMoto(t *testing.T) {
	ctx := context.Background()
	patterns, err := events.Patterns()
	if err != nil {
		t.Fatal(err)
	}
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(harness())
	q := sqs.NewFromConfig(harness())
	pinTestEventPattern(t, eb, patterns, samples)

	// One rule per pattern on a bus of the suite's own, each with a queue.
	const bus = "e2e-matcher"
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	compiled := make([]*sheb.Pattern, len(patterns))
	queues := make([]string, len(patterns))
	for i, p := range patterns {
		if compiled[i], err = sheb.CompilePattern(p.JSON); err != nil {
			t.Fatal(err)
		}
		qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("e2e-matcher-%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		queues[i] = aws.ToString(qo.QueueUrl)
		qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(p.Name), EventBusName: aws.String(bus),
			EventPattern: aws.String(string(p.JSON))}); err != nil {
			t.Fatal(err)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(p.Name), EventBusName: aws.String(bus),
			// Only the id is needed back. moto builds a target's input with
			// jsonpath_ng, which builds its grammar again for every path it
			// reads (about 40 ms each): the default input reads eight, this
			// one path, which makes the suite eight times faster.
			Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(qa.Attributes["QueueArn"]),
				InputTransformer: &ebtypes.InputTransformer{
					InputPathsMap: map[string]string{"id": "$.id"},
					InputTemplate: aws.String(`{"id": "<id>"}`),
				}}}}); err != nil {
			t.Fatal(err)
		}
	}

	var evs []matchEvent
	for _, s := range samples {
		evs = append(evs, matchEvent{Label: s.Path, Event: decodeObject(t, s.JSON)})
	}
	rng := rand.New(rand.NewPCG(14, 2026))
	lits := literals(patterns)
	for i := range mutatedEvents {
		s := samples[i%len(samples)]
		ev, what := mutate(rng, s.JSON, lits)
		evs = append(evs, matchEvent{Label: fmt.Sprintf("%s #%d", s.Path, i), Mutation: what, Event: ev})
	}

	// Put every event; moto routes each to the queues of the rules it
	// matches, synchronously.
	byID := map[string]int{}
	for start := 0; start < len(evs); start += 10 {
		var entries []ebtypes.PutEventsRequestEntry
		batch := evs[start:min(start+10, len(evs))]
		for i := range batch {
			entries = append(entries, entryOf(t, &batch[i], bus))
		}
		out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range out.Entries {
			if e.EventId == nil {
				t.Fatalf("PutEvents refused %s (%s): %s %s", batch[i].Label, batch[i].Mutation, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
			}
			batch[i].Event["id"] = aws.ToString(e.EventId)
			byID[aws.ToString(e.EventId)] = start + i
		}
	}
	motoMatched := make([]map[int]bool, len(patterns))
	for i := range patterns {
		motoMatched[i] = map[int]bool{}
		for _, m := range drain(t, queues[i]) {
			var got struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &got); err != nil {
				t.Fatal(err)
			}
			idx, ok := byID[got.ID]
			if !ok {
				t.Fatalf("queue of %s received an event never put: %s", patterns[i].Name, aws.ToString(m.Body))
			}
			motoMatched[i][idx] = true
		}
	}

	tally := matcherTally{Patterns: len(patterns), Samples: len(samples), Mutated: mutatedEvents}
	matched := 0
	for i, p := range patterns {
		for j, e := range evs {
			tally.Cases++
			ours := compiled[i].MatchesMap(e.Event)
			moto := motoMatched[i][j]
			if ours {
				matched++
			}
			if ours == moto {
				tally.Agree++
				continue
			}
			d := disagreement{Pattern: p.Name, Event: e.Label, Ours: ours, Moto: moto}
			if e.Mutation != "" {
				d.Event += " (" + e.Mutation + ")"
			}
			r, ok := resolve(p.JSON, e.Event, ours, moto)
			if !ok {
				raw, _ := json.Marshal(e.Event)
				t.Errorf("unresolved disagreement: %s × %s: ours %v, moto %v\nmutation: %s\nevent: %s", p.Name, e.Label, ours, moto, e.Mutation, raw)
				r = "UNRESOLVED"
			}
			d.Resolution = r
			tally.Disagreements = append(tally.Disagreements, d)
		}
	}
	// Both answers must occur in numbers, or the comparison proves little.
	if matched < tally.Cases/50 || matched > tally.Cases*49/50 {
		t.Errorf("%d of %d cases match: the cases do not exercise both answers", matched, tally.Cases)
	}
	sort.SliceStable(tally.Disagreements, func(i, j int) bool { return tally.Disagreements[i].Resolution < tally.Disagreements[j].Resolution })
	report.setMatcher(tally)
}

// pinTestEventPattern records that moto 5.2.1's TestEventPattern answers
// false even where a pattern plainly matches (its handler is a stub).
func pinTestEventPattern(t *testing.T, eb *eventbridge.Client, patterns []events.Pattern, samples []events.SampleEvent) {
	t.Helper()
	for _, p := range patterns {
		c, _ := sheb.CompilePattern(p.JSON)
		for _, s := range samples {
			if ok, _ := c.Matches(s.JSON); !ok {
				continue
			}
			out, err := eb.TestEventPattern(context.Background(), &eventbridge.TestEventPatternInput{
				EventPattern: aws.String(string(p.JSON)), Event: aws.String(string(s.JSON))})
			if err != nil {
				t.Fatal(err)
			}
			pinned(t, "TestEventPattern("+p.Name+", "+s.Path+")", out.Result, true, false,
				"moto's TestEventPattern handler is a stub; its rules' matching, used instead, is real")
			return
		}
	}
}

// entryOf is the PutEvents entry that makes moto build ev (and sets ev to
// exactly what moto builds from it).
func entryOf(t *testing.T, ev *matchEvent, bus string) ebtypes.PutEventsRequestEntry {
	t.Helper()
	e := ev.Event
	detail, _ := json.Marshal(e["detail"])
	var resources []string
	if rs, ok := e["resources"].([]any); ok {
		for _, r := range rs {
			resources = append(resources, fmt.Sprint(r))
		}
	}
	// What moto's bus delivers: its own envelope around these fields.
	built := map[string]any{"version": "0", "account": account, "region": region, "time": e["time"],
		"source": e["source"], "detail-type": e["detail-type"], "resources": toAny(resources), "detail": e["detail"]}
	ev.Event = built
	return ebtypes.PutEventsRequestEntry{
		EventBusName: aws.String(bus),
		Source:       aws.String(fmt.Sprint(e["source"])),
		DetailType:   aws.String(fmt.Sprint(e["detail-type"])),
		Detail:       aws.String(string(detail)),
		Resources:    resources,
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func decodeObject(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// literals are the strings worth mutating values into: every string in
// the patterns (the values rules look for) and a few near misses.
func literals(patterns []events.Pattern) []any {
	seen := map[string]bool{}
	var out []any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			for _, s := range []string{v, strings.ToLower(v), v + " "} {
				if !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for _, p := range patterns {
		var v any
		_ = json.Unmarshal(p.JSON, &v)
		walk(v)
	}
	return append(out, "", 0.0, 5.0, true, false, nil)
}

// mutate applies one to three random changes to a sample's detail,
// resources, source or detail-type, and says what it did. What PutEvents
// requires stays: source and detail-type non-empty strings, detail an
// object, resources strings.
func mutate(rng *rand.Rand, sample []byte, lits []any) (map[string]any, string) {
	var ev map[string]any
	_ = json.Unmarshal(sample, &ev)
	var did []string
	for range 1 + rng.IntN(3) {
		switch k := rng.IntN(10); {
		case k < 2: // the envelope's matched fields take another value
			field := []string{"source", "detail-type"}[rng.IntN(2)]
			if v, ok := lits[rng.IntN(len(lits))].(string); ok && strings.TrimSpace(v) != "" {
				ev[field] = v
				did = append(did, fmt.Sprintf("%s=%q", field, v))
			}
		default:
			path, parent, key := pick(rng, ev)
			if parent == nil {
				if path != "" {
					did = append(did, path)
				}
				continue
			}
			did = append(did, change(rng, path, parent, key, lits))
		}
	}
	return ev, strings.Join(did, "; ")
}

// pick chooses a random field of detail (any depth) or resources.
func pick(rng *rand.Rand, ev map[string]any) (string, map[string]any, string) {
	if rng.IntN(8) == 0 {
		// PutEvents takes resources as strings only: they can go, or be
		// none.
		if rng.IntN(2) == 0 {
			delete(ev, "resources")
			return "removed resources", nil, ""
		}
		ev["resources"] = []any{}
		return "resources=[]", nil, ""
	}
	obj, ok := ev["detail"].(map[string]any)
	if !ok {
		return "detail", ev, "detail"
	}
	path := "detail"
	for {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			return path, nil, ""
		}
		sort.Strings(keys)
		k := keys[rng.IntN(len(keys))]
		child, isObj := obj[k].(map[string]any)
		if !isObj || rng.IntN(3) == 0 {
			return path + "." + k, obj, k
		}
		path, obj = path+"."+k, child
	}
}

// change mutates parent[key] one way.
func change(rng *rand.Rand, path string, parent map[string]any, key string, lits []any) string {
	v := parent[key]
	switch rng.IntN(7) {
	case 0:
		delete(parent, key)
		return "removed " + path
	case 1:
		nv := lits[rng.IntN(len(lits))]
		parent[key] = nv
		return fmt.Sprintf("%s=%#v", path, nv)
	case 2:
		nv := lits[rng.IntN(len(lits))]
		parent[key] = []any{v, nv}
		return fmt.Sprintf("%s=[old, %#v]", path, nv)
	case 3:
		parent[key] = []any{v}
		return path + " wrapped in an array"
	case 4:
		if a, ok := v.([]any); ok && len(a) > 0 {
			parent[key] = a[0]
			return path + " unwrapped"
		}
		parent[key] = []any{}
		return path + "=[]"
	case 5:
		switch x := v.(type) {
		case float64:
			parent[key] = fmt.Sprint(x)
			return path + " number as a string"
		case string:
			parent[key] = float64(len(x))
			return path + " string to a number"
		}
		parent[key] = nil
		return path + "=null"
	default:
		parent[key] = map[string]any{"value": v}
		return path + " nested in an object"
	}
}

// resolve says which answer EventBridge's documentation gives for a
// disagreement, and whether it is explained. Each rule cites the page it
// rests on; a disagreement no rule explains fails the test.
func resolve(pattern []byte, event map[string]any, ours, moto bool) (string, bool) {
	var p map[string]any
	if err := json.Unmarshal(pattern, &p); err != nil {
		return "", false
	}
	// EventBridge matches a pattern's field through arrays in the event,
	// arrays of objects included: "If the value in the event is an array,
	// then the event pattern matches if the intersection of the event
	// pattern array and the event array is non-empty"
	// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html),
	// and EventBridge's matching engine, Event Ruler, flattens arrays of
	// objects so that {"state":{"value":["ALARM"]}} matches
	// "state":[{"value":"ALARM"}] (https://github.com/aws/event-ruler#arrays).
	// moto 5.2.1 looks for the field in an array's objects not at all.
	if ours && !moto && throughArrayOfObjects(p, event) {
		return "moto's divergence: EventBridge matches through an array of objects, moto does not (eb-event-patterns-arrays; Event Ruler #arrays)", true
	}
	return "", false
}

// throughArrayOfObjects reports whether a field the pattern names is, in
// the event, an array holding objects that the pattern looks into.
func throughArrayOfObjects(pattern, event map[string]any) bool {
	for k, pv := range pattern {
		sub, isObj := pv.(map[string]any)
		if !isObj {
			continue
		}
		switch ev := event[k].(type) {
		case map[string]any:
			if throughArrayOfObjects(sub, ev) {
				return true
			}
		case []any:
			for _, e := range ev {
				if _, ok := e.(map[string]any); ok {
					return true
				}
			}
		}
	}
	return false
}
