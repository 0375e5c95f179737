package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/single-account.json from this synthesis")

// goldenFile holds the single-account templates of the shared synthesis.
var goldenFile = filepath.Join("testdata", "single-account.json")

// Adding the organization shape leaves a single-account deployment exactly
// as it was: without "organization" in the context, every template (each
// resource's type, properties, dependencies and policies, the outputs,
// parameters and rules) equals the reviewed copy in testdata. A change to
// the single-account stacks shows here as a template diff; when it is
// intended, rewrite the copy with
//
//	go test ./infra -run TestSingleAccountTemplatesUnchanged -update
//
// and review the diff of testdata/single-account.json with the change.
func TestSingleAccountTemplatesUnchanged(t *testing.T) {
	s := synth(t)
	got := map[string]any{}
	for _, rs := range s.stacks {
		tpl := readTemplate(t, rs.file)
		// Metadata holds construct paths and cdk-nag suppressions: they
		// deploy nothing.
		resources, _ := tpl["Resources"].(map[string]any)
		for _, r := range resources {
			delete(r.(map[string]any), "Metadata")
		}
		got[*rs.stack.StackName()] = tpl
	}
	if *update {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", " ")
		if err := enc.Encode(got); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenFile)
		return
	}
	if _, err := os.Stat(goldenFile); err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	want := readTemplate(t, goldenFile)
	if diff := cmp.Diff(want, asJSON(t, got)); diff != "" {
		t.Errorf("single-account templates differ from %s (-golden +synthesized); if intended, rerun with -update and review:\n%s", goldenFile, diff)
	}
}
