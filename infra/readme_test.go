package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/shared/config"
)

// memberRoleTable is the README's table of what the member role may do,
// written from memberGrants: the README cannot promise less or more than
// the role allows.
func memberRoleTable(s settings) string {
	tag := s.Policy.OptInTag
	onGroups := fmt.Sprintf("only groups tagged `%s` = `%s`", tag.Key, tag.Value)
	var b strings.Builder
	b.WriteString("| Actions | On | Condition |\n|---|---|---|\n")
	for _, g := range memberGrants(s) {
		var on, condition string
		switch g.scope {
		case anyResource:
			on = "`*`: no resource-level permission exists for these reads"
		case optedInGroups:
			on, condition = "the account's Auto Scaling groups in the member regions", onGroups
		case optedInShifts:
			on = "`*` (ARC has no resource type for Auto Scaling groups)"
			condition = onGroups + ", and `arc-zonal-shift:ResourceIdentifier` an Auto Scaling group of the member regions"
		case regionAlarms:
			on = "the account's CloudWatch alarms in the member regions"
		case restoreValidations:
			on, condition = "`*` (restore jobs have no resource type)", "`aws:RequestedRegion` one of the member regions"
		case restoreTestTables:
			on, condition = "`arn:aws:dynamodb:*:<account>:table/*`: any region of the account", "only tables tagged `awsbackup-restore-test` (what restore tests restore)"
		case accountResources:
			var arns []string
			for _, a := range g.arns {
				arns = append(arns, "`arn:aws:"+strings.ReplaceAll(a, "{account}", "<account>")+"`")
			}
			on = strings.Join(arns, ", ") + ": any region of the account"
		default:
			on = fmt.Sprintf("scope %d", g.scope)
		}
		actions := make([]string, len(g.actions))
		for i, a := range g.actions {
			actions[i] = "`" + a + "`"
		}
		if condition == "" {
			condition = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", strings.Join(actions, " "), on, condition)
	}
	return b.String()
}

// The README's table of the member role is memberRoleTable, so it says what
// the role really may do.
func TestReadmeTellsWhatTheMemberRoleMayDo(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseSettings(map[string]any{"organization": map[string]any{
		"id": "o-a1b2c3d4e5", "memberOUs": []any{"ou-a1b2-11111111"},
	}}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if s.Policy.OptInTag != config.DefaultPolicy().OptInTag {
		t.Fatalf("the table is written for the default opt-in tag")
	}
	if table := memberRoleTable(s); !strings.Contains(string(b), table) {
		t.Errorf("README.md does not hold the member role's table; it is:\n\n%s", table)
	}
}

// The README shows the example organization context the tests synthesize,
// as it is in docs/organization-example.json.
func TestReadmeShowsTheExampleOrganization(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(exampleOrganization)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```json\n"+string(example)+"```") {
		t.Errorf("README.md does not show %s as it is", exampleOrganization)
	}
}
