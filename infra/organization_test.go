package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/orgsweep"
)

// The organization shape: the README's example context makes one hub stack
// per region, the StackSets' stack in the home region (after the hubs), and
// the member templates, which name no account or region of their own.
func TestOrganizationStacks(t *testing.T) {
	s := synthOrganization(t)
	var got []string
	for _, rs := range s.all() {
		got = append(got, fmt.Sprintf("%s %s %s", *rs.stack.StackName(), *rs.stack.Account(), *rs.stack.Region()))
	}
	want := []string{
		"selfheal-us-east-1 " + placeholderAccount + " us-east-1",
		"selfheal-eu-west-1 " + placeholderAccount + " eu-west-1",
		"selfheal-organization " + placeholderAccount + " us-east-1",
		memberAccessStack + " " + *s.memberAccess.stack.Account() + " " + *s.memberAccess.stack.Region(),
		memberEventsStack + " " + *s.memberEvents.stack.Account() + " " + *s.memberEvents.stack.Region(),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}
	for _, rs := range []*regionStack{s.memberAccess, s.memberEvents} {
		if !strings.Contains(*rs.stack.Account(), "Token") || !strings.Contains(*rs.stack.Region(), "Token") {
			t.Errorf("%s names an account or region; StackSets deploy it to many", rs.path)
		}
		if _, ok := rs.doc.Resources["CDKMetadata"]; ok {
			t.Errorf("%s has CDK metadata", rs.path)
		}
		raw := readTemplate(t, rs.file)
		if raw["Parameters"] != nil || raw["Rules"] != nil {
			t.Errorf("%s checks a bootstrap version, which member accounts do not have: %v %v", rs.path, raw["Parameters"], raw["Rules"])
		}
	}
	var deps []string
	for _, d := range *s.organization.stack.Dependencies() {
		deps = append(deps, *d.StackName())
	}
	sort.Strings(deps)
	if diff := cmp.Diff([]string{"selfheal-eu-west-1", "selfheal-us-east-1"}, deps); diff != "" {
		t.Errorf("%s deploys after (-want +got):\n%s", organizationStack, diff)
	}
}

// A hub region is the single-account stack with org-sweep for
// compliance-sweep, plus the bus, its rules, the state machine with its
// roles, schedule and alarms.
func TestHubInventory(t *testing.T) {
	s := synthOrganization(t)
	fns := deployed(s.settings)
	if got := names(fns); !slices.Equal(got, []string{"asg-rebalancer", "backup-compliance", "org-sweep"}) {
		t.Fatalf("hub functions %v", got)
	}
	async, sync, schedules := 0, 0, 0
	for _, f := range fns {
		if f.synchronous {
			sync++
		} else {
			async++
		}
		if f.scheduleOf(s.settings) != "" {
			schedules++
		}
	}
	n, p := len(fns), len(s.patterns)
	want := map[string]int{
		"AWS::Lambda::Function":            n,
		"AWS::IAM::Role":                   n + 2, // + the state machine's and its schedule's
		"AWS::IAM::Policy":                 n + 2,
		"AWS::Logs::LogGroup":              n,
		"AWS::Lambda::EventInvokeConfig":   async,
		"AWS::Events::Rule":                2*p + schedules + 1,
		"AWS::Lambda::Permission":          2*p + schedules,
		"AWS::Events::EventBus":            1,
		"AWS::StepFunctions::StateMachine": 1,
		"AWS::CloudWatch::Alarm":           3*async + 2*sync + 1 + 2,
		"AWS::DynamoDB::Table":             1,
		"AWS::KMS::Key":                    1,
		"AWS::SNS::Topic":                  1,
		"AWS::SNS::TopicPolicy":            1,
		"AWS::SNS::Subscription":           len(s.settings.NotificationEmails),
		"AWS::SQS::Queue":                  1,
		"AWS::SQS::QueuePolicy":            1,
	}
	for _, rs := range s.stacks {
		got := map[string]int{}
		for _, r := range rs.doc.Resources {
			got[r.Type]++
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s resources (-want +got):\n%s", rs.region, diff)
		}
	}
}

