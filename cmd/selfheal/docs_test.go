package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/cmd/selfheal/gameday"
	"github.com/selfheal/selfheal/cmd/selfheal/scenario"
)

// The examples of docs/scenarios.md are one valid scenario together, and
// it runs: the documentation cannot drift from the parser.
func TestDocumentedExamplesRun(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(doc, -1)
	var parts []string
	for _, b := range blocks {
		parts = append(parts, strings.TrimSpace(string(b[1])))
	}
	if len(parts) != 5 {
		t.Fatalf("found %d JSON examples, want one each for policy, state, schedules, timeline and expect", len(parts))
	}
	sc, err := scenario.Parse([]byte("{"+strings.Join(parts, ",\n")+"}"), gameday.ParseOptions("docs", "docs/scenarios.md", ""))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := gameday.Run(context.Background(), sc, gameday.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Timeline {
		if e.Error != "" {
			t.Errorf("%s: %s", e.Step, e.Error)
		}
	}
}
