package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/config"
)

// policy is one policy document found in a template.
type policy struct {
	where string // logical ID and property
	typ   string // CloudFormation type of the resource holding it
	doc   map[string]any
}

// policiesIn finds every IAM and resource policy in a template: identity
// policies (AWS::IAM::Policy, ManagedPolicy, Role inline policies) and
// resource policies (topic, queue, key, event bus).
func policiesIn(doc cfnTemplate) []policy {
	var out []policy
	add := func(id, typ, prop string, v any) {
		if m, ok := v.(map[string]any); ok {
			out = append(out, policy{where: id + "." + prop, typ: typ, doc: m})
		}
	}
	for id, r := range doc.Resources {
		p := r.Properties
		switch r.Type {
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy":
			add(id, r.Type, "PolicyDocument", p["PolicyDocument"])
		case "AWS::IAM::Role":
			add(id, r.Type, "AssumeRolePolicyDocument", p["AssumeRolePolicyDocument"])
			inline, _ := p["Policies"].([]any)
			for i, ip := range inline {
				m, _ := ip.(map[string]any)
				add(id, r.Type, fmt.Sprintf("Policies[%d]", i), m["PolicyDocument"])
			}
		case "AWS::KMS::Key":
			add(id, r.Type, "KeyPolicy", p["KeyPolicy"])
		case "AWS::Events::EventBus":
			add(id, r.Type, "Policy", p["Policy"])
		case "AWS::Events::EventBusPolicy":
			add(id, r.Type, "Statement", map[string]any{"Statement": p["Statement"]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

// statementsOf lists a policy's statements (a single statement may be
// written without the array).
func statementsOf(doc map[string]any) []map[string]any {
	var out []map[string]any
	switch st := doc["Statement"].(type) {
	case map[string]any:
		out = append(out, st)
	case []any:
		for _, s := range st {
			if m, ok := s.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// readAction: the List/Describe/Get access levels, the only actions allowed
// on "Resource": "*".
var readAction = regexp.MustCompile(`^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$`)

// asgWrite: an Auto Scaling action that changes something.
func asgWrite(action string) bool {
	return strings.HasPrefix(action, "autoscaling:") && !readAction.MatchString(action)
}

// arcWrite: an ARC zonal shift action that changes something.
func arcWrite(action string) bool {
	return strings.HasPrefix(action, "arc-zonal-shift:") && !readAction.MatchString(action)
}

// arcScoped reports whether a statement holds both conditions that limit
// ARC zonal shift writes to opted-in Auto Scaling groups: the resource
// identifier is an Auto Scaling group, and it carries the opt-in tag.
func arcScoped(st map[string]any, optIn config.Tag) bool {
	cond, _ := st["Condition"].(map[string]any)
	eq, _ := cond["StringEquals"].(map[string]any)
	like, _ := cond["StringLike"].(map[string]any)
	ids := list(like[arcResourceKey]) // one region's groups, or the member regions'
	for _, v := range ids {
		id, _ := v.(string)
		if id == "" { // a synthesized ARN is an Fn::Join of the partition and account
			b, _ := json.Marshal(v)
			id = string(b)
		}
		if !strings.Contains(id, ":autoscaling:") || !strings.Contains(id, ":autoScalingGroup:*:autoScalingGroupName/*") {
			return false
		}
	}
	return eq["aws:ResourceTag/"+optIn.Key] == optIn.Value && len(ids) > 0
}

// openPrincipal: "*" or {"AWS": "*"}, anyone at all.
func openPrincipal(p any) bool {
	if m, ok := p.(map[string]any); ok {
		p = m["AWS"]
	}
	return slices.Contains(list(p), any("*"))
}

// restoreScoped reports whether a statement limits its actions to the
// requests of one region (aws:RequestedRegion): the condition of the
// restore validation write.
func restoreScoped(st map[string]any) bool {
	cond, _ := st["Condition"].(map[string]any)
	eq, _ := cond["StringEquals"].(map[string]any)
	_, ok := eq["aws:RequestedRegion"]
	return ok
}

// accountRootKMSAdmin is AWS's default key policy statement, which hands
// the key's administration to IAM ("kms:*" for the account root). It is the
// one wildcard action the suite accepts: without it the key could become
// unmanageable.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
func accountRootKMSAdmin(p policy, st map[string]any) bool {
	principal, _ := st["Principal"].(map[string]any)
	root, _ := principal["AWS"].(string)
	return p.typ == "AWS::KMS::Key" && slices.Equal(list(st["Action"]), []any{"kms:*"}) &&
		strings.HasPrefix(root, "arn:") && strings.HasSuffix(root, ":root")
}

// policyProblems walks every Allow statement of every policy and reports:
// a wildcard action; an Auto Scaling write without the opt-in tag condition;
// a write on "Resource": "*"; a resource policy open to every principal
// with no condition. Deny statements only restrict and are skipped.
func policyProblems(doc cfnTemplate, optIn config.Tag) []string {
	var problems []string
	for _, p := range policiesIn(doc) {
		for i, st := range statementsOf(p.doc) {
			if st["Effect"] != "Allow" {
				continue
			}
			where := fmt.Sprintf("%s statement %d", p.where, i)
			if openPrincipal(st["Principal"]) && st["Condition"] == nil {
				problems = append(problems, fmt.Sprintf("%s: allows every principal with no condition", where))
			}
			var actions []string
			for _, a := range list(st["Action"]) {
				s, _ := a.(string)
				actions = append(actions, s)
			}
			for _, a := range actions {
				if strings.Contains(a, "*") && !accountRootKMSAdmin(p, st) {
					problems = append(problems, fmt.Sprintf("%s: wildcard action %q", where, a))
				}
			}
			if slices.ContainsFunc(actions, asgWrite) {
				cond, _ := st["Condition"].(map[string]any)
				eq, _ := cond["StringEquals"].(map[string]any)
				if eq["aws:ResourceTag/"+optIn.Key] != optIn.Value {
					problems = append(problems, fmt.Sprintf("%s: Auto Scaling write %v without the condition aws:ResourceTag/%s = %s",
						where, actions, optIn.Key, optIn.Value))
				}
			}
			arcOK := arcScoped(st, optIn)
			if slices.ContainsFunc(actions, arcWrite) && !arcOK {
				problems = append(problems, fmt.Sprintf("%s: ARC zonal shift write %v without the conditions %s like an Auto Scaling group and aws:ResourceTag/%s = %s",
					where, actions, arcResourceKey, optIn.Key, optIn.Value))
			}
			// In a key policy "*" is the key itself.
			if p.typ == "AWS::KMS::Key" || !slices.Contains(list(st["Resource"]), any("*")) {
				continue
			}
			for _, a := range actions {
				if !readAction.MatchString(a) && !(arcWrite(a) && arcOK) && !(a == restoreValidationWrite && restoreScoped(st)) {
					problems = append(problems, fmt.Sprintf("%s: write %q on \"Resource\": \"*\"", where, a))
				}
			}
		}
	}
	return problems
}

// The walker finds each kind of problem it exists to find.
func TestPolicyWalkerFindsEachProblem(t *testing.T) {
	optIn := config.Tag{Key: "selfheal:managed", Value: "true"}
	tests := []struct {
		name      string
		statement string
		want      []string
	}{
		{"read on *", `{"Effect":"Allow","Action":["ec2:DescribeInstances"],"Resource":"*"}`, nil},
		{"deny wildcard", `{"Effect":"Deny","Action":"sqs:*","Principal":"*","Resource":"*"}`, nil},
		// A wildcard may cover writes, so it also counts as a write on "*".
		{"wildcard action", `{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}`,
			[]string{`P.PolicyDocument statement 0: wildcard action "ec2:Describe*"`, `P.PolicyDocument statement 0: write "ec2:Describe*" on "Resource": "*"`}},
		{"star action", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b"}`,
			[]string{`P.PolicyDocument statement 0: wildcard action "*"`}},
		{"unconditioned ASG write", `{"Effect":"Allow","Action":"autoscaling:UpdateAutoScalingGroup","Resource":"arn:aws:autoscaling:us-east-1:1:autoScalingGroup:*"}`,
			[]string{`P.PolicyDocument statement 0: Auto Scaling write [autoscaling:UpdateAutoScalingGroup] without the condition aws:ResourceTag/selfheal:managed = true`}},
		{"ASG write conditioned on another tag", `{"Effect":"Allow","Action":"autoscaling:SuspendProcesses","Resource":"arn:x",
			"Condition":{"StringEquals":{"aws:ResourceTag/team":"true"}}}`,
			[]string{`P.PolicyDocument statement 0: Auto Scaling write [autoscaling:SuspendProcesses] without the condition aws:ResourceTag/selfheal:managed = true`}},
		{"ASG write with the opt-in condition", `{"Effect":"Allow","Action":"autoscaling:SuspendProcesses","Resource":"arn:x",
			"Condition":{"StringEquals":{"aws:ResourceTag/selfheal:managed":"true"}}}`, nil},
		{"ARC write unconditioned", `{"Effect":"Allow","Action":"arc-zonal-shift:StartZonalShift","Resource":"*"}`,
			[]string{`P.PolicyDocument statement 0: ARC zonal shift write [arc-zonal-shift:StartZonalShift] without the conditions arc-zonal-shift:ResourceIdentifier like an Auto Scaling group and aws:ResourceTag/selfheal:managed = true`,
				`P.PolicyDocument statement 0: write "arc-zonal-shift:StartZonalShift" on "Resource": "*"`}},
		{"ARC write on every load balancer", `{"Effect":"Allow","Action":"arc-zonal-shift:StartZonalShift","Resource":"*",
			"Condition":{"StringEquals":{"aws:ResourceTag/selfheal:managed":"true"},"StringLike":{"arc-zonal-shift:ResourceIdentifier":"arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/*"}}}`,
			[]string{`P.PolicyDocument statement 0: ARC zonal shift write [arc-zonal-shift:StartZonalShift] without the conditions arc-zonal-shift:ResourceIdentifier like an Auto Scaling group and aws:ResourceTag/selfheal:managed = true`,
				`P.PolicyDocument statement 0: write "arc-zonal-shift:StartZonalShift" on "Resource": "*"`}},
		{"ARC write on opted-in groups of two regions", `{"Effect":"Allow","Action":"arc-zonal-shift:StartZonalShift","Resource":"*",
			"Condition":{"StringEquals":{"aws:ResourceTag/selfheal:managed":"true"},"StringLike":{"arc-zonal-shift:ResourceIdentifier":[
			"arn:aws:autoscaling:us-east-1:1:autoScalingGroup:*:autoScalingGroupName/*","arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:*:autoScalingGroupName/*"]}}}`, nil},
		{"ARC write on groups and load balancers", `{"Effect":"Allow","Action":"arc-zonal-shift:StartZonalShift","Resource":"*",
			"Condition":{"StringEquals":{"aws:ResourceTag/selfheal:managed":"true"},"StringLike":{"arc-zonal-shift:ResourceIdentifier":[
			"arn:aws:autoscaling:us-east-1:1:autoScalingGroup:*:autoScalingGroupName/*","arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/*"]}}}`,
			[]string{`P.PolicyDocument statement 0: ARC zonal shift write [arc-zonal-shift:StartZonalShift] without the conditions arc-zonal-shift:ResourceIdentifier like an Auto Scaling group and aws:ResourceTag/selfheal:managed = true`,
				`P.PolicyDocument statement 0: write "arc-zonal-shift:StartZonalShift" on "Resource": "*"`}},
		{"ARC write on opted-in groups", `{"Effect":"Allow","Action":["arc-zonal-shift:StartZonalShift","arc-zonal-shift:CancelZonalShift"],"Resource":"*",
			"Condition":{"StringEquals":{"aws:ResourceTag/selfheal:managed":"true"},"StringLike":{"arc-zonal-shift:ResourceIdentifier":"arn:aws:autoscaling:us-east-1:1:autoScalingGroup:*:autoScalingGroupName/*"}}}`, nil},
		{"restore validation in one region", `{"Effect":"Allow","Action":"backup:PutRestoreValidationResult","Resource":"*",
			"Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}`, nil},
		{"restore validation anywhere", `{"Effect":"Allow","Action":"backup:PutRestoreValidationResult","Resource":"*"}`,
			[]string{`P.PolicyDocument statement 0: write "backup:PutRestoreValidationResult" on "Resource": "*"`}},
		{"write on *", `{"Effect":"Allow","Action":["sns:Publish","sns:ListTopics"],"Resource":"*"}`,
			[]string{`P.PolicyDocument statement 0: write "sns:Publish" on "Resource": "*"`}},
		{"open to anyone", `{"Effect":"Allow","Principal":"*","Action":"events:PutEvents","Resource":"arn:aws:events:us-east-1:1:event-bus/b"}`,
			[]string{`P.PolicyDocument statement 0: allows every principal with no condition`}},
		{"open to any AWS principal", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"events:PutEvents","Resource":"arn:aws:events:us-east-1:1:event-bus/b"}`,
			[]string{`P.PolicyDocument statement 0: allows every principal with no condition`}},
		{"open to the organization", `{"Effect":"Allow","Principal":"*","Action":"events:PutEvents","Resource":"arn:aws:events:us-east-1:1:event-bus/b",
			"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st map[string]any
			if err := json.Unmarshal([]byte(tt.statement), &st); err != nil {
				t.Fatal(err)
			}
			doc := cfnTemplate{Resources: map[string]cfnResource{"P": {
				Type:       "AWS::IAM::Policy",
				Properties: map[string]any{"PolicyDocument": map[string]any{"Statement": []any{st}}},
			}}}
			if diff := cmp.Diff(tt.want, policyProblems(doc, optIn)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// No policy in any stack grants a wildcard action, an Auto Scaling write
// outside opted-in groups, or a write on every resource.
func TestLeastPrivilege(t *testing.T) {
	for _, s := range bothShapes(t) {
		for _, rs := range s.all() {
			want := 2 * len(deployed(s.settings)) // a role and a policy per function
			if rs.region == "" {
				want = 2 // a member template's role and policy
			}
			if rs.path != organizationStack && len(policiesIn(rs.doc)) < want {
				t.Fatalf("%s: found only %d policies; the walker is not seeing the template", rs.path, len(policiesIn(rs.doc)))
			}
			for _, p := range policyProblems(rs.doc, s.settings.Policy.OptInTag) {
				t.Errorf("%s: %s", rs.path, p)
			}
		}
	}
}

// Each role can do exactly what access.go lists, plus writing its own logs:
// nothing reaches a role any other way.
func TestRolesGrantExactlyTheAccessTable(t *testing.T) {
	s := synth(t)
	rs := s.stacks[0]
	for _, f := range deployed(s.settings) {
		want := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
		for _, g := range access[f.name] {
			want = append(want, g.actions...)
		}
		var got []string
		roleID, _ := rs.byPath(t, pascal(f.name)+"Role/Resource")
		for _, p := range policiesIn(rs.doc) {
			if p.typ != "AWS::IAM::Policy" || !attachedTo(rs.doc.Resources[strings.Split(p.where, ".")[0]], roleID) {
				continue
			}
			for _, st := range statementsOf(p.doc) {
				for _, a := range list(st["Action"]) {
					got = append(got, a.(string))
				}
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if diff := cmp.Diff(slices.Compact(want), slices.Compact(got)); diff != "" {
			t.Errorf("%s role actions (-access.go +template):\n%s", f.name, diff)
		}
	}
}

func attachedTo(policy cfnResource, roleID string) bool {
	for _, r := range list(policy.Properties["Roles"]) {
		if m, ok := r.(map[string]any); ok && m["Ref"] == roleID {
			return true
		}
	}
	return false
}

// The compliance functions read AWS and write only their own state, the
// topic (and its key) and the queue — and backup-compliance the validation
// result of a restore test; only the rebalancer changes anything else, and
// only Auto Scaling groups.
func TestOnlyTheRebalancerWritesOutsideTheSuite(t *testing.T) {
	suiteScopes := map[scope]bool{stateTable: true, topic: true, topicKey: true, queue: true}
	for _, f := range functions {
		for _, g := range access[f.name] {
			for _, a := range g.actions {
				if readAction.MatchString(a) || suiteScopes[g.scope] {
					continue
				}
				if f.name == "asg-rebalancer" && g.scope == optedInGroups && asgWrite(a) {
					continue
				}
				if f.name == "asg-rebalancer" && g.scope == optedInShifts && arcWrite(a) {
					continue
				}
				// A read of a restored table's data (Scan is no
				// Describe, List or Get, and reads no more).
				if f.name == "backup-compliance" && g.scope == restoreTestTables && a == "dynamodb:Scan" {
					continue
				}
				// Its verdict on a restore test, the one write of the
				// compliance function outside the suite.
				if f.name == "backup-compliance" && g.scope == restoreValidations && a == restoreValidationWrite {
					continue
				}
				t.Errorf("%s may %s outside its own state, topic and queue (scope %d)", f.name, a, g.scope)
			}
		}
	}
}