func names(fns []function) []string {
	var out []string
	for _, f := range fns {
		out = append(out, f.name)
	}
	return out
}

// The hub bus takes events:PutEvents from principals of the organization and
// from no one else.
func TestHubBusAdmitsOnlyTheOrganization(t *testing.T) {
	s := synthOrganization(t)
	for _, rs := range s.stacks {
		_, bus := rs.byPath(t, "HubBus")
		want := map[string]any{
			"Name": hubBusName,
			"Policy": map[string]any{
				"Version": "2012-10-17",
				"Statement": []any{map[string]any{
					"Sid":       "OrganizationMembersPutEvents",
					"Effect":    "Allow",
					"Principal": "*",
					"Action":    "events:PutEvents",
					"Resource":  fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", rs.region, placeholderAccount, hubBusName),
					"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": s.settings.Organization.ID}},
				}},
			},
		}
		if diff := cmp.Diff(want, bus.Properties); diff != "" {
			t.Errorf("%s hub bus (-want +got):\n%s", rs.region, diff)
		}
	}
}

// Every catalogue pattern has a rule on the hub bus too, to the same
// function as on the default bus: member events reach the functions.
func TestHubRulesComeFromTheCatalogue(t *testing.T) {
	s := synthOrganization(t)
	for _, rs := range s.stacks {
		busID, _ := rs.byPath(t, "HubBus")
		for _, p := range s.patterns {
			id, rule := rs.byPath(t, pascal(p.Name)+"HubRule")
			if diff := cmp.Diff(getAtt(busID, "Name"), asJSON(t, rule.Properties["EventBusName"])); diff != "" {
				t.Errorf("%s rule %s bus (-want +got):\n%s", rs.region, id, diff)
			}
			if diff := cmp.Diff(decodePattern(t, p.JSON), rule.Properties["EventPattern"]); diff != "" {
				t.Errorf("%s rule %s pattern differs from events/patterns/%s.json (-file +rule):\n%s", rs.region, id, p.Name, diff)
			}
			fnID, _ := rs.byPath(t, pascal(p.Function)+"/Resource")
			targets := rule.Properties["Targets"].([]any)
			if len(targets) != 1 {
				t.Fatalf("%s rule %s has %d targets, want 1", rs.region, id, len(targets))
			}
			if diff := cmp.Diff(getAtt(fnID, "Arn"), asJSON(t, targets[0].(map[string]any)["Arn"])); diff != "" {
				t.Errorf("%s rule %s targets another function (-want +got):\n%s", rs.region, id, diff)
			}
			assertInvokePermission(t, rs, id, fnID)
		}
		// The default bus keeps its rules: the hub's own account.
		for _, p := range s.patterns {
			_, rule := rs.byPath(t, pascal(p.Name)+"Rule")
			if rule.Properties["EventBusName"] != nil {
				t.Errorf("%s rule for %s is not on the default bus", rs.region, p.Name)
			}
		}
	}
}

