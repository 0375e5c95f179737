package main

import (
	"regexp"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/awslabs/goformation/v7"
)

// cdk-nag's AwsSolutions pack finds nothing left to fix: every finding is
// either fixed or suppressed with a reason (see the next test).
func TestAwsSolutionsChecks(t *testing.T) {
	nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	for _, s := range bothShapes(t) {
		for _, rs := range s.all() {
			a := assertions.Annotations_FromStack(rs.stack)
			assert(t, rs.path+" errors", func() { a.HasNoError(jsii.String("*"), nag) })
			assert(t, rs.path+" warnings", func() { a.HasNoWarning(jsii.String("*"), nag) })
		}
	}
}

// Each suppression names one AwsSolutions rule and gives a reason a reviewer
// can weigh; the list is logged for the review.
func TestNagSuppressionsNameARuleAndAReason(t *testing.T) {
	s := synthOrganization(t)
	for _, rs := range append([]*regionStack{synth(t).stacks[0]}, s.stacks[0], s.memberAccess, s.memberEvents) {
		nagSuppressionsNameARuleAndAReason(t, rs)
	}
}

// nagRule is how a suppression names an AwsSolutions rule.
var nagRule = regexp.MustCompile(`^AwsSolutions-[A-Z]+[0-9]+$`)

func nagSuppressionsNameARuleAndAReason(t *testing.T, rs *regionStack) {
	seen := 0
	for id, r := range rs.doc.Resources {
		nag, _ := r.Metadata["cdk_nag"].(map[string]any)
		for _, raw := range list(nag["rules_to_suppress"]) {
			sup := raw.(map[string]any)
			ruleID, _ := sup["id"].(string)
			reason, _ := sup["reason"].(string)
			if !nagRule.MatchString(ruleID) {
				t.Errorf("%s: suppression %q does not name an AwsSolutions rule", id, ruleID)
			}
			if len(reason) < 80 {
				t.Errorf("%s: suppression of %s has a thin reason: %q", id, ruleID, reason)
			}
			t.Logf("%s: %s %s on %v: %s", rs.path, ruleID, id, sup["applies_to"], reason)
			seen++
		}
	}
	if seen == 0 && rs.path != membersStage+"/"+memberEventsStack {
		t.Errorf("%s: no suppressions found: the metadata moved, or every finding got fixed (then drop this test)", rs.path)
	}
}

// Every template opens with goformation, which rejects unknown and mistyped
// properties of the resource types it knows.
func TestTemplatesOpenWithGoformation(t *testing.T) {
	for _, s := range bothShapes(t) {
		for _, rs := range s.all() {
			tpl, err := goformation.Open(rs.file)
			if err != nil {
				t.Errorf("%s: %v", rs.path, err)
				continue
			}
			if got, want := len(tpl.Resources), len(rs.doc.Resources); got != want {
				t.Errorf("%s: goformation read %d resources, the template has %d", rs.path, got, want)
			}
		}
	}
}
