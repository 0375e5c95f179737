package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/selfheal/selfheal/events"
)

// What reaches the member accounts: two templates, synthesized in their own
// stage beside the hub's stacks (cdk.out/assembly-selfheal-members/) and
// deployed by CloudFormation StackSets with service-managed permissions
// from the stack selfheal-organization in the home region.
//
//   - selfheal-member-access, once per account (IAM is global; the home
//     region's instance): the member role the hub's functions assume.
//   - selfheal-member-events, in every member region: one rule per
//     catalogue pattern forwarding to the hub bus of that region, and the
//     role EventBridge sends with.
//
// Why the L1 CfnStackSet with the template inline, not cdk-stacksets: that
// library is experimental (0.0.x), its Go module is not among the modules
// this project pins, and it ships templates as assets in the bootstrap
// bucket, which then must be readable by the organization. A member
// template is small (TemplateBody allows 51,200 bytes; a test keeps ours
// under it) and has no assets, so inline is simpler and the hub template
// shows exactly what every member gets.

// membersStage is the stage the member templates are synthesized in; the
// CDK CLI deploys only top-level stacks, so only the StackSets deploy them.
const membersStage = "selfheal-members"

// Stack names of the member templates (also their StackSets' names).
const (
	memberAccessStack = "selfheal-member-access"
	memberEventsStack = "selfheal-member-events"
)

// organizationStack holds the StackSets, in the home region.
const organizationStack = "selfheal-organization"

// members is the synthesized member side of an organization.
type members struct {
	stage  awscdk.Stage
	access awscdk.Stack // the member role
	events awscdk.Stack // the forwarding rules
	stack  awscdk.Stack // selfheal-organization: the StackSets
}

// newMembers builds the member templates and the StackSets that deploy
// them. The member stage is synthesized here, so its templates can be
// inlined into the StackSets; checks (cdk-nag in the tests) are applied to
// it first, since aspects do not cross a stage's boundary.
func newMembers(app awscdk.App, s settings, patterns []events.Pattern, checks []awscdk.IAspect) (*members, error) {
	m := &members{stage: awscdk.NewStage(app, jsii.String(membersStage), nil)}
	for _, c := range checks {
		awscdk.Aspects_Of(m.stage).Add(c, nil)
	}
	memberStack := func(name, description string) awscdk.Stack {
		return awscdk.NewStack(m.stage, jsii.String(name), &awscdk.StackProps{
			StackName:   jsii.String(name),
			Description: jsii.String(description),
			// StackSets deploy the template as it is: no bootstrap
			// version check (member accounts are not bootstrapped), no
			// CDK metadata resource.
			Synthesizer:        awscdk.NewBootstraplessSynthesizer(nil),
			AnalyticsReporting: jsii.Bool(false),
		})
	}
	m.access = memberStack(memberAccessStack,
		fmt.Sprintf("selfheal member role: what the selfheal hub (account %s) may read and change in this account", s.Account))
	newMemberRole(m.access, s)
	m.events = memberStack(memberEventsStack,
		fmt.Sprintf("selfheal member events: forwards what selfheal listens to to the hub bus %s of account %s", hubBusName, s.Account))
	if err := newForwarders(m.events, s, patterns); err != nil {
		return nil, err
	}

	assembly := m.stage.Synth(nil)
	body := func(st awscdk.Stack) (string, error) {
		b, err := json.Marshal(assembly.GetStackArtifact(st.ArtifactId()).Template())
		if err != nil {
			return "", fmt.Errorf("member template %s: %w", *st.StackName(), err)
		}
		return string(b), nil
	}
	accessBody, err := body(m.access)
	if err != nil {
		return nil, err
	}
	eventsBody, err := body(m.events)
	if err != nil {
		return nil, err
	}

	m.stack = awscdk.NewStack(app, jsii.String(organizationStack), &awscdk.StackProps{
		Env: &awscdk.Environment{
			Account: jsii.String(s.Account),
			Region:  jsii.String(s.homeRegion()),
		},
		Description: jsii.String("selfheal: the StackSets that deploy the member role and event forwarding to organization " + s.Organization.ID),
	})
	newStackSets(m.stack, s, memberAccessStack, accessBody, []string{s.homeRegion()}, "CAPABILITY_NAMED_IAM",
		"selfheal: the member role "+s.Organization.MemberRoleName+", once per member account")
	newStackSets(m.stack, s, memberEventsStack, eventsBody, s.Organization.Regions, "CAPABILITY_IAM",
		"selfheal: forwards the events selfheal handles to the hub bus, in every member region")
	return m, nil
}