func decodePattern(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The state machine's definition is what orgsweep.Definition builds, byte
// for byte, with the org-sweep function behind every task; it runs on the
// sweep schedule, and nothing else sweeps.
func TestOrgSweepStateMachine(t *testing.T) {
	s := synthOrganization(t)
	want, err := orgsweep.Definition(orgSweepTasks, *s.settings.Organization)
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range s.stacks {
		fnID, _ := rs.byPath(t, "OrgSweep/Resource")
		id, machine := rs.byPath(t, "OrgSweepStateMachine")
		p := machine.Properties
		if p["DefinitionString"] != want {
			t.Errorf("%s DefinitionString differs from orgsweep.Definition:\n got %v\nwant %s", rs.region, p["DefinitionString"], want)
		}
		for _, placeholder := range []string{orgSweepTasks.ListAccounts, orgSweepTasks.SweepAccount, orgSweepTasks.Aggregate} {
			if !strings.Contains(want, placeholder) {
				t.Errorf("the definition never uses task %s", placeholder)
			}
		}
		subs := map[string]any{"ListAccounts": getAtt(fnID, "Arn"), "SweepAccount": getAtt(fnID, "Arn"), "Aggregate": getAtt(fnID, "Arn")}
		if diff := cmp.Diff(asJSON(t, subs), asJSON(t, p["DefinitionSubstitutions"])); diff != "" {
			t.Errorf("%s substitutions (-want +got):\n%s", rs.region, diff)
		}
		if p["StateMachineName"] != orgSweepName || p["StateMachineType"] != "STANDARD" {
			t.Errorf("%s state machine %v (%v)", rs.region, p["StateMachineName"], p["StateMachineType"])
		}
		roleID, _ := rs.byPath(t, "OrgSweepStateMachineRole/Resource")
		if diff := cmp.Diff(getAtt(roleID, "Arn"), asJSON(t, p["RoleArn"])); diff != "" {
			t.Errorf("%s state machine role (-want +got):\n%s", rs.region, diff)
		}
		machineARN := fmt.Sprintf("arn:aws:states:%s:%s:", rs.region, placeholderAccount)
		wantActions := map[string][]any{
			"lambda:InvokeFunction":                         {getAtt(fnID, "Arn"), map[string]any{"Fn::Join": []any{"", []any{getAtt(fnID, "Arn"), ":*"}}}},
			"states:StartExecution":                         {machineARN + "stateMachine:" + orgSweepName},
			"states:DescribeExecution,states:StopExecution": {machineARN + "execution:" + orgSweepName + "/*"},
		}
		if diff := cmp.Diff(asJSON(t, wantActions), roleGrants(t, rs, roleID)); diff != "" {
			t.Errorf("%s state machine role grants (-want +got):\n%s", rs.region, diff)
		}

		ruleID, rule := rs.byPath(t, "OrgSweepSchedule")
		if got := rule.Properties["ScheduleExpression"]; got != s.settings.SweepSchedule {
			t.Errorf("%s organization sweep schedule = %v, want %q", rs.region, got, s.settings.SweepSchedule)
		}
		target := rule.Properties["Targets"].([]any)[0].(map[string]any)
		startID, _ := rs.byPath(t, "OrgSweepScheduleRole/Resource")
		if diff := cmp.Diff(getAtt(id, "Arn"), asJSON(t, target["Arn"])); diff != "" {
			t.Errorf("%s schedule %s target (-want +got):\n%s", rs.region, ruleID, diff)
		}
		if diff := cmp.Diff(getAtt(startID, "Arn"), asJSON(t, target["RoleArn"])); diff != "" {
			t.Errorf("%s schedule role (-want +got):\n%s", rs.region, diff)
		}
		if diff := cmp.Diff(asJSON(t, map[string][]any{"states:StartExecution": {getAtt(id, "Arn")}}), roleGrants(t, rs, startID)); diff != "" {
			t.Errorf("%s schedule role grants (-want +got):\n%s", rs.region, diff)
		}
		for rid, r := range rs.ofType("AWS::Events::Rule") {
			if r.Properties["ScheduleExpression"] == s.settings.SweepSchedule && rid != ruleID {
				t.Errorf("%s: rule %s also runs on the sweep schedule", rs.region, rid)
			}
		}
	}
}

// roleGrants lists what the policies attached to a role allow, as
// "action[,action]" → resources.
func roleGrants(t *testing.T, rs *regionStack, roleID string) any {
	t.Helper()
	out := map[string][]any{}
	for _, p := range policiesIn(rs.doc) {
		if p.typ != "AWS::IAM::Policy" || !attachedTo(rs.doc.Resources[strings.Split(p.where, ".")[0]], roleID) {
			continue
		}
		for _, st := range statementsOf(p.doc) {
			var actions []string
			for _, a := range list(st["Action"]) {
				actions = append(actions, a.(string))
			}
			key := strings.Join(actions, ",")
			out[key] = append(out[key], list(st["Resource"])...)
		}
	}
	return asJSON(t, out)
}

// Every hub function gets the organization as shared/config loads it, a
// role whose name the member role can trust, and may assume the member
// role of the organization's accounts only.
func TestHubFunctions(t *testing.T) {
	s := synthOrganization(t)
	org := s.settings.Organization
	if !slices.Equal(org.Regions, s.settings.Regions) {
		t.Errorf("member regions %v, want the hub's %v by default", org.Regions, s.settings.Regions)
	}
	for _, rs := range s.stacks {
		for _, f := range deployed(s.settings) {
			_, fn := rs.byPath(t, pascal(f.name)+"/Resource")
			vars := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
			doc, _ := vars[config.EnvOrganization].(string)
			got, err := config.ParseOrganization([]byte(doc))
			if err != nil {
				t.Errorf("%s %s: %s does not load: %v", rs.region, f.name, config.EnvOrganization, err)
			}
			if diff := cmp.Diff(*org, got); diff != "" {
				t.Errorf("%s %s organization (-settings +env):\n%s", rs.region, f.name, diff)
			}
			roleID, role := rs.byPath(t, pascal(f.name)+"Role/Resource")
			if got, want := role.Properties["RoleName"], hubRoleName(f, rs.region); got != want {
				t.Errorf("%s %s role name %v, want %s", rs.region, f.name, got, want)
			}
			assumes := 0
			for _, p := range policiesIn(rs.doc) {
				if p.typ != "AWS::IAM::Policy" || !attachedTo(rs.doc.Resources[strings.Split(p.where, ".")[0]], roleID) {
					continue
				}
				for _, st := range statementsOf(p.doc) {
					if !slices.Contains(list(st["Action"]), any("sts:AssumeRole")) {
						continue
					}
					assumes++
					want := map[string]any{
						"Action":    "sts:AssumeRole",
						"Effect":    "Allow",
						"Resource":  "arn:aws:iam::*:role/" + org.MemberRoleName,
						"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": org.ID}},
					}
					if diff := cmp.Diff(want, st); diff != "" {
						t.Errorf("%s %s assume-role grant (-want +got):\n%s", rs.region, f.name, diff)
					}
				}
			}
			if assumes != 1 {
				t.Errorf("%s %s: %d statements allow sts:AssumeRole, want 1", rs.region, f.name, assumes)
			}
			if _, ok := rs.doc.Resources[pascal(f.name)+"Async"]; ok == f.synchronous {
				t.Errorf("%s %s: asynchronous invocation config present = %v, synchronous = %v", rs.region, f.name, ok, f.synchronous)
			}
		}
	}
}

