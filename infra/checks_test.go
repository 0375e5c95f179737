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
	s := synth(t)
	nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	for _, rs := range s.stacks {
		a := assertions.Annotations_FromStack(rs.stack)
		assert(t, rs.region+" errors", func() { a.HasNoError(jsii.String("*"), nag) })
		assert(t, rs.region+" warnings", func() { a.HasNoWarning(jsii.String("*"), nag) })
	}
}

// Each suppression names one AwsSolutions rule and gives a reason a reviewer
// can weigh; the list is logged for the review.
func TestNagSuppressionsNameARuleAndAReason(t *testing.T) {
	s := synth(t)
	rule := regexp.MustCompile(`^AwsSolutions-[A-Z]+[0-9]+$`)
	rs := s.stacks[0]
	seen := 0
	for id, r := range rs.doc.Resources {
		nag, _ := r.Metadata["cdk_nag"].(map[string]any)
		for _, raw := range list(nag["rules_to_suppress"]) {
			sup := raw.(map[string]any)
			ruleID, _ := sup["id"].(string)
			reason, _ := sup["reason"].(string)
			if !rule.MatchString(ruleID) {
				t.Errorf("%s: suppression %q does not name an AwsSolutions rule", id, ruleID)
			}
			if len(reason) < 80 {
				t.Errorf("%s: suppression of %s has a thin reason: %q", id, ruleID, reason)
			}
			t.Logf("%s %s on %v: %s", ruleID, id, sup["applies_to"], reason)
			seen++
		}
	}
	if seen == 0 {
		t.Error("no suppressions found: the metadata moved, or every finding got fixed (then drop this test)")
	}
}

// Every template opens with goformation, which rejects unknown and mistyped
// properties of the resource types it knows.
func TestTemplatesOpenWithGoformation(t *testing.T) {
	s := synth(t)
	for _, rs := range s.stacks {
		tpl, err := goformation.Open(rs.file)
		if err != nil {
			t.Errorf("%s: %v", rs.region, err)
			continue
		}
		if got, want := len(tpl.Resources), len(rs.doc.Resources); got != want {
			t.Errorf("%s: goformation read %d resources, the template has %d", rs.region, got, want)
		}
	}
}