// hubRoleARNs are the roles of every function in every hub region, the only
// principals the member role trusts.
func hubRoleARNs(stack awscdk.Stack, s settings) []string {
	var out []string
	for _, region := range s.Regions {
		for _, f := range deployed(s) {
			out = append(out, fmt.Sprintf("arn:%s:iam::%s:role/%s", *stack.Partition(), s.Account, hubRoleName(f, region)))
		}
	}
	return out
}

// memberGrants is what the member role may do: every grant of the hub's
// functions on resources of the account an event or a sweep is about,
// merged by scope and resources. Derived from access.go, never listed twice.
func memberGrants(s settings) []grant {
	var out []grant
	for _, f := range deployed(s) {
		for _, g := range access[f.name] {
			if !g.scope.inMemberAccount() {
				continue
			}
			i := slices.IndexFunc(out, func(o grant) bool { return o.scope == g.scope && slices.Equal(o.arns, g.arns) })
			if i < 0 {
				out = append(out, grant{scope: g.scope, arns: g.arns})
				i = len(out) - 1
			}
			for _, a := range g.actions {
				if !slices.Contains(out[i].actions, a) {
					out[i].actions = append(out[i].actions, a)
				}
			}
		}
	}
	for i := range out {
		sort.Strings(out[i].actions)
	}
	return out
}

// newMemberRole is the role the hub's functions assume in a member account.
// Its trust names the hub's function roles through aws:PrincipalArn rather
// than as principals: IAM would refuse a principal that does not exist yet
// (the hub's roles and the StackSet are created in one deploy), and would
// silently stop trusting a hub role that was replaced (a principal is kept
// as the role's unique id). aws:PrincipalOrgID keeps it inside the
// organization as well.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
func newMemberRole(stack awscdk.Stack, s settings) {
	org := s.Organization
	trust := awsiam.NewPrincipalWithConditions(awsiam.NewAccountPrincipal(jsii.String(s.Account)), &map[string]any{
		"ArnEquals":    map[string]any{"aws:PrincipalArn": hubRoleARNs(stack, s)},
		"StringEquals": map[string]any{"aws:PrincipalOrgID": org.ID},
	})
	role := awsiam.NewRole(stack, jsii.String("MemberRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(org.MemberRoleName),
		AssumedBy:   trust,
		Description: jsii.String("selfheal: reads for the hub's functions, and Auto Scaling and ARC zonal shift writes on opted-in groups only; see infra/access.go"),
	})
	w := wiring{stack: stack, settings: s, regions: org.Regions}
	grants := memberGrants(s)
	for _, g := range grants {
		role.AddToPolicy(statement(w, g))
	}
	suppressWildcards(role, w, grants)
}

// hubBusARN is the hub bus of the region a member template is deployed in.
func hubBusARN(stack awscdk.Stack, s settings) string {
	return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", *stack.Partition(), *stack.Region(), s.Account, hubBusName)
}

// newForwarders creates one rule per catalogue pattern on the member's
// default bus, sending to the hub bus of the same region with a role: the
// hub bus's policy admits the organization, the role is what EventBridge
// recommends (and SCPs can govern) for a bus in another account.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
func newForwarders(stack awscdk.Stack, s settings, patterns []events.Pattern) error {
	role := awsiam.NewRole(stack, jsii.String("ForwardRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": *stack.Account()}},
		}),
		Description: jsii.String("selfheal: EventBridge forwards selfheal's events to the hub bus " + hubBusName + " with this role"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("events:PutEvents"),
		Resources: jsii.Strings(hubBusARN(stack, s)),
	}))
	maxAge := map[string]float64{}
	for _, f := range deployed(s) {
		maxAge[f.name] = f.maxEventAge.Seconds()
	}
	for _, p := range patterns {
		age, ok := maxAge[p.Function]
		if !ok {
			return fmt.Errorf("events/patterns/%s.json targets function %q, which infra/functions.go does not deploy", p.Name, p.Function)
		}
		pattern, err := patternObject(p)
		if err != nil {
			return err
		}
		awsevents.NewCfnRule(stack, jsii.String(pascal(p.Name)+"Forward"), &awsevents.CfnRuleProps{
			Description:  jsii.String(fmt.Sprintf("selfheal: events/patterns/%s.json to the hub (account %s, bus %s)", p.Name, s.Account, hubBusName)),
			EventPattern: pattern,
			State:        jsii.String("ENABLED"),
			Targets: &[]any{&awsevents.CfnRule_TargetProperty{
				Id:      jsii.String(hubBusName),
				Arn:     jsii.String(hubBusARN(stack, s)),
				RoleArn: role.RoleArn(),
				// Retried for as long as the function would still act on
				// the event. No dead-letter queue: it would be one more
				// queue in every member account that nobody reads; the
				// hub's sweep finds what an event would have shown.
				RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
					MaximumRetryAttempts:     jsii.Number(185),
					MaximumEventAgeInSeconds: jsii.Number(age),
				},
			}},
		})
	}
	return nil
}