// Each hub role can do exactly what access.go lists, plus assuming the
// member role and writing its own logs.
func TestHubRolesGrantExactlyTheAccessTable(t *testing.T) {
	s := synthOrganization(t)
	rs := s.stacks[0]
	for _, f := range deployed(s.settings) {
		want := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
		for _, g := range join(access[f.name], inOrganization) {
			want = append(want, g.actions...)
		}
		roleID, _ := rs.byPath(t, pascal(f.name)+"Role/Resource")
		var got []string
		for actions := range roleGrants(t, rs, roleID).(map[string]any) {
			got = append(got, strings.Split(actions, ",")...)
		}
		sort.Strings(want)
		sort.Strings(got)
		if diff := cmp.Diff(slices.Compact(want), slices.Compact(got)); diff != "" {
			t.Errorf("%s role actions (-access.go +template):\n%s", f.name, diff)
		}
	}
}

// The member role is assumable by the hub's function roles alone, by their
// exact ARNs (the role names the hub stacks give them), from inside the
// organization.
func TestMemberRoleTrustsOnlyTheHubFunctions(t *testing.T) {
	s := synthOrganization(t)
	org := s.settings.Organization
	var hubRoles []any
	for _, rs := range s.stacks {
		for _, f := range deployed(s.settings) {
			_, role := rs.byPath(t, pascal(f.name)+"Role/Resource")
			hubRoles = append(hubRoles, fmt.Sprintf("arn:<AWS::Partition>:iam::%s:role/%s", placeholderAccount, role.Properties["RoleName"]))
		}
	}
	_, role := s.memberAccess.byPath(t, "MemberRole/Resource")
	if got := role.Properties["RoleName"]; got != org.MemberRoleName {
		t.Errorf("member role name %v, want %s", got, org.MemberRoleName)
	}
	trust := statementsOf(role.Properties["AssumeRolePolicyDocument"].(map[string]any))
	if len(trust) != 1 {
		t.Fatalf("member role trust has %d statements, want 1", len(trust))
	}
	st := withPseudo(t, trust[0]).(map[string]any)
	want := map[string]any{
		"Action":    "sts:AssumeRole",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": "arn:<AWS::Partition>:iam::" + placeholderAccount + ":root"},
		"Condition": map[string]any{
			"ArnEquals":    map[string]any{"aws:PrincipalArn": hubRoles},
			"StringEquals": map[string]any{"aws:PrincipalOrgID": org.ID},
		},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("member role trust (-want +got):\n%s", diff)
	}
}

// withPseudo writes {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
// ...]]} as "arn:<AWS::Partition>:...", as cdk-nag does, so expectations
// read like ARNs.
func withPseudo(t *testing.T, v any) any {
	t.Helper()
	switch x := asJSON(t, v).(type) {
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 && j[0] == "" {
			var b strings.Builder
			for _, part := range j[1].([]any) {
				switch p := part.(type) {
				case string:
					b.WriteString(p)
				case map[string]any:
					b.WriteString("<" + p["Ref"].(string) + ">")
				}
			}
			return b.String()
		}
		for k, e := range x {
			x[k] = withPseudo(t, e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = withPseudo(t, e)
		}
		return x
	default:
		return x
	}
}

// The member role may do what the hub's functions do in an account, on
// the member's resources in the member regions, and nothing of the hub's
// own (state, topic, queue, the organization, other member roles).
func TestMemberRoleGrants(t *testing.T) {
	s := synthOrganization(t)
	roleID, _ := s.memberAccess.byPath(t, "MemberRole/Resource")
	got := withPseudo(t, roleGrants(t, s.memberAccess, roleID)).(map[string]any)
	groups := func() []any {
		var out []any
		for _, r := range s.settings.Organization.Regions {
			out = append(out, "arn:<AWS::Partition>:autoscaling:"+r+":<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/*")
		}
		return out
	}
	var alarms []any
	for _, r := range s.settings.Organization.Regions {
		alarms = append(alarms, "arn:<AWS::Partition>:cloudwatch:"+r+":<AWS::AccountId>:alarm:*")
	}
	inAccount := func(pattern string) []any {
		return []any{"arn:<AWS::Partition>:" + strings.ReplaceAll(pattern, "{account}", "<AWS::AccountId>")}
	}
	want := map[string]any{}
	add := func(actions []string, resources []any) {
		key := strings.Join(actions, ",")
		want[key] = append(resources, want[key].([]any)...)
	}
	for _, g := range memberGrants(s.settings) {
		want[strings.Join(g.actions, ",")] = []any{}
	}
	for _, g := range memberGrants(s.settings) {
		switch g.scope {
		case anyResource, optedInShifts, restoreValidations:
			add(g.actions, []any{"*"})
		case restoreTestTables:
			add(g.actions, inAccount("dynamodb:*:{account}:table/*"))
		case optedInGroups:
			add(g.actions, groups())
		case regionAlarms:
			add(g.actions, alarms)
		case accountResources:
			for _, a := range g.arns {
				add(g.actions, inAccount(a))
			}
		default:
			t.Errorf("member grant %v has a hub scope %d", g.actions, g.scope)
		}
	}
	var sortAny = cmp.Transformer("sort", func(in []any) []string {
		out := make([]string, len(in))
		for i, v := range in {
			out[i] = fmt.Sprint(v)
		}
		sort.Strings(out)
		return out
	})
	if diff := cmp.Diff(want, got, sortAny); diff != "" {
		t.Errorf("member role grants (-memberGrants +template):\n%s", diff)
	}
	// The conditions of the writes are the walker's (TestLeastPrivilege);
	// here, that the writes are there to be checked.
	var writes []string
	for actions := range got {
		for _, a := range strings.Split(actions, ",") {
			if asgWrite(a) || arcWrite(a) {
				writes = append(writes, a)
			}
		}
	}
	sort.Strings(writes)
	wantWrites := slices.Sorted(slices.Values(append(slices.Clone(asgWrites), arcWrites...)))
	if diff := cmp.Diff(wantWrites, writes); diff != "" {
		t.Errorf("member role writes (-want +got):\n%s", diff)
	}
}

// In every member region each catalogue pattern is forwarded, unchanged, to
// the hub bus of that region, with a role that may put events on that bus
// and nowhere else, for as long as the function would act on the event.
func TestMemberForwarding(t *testing.T) {
	s := synthOrganization(t)
	rs := s.memberEvents
	roleID, role := rs.byPath(t, "ForwardRole/Resource")
	bus := "arn:<AWS::Partition>:events:<AWS::Region>:" + placeholderAccount + ":event-bus/" + hubBusName
	if diff := cmp.Diff(asJSON(t, map[string][]any{"events:PutEvents": {bus}}), withPseudo(t, roleGrants(t, rs, roleID))); diff != "" {
		t.Errorf("forwarding role grants (-want +got):\n%s", diff)
	}
	trust := map[string]any{
		"Action":    "sts:AssumeRole",
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "events.amazonaws.com"},
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}}},
	}
	if diff := cmp.Diff([]map[string]any{trust}, statementsOf(role.Properties["AssumeRolePolicyDocument"].(map[string]any))); diff != "" {
		t.Errorf("forwarding role trust (-want +got):\n%s", diff)
	}
	ages := map[string]float64{}
	for _, f := range deployed(s.settings) {
		ages[f.name] = f.maxEventAge.Seconds()
	}
	if got := len(rs.ofType("AWS::Events::Rule")); got != len(s.patterns) {
		t.Errorf("%d forwarding rules, want one per catalogue pattern (%d)", got, len(s.patterns))
	}
	for _, p := range s.patterns {
		id, rule := rs.byPath(t, pascal(p.Name)+"Forward")
		if rule.Properties["EventBusName"] != nil {
			t.Errorf("rule %s is not on the member's default bus", id)
		}
		if diff := cmp.Diff(decodePattern(t, p.JSON), rule.Properties["EventPattern"]); diff != "" {
			t.Errorf("rule %s pattern differs from events/patterns/%s.json (-file +rule):\n%s", id, p.Name, diff)
		}
		want := []any{map[string]any{
			"Id":          hubBusName,
			"Arn":         bus,
			"RoleArn":     getAtt(roleID, "Arn"),
			"RetryPolicy": map[string]any{"MaximumRetryAttempts": float64(185), "MaximumEventAgeInSeconds": ages[p.Function]},
		}}
		if diff := cmp.Diff(asJSON(t, want), withPseudo(t, rule.Properties["Targets"])); diff != "" {
			t.Errorf("rule %s targets (-want +got):\n%s", id, diff)
		}
	}
}