// newStackSets deploys one member template to the organization's member
// accounts: one StackSet for the member OUs, with automatic deployment to
// accounts that join them later, and one for single member accounts, which
// get no automatic deployment (they are listed by hand). The hub account is
// never a target: its own stacks handle its events with its own roles.
func newStackSets(stack awscdk.Stack, s settings, name, body string, regions []string, capability, description string) {
	org := s.Organization
	// Listed accounts are left out of the OU StackSet, so no account gets
	// the template twice (the named role would collide). The settings
	// refuse the hub among them.
	single := org.MemberAccounts
	add := func(id, setName string, autoDeploy bool, targets *awscdk.CfnStackSet_DeploymentTargetsProperty) {
		awscdk.NewCfnStackSet(stack, jsii.String(id), &awscdk.CfnStackSetProps{
			StackSetName:    jsii.String(setName),
			Description:     jsii.String(description),
			PermissionModel: jsii.String("SERVICE_MANAGED"),
			CallAs:          jsii.String(callAs(s)),
			AutoDeployment: &awscdk.CfnStackSet_AutoDeploymentProperty{
				Enabled: jsii.Bool(autoDeploy),
				// An account that leaves the OUs loses the role and the
				// forwarding: it is no longer selfheal's to look after.
				RetainStacksOnAccountRemoval: jsii.Bool(false),
			},
			Capabilities: jsii.Strings(capability),
			// Operations queue instead of failing while another runs.
			// (A JSON property: the CDK would not capitalise a struct's keys.)
			ManagedExecution: map[string]any{"Active": true},
			OperationPreferences: &awscdk.CfnStackSet_OperationPreferencesProperty{
				RegionConcurrencyType: jsii.String("PARALLEL"),
				// A quarter of the accounts at a time, and a broken account
				// or two (an SCP, a suspended account) do not stop the rest;
				// README says how to find them.
				MaxConcurrentPercentage:    jsii.Number(25),
				FailureTolerancePercentage: jsii.Number(10),
			},
			StackInstancesGroup: &[]any{&awscdk.CfnStackSet_StackInstancesProperty{
				DeploymentTargets: targets,
				Regions:           jsii.Strings(regions...),
			}},
			TemplateBody: jsii.String(body),
		})
	}
	if len(org.MemberOUs) > 0 {
		add(pascal(name), name, true, &awscdk.CfnStackSet_DeploymentTargetsProperty{
			OrganizationalUnitIds: jsii.Strings(org.MemberOUs...),
			Accounts:              jsii.Strings(append([]string{s.Account}, single...)...),
			AccountFilterType:     jsii.String("DIFFERENCE"),
		})
	}
	if len(single) > 0 {
		// A StackSet resource creates instances only for OUs (UNION is
		// not supported on create): single accounts are the intersection
		// of the organization's root with the list.
		// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-cloudformation-stackset-deploymenttargets.html
		add(pascal(name)+"Accounts", name+"-accounts", false, &awscdk.CfnStackSet_DeploymentTargetsProperty{
			OrganizationalUnitIds: jsii.Strings(org.RootID),
			Accounts:              jsii.Strings(single...),
			AccountFilterType:     jsii.String("INTERSECTION"),
		})
	}
}

// callAs is how the hub acts on StackSets: as the management account
// (SELF) or as a delegated administrator.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html
func callAs(s settings) string {
	if s.Organization.DelegatedAdmin {
		return "DELEGATED_ADMIN"
	}
	return "SELF"
}

// stackSetTargets describes where a deployment's StackSets reach, for the
// synth log.
func stackSetTargets(s settings) string {
	org := s.Organization
	var parts []string
	if len(org.MemberOUs) > 0 {
		parts = append(parts, "OUs "+strings.Join(org.MemberOUs, ", "))
	}
	if len(org.MemberAccounts) > 0 {
		parts = append(parts, "accounts "+strings.Join(org.MemberAccounts, ", "))
	}
	return strings.Join(parts, " and ") + " in " + strings.Join(org.Regions, ", ")
}