// maxTemplateBody is CloudFormation's limit on a StackSet's TemplateBody.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html
const maxTemplateBody = 51200

// The StackSets deploy the member templates as synthesized: service-managed,
// to the member OUs with automatic deployment (less the hub and the listed
// accounts), to the listed accounts without it, the role once per account
// and the forwarding in every member region.
func TestStackSets(t *testing.T) {
	s := synthOrganization(t)
	org := s.settings.Organization
	if len(org.MemberOUs) == 0 || len(org.MemberAccounts) == 0 {
		t.Fatalf("the README's example must name OUs and accounts to show both StackSets: %+v", org)
	}
	home := []any{s.settings.homeRegion()}
	var memberRegions []any
	for _, r := range org.Regions {
		memberRegions = append(memberRegions, r)
	}
	ous := asJSON(t, org.MemberOUs)
	excluded := asJSON(t, append([]string{placeholderAccount}, org.MemberAccounts...))
	tests := []struct {
		id, name   string
		template   *regionStack
		regions    []any
		capability string
		auto       bool
		targets    map[string]any
	}{
		{"SelfhealMemberAccess", memberAccessStack, s.memberAccess, home, "CAPABILITY_NAMED_IAM", true,
			map[string]any{"OrganizationalUnitIds": ous, "Accounts": excluded, "AccountFilterType": "DIFFERENCE"}},
		{"SelfhealMemberAccessAccounts", memberAccessStack + "-accounts", s.memberAccess, home, "CAPABILITY_NAMED_IAM", false,
			map[string]any{"OrganizationalUnitIds": []any{org.RootID}, "Accounts": asJSON(t, org.MemberAccounts), "AccountFilterType": "INTERSECTION"}},
		{"SelfhealMemberEvents", memberEventsStack, s.memberEvents, memberRegions, "CAPABILITY_IAM", true,
			map[string]any{"OrganizationalUnitIds": ous, "Accounts": excluded, "AccountFilterType": "DIFFERENCE"}},
		{"SelfhealMemberEventsAccounts", memberEventsStack + "-accounts", s.memberEvents, memberRegions, "CAPABILITY_IAM", false,
			map[string]any{"OrganizationalUnitIds": []any{org.RootID}, "Accounts": asJSON(t, org.MemberAccounts), "AccountFilterType": "INTERSECTION"}},
	}
	if got := len(s.organization.ofType("AWS::CloudFormation::StackSet")); got != len(tests) || len(s.organization.doc.Resources) != len(tests) {
		t.Errorf("%s holds %d StackSets of %d resources, want %d", organizationStack, got, len(s.organization.doc.Resources), len(tests))
	}
	for _, tt := range tests {
		set, ok := s.organization.doc.Resources[tt.id]
		if !ok || set.Type != "AWS::CloudFormation::StackSet" {
			t.Errorf("no StackSet %s", tt.id)
			continue
		}
		p := set.Properties
		body, _ := p["TemplateBody"].(string)
		if len(body) > maxTemplateBody {
			t.Errorf("%s: TemplateBody is %d bytes, over CloudFormation's %d", tt.id, len(body), maxTemplateBody)
		}
		var inline map[string]any
		if err := json.Unmarshal([]byte(body), &inline); err != nil {
			t.Errorf("%s: TemplateBody is not JSON: %v", tt.id, err)
		}
		if diff := cmp.Diff(readTemplate(t, tt.template.file), inline); diff != "" {
			t.Errorf("%s deploys another template than %s (-cdk.out +TemplateBody):\n%s", tt.id, tt.template.path, diff)
		}
		delete(p, "TemplateBody")
		want := map[string]any{
			"StackSetName":     tt.name,
			"Description":      p["Description"],
			"PermissionModel":  "SERVICE_MANAGED",
			"CallAs":           "SELF",
			"AutoDeployment":   map[string]any{"Enabled": tt.auto, "RetainStacksOnAccountRemoval": false},
			"Capabilities":     []any{tt.capability},
			"ManagedExecution": map[string]any{"Active": true},
			"OperationPreferences": map[string]any{
				"RegionConcurrencyType": "PARALLEL", "MaxConcurrentPercentage": float64(25), "FailureTolerancePercentage": float64(10),
			},
			"StackInstancesGroup": []any{map[string]any{"DeploymentTargets": tt.targets, "Regions": tt.regions}},
		}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.id, diff)
		}
	}
}

func readTemplate(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc
}
