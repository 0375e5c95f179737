package main

// What each function may do in AWS, as data: the one place a function author
// extends when a function starts calling a new API. Every grant becomes one
// IAM statement on that function's own role; nothing else grants anything to
// a function (no managed policies, no CDK grant helpers).
//
// Resource-level permissions and condition keys per action are from the
// Service Authorization Reference:
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html

// scope says which resources a grant's actions apply to.
type scope int

const (
	// anyResource is "Resource": "*". Only for reads, and only where AWS
	// offers no resource-level permission for the action (or, noted at the
	// grant, the resource ARN takes forms no pattern covers).
	anyResource scope = iota
	// optedInGroups is every Auto Scaling group of the account in the
	// stack's region, with the condition aws:ResourceTag/<opt-in key> =
	// <opt-in value>: a group without the opt-in tag cannot be changed.
	optedInGroups
	// optedInShifts is for ARC zonal shift writes: "Resource": "*" (ARC
	// defines resource types for load balancers only) with the conditions
	// arc-zonal-shift:ResourceIdentifier like an Auto Scaling group of the
	// account in the stack's region and aws:ResourceTag/<opt-in key> =
	// <opt-in value>: only the opted-in groups can be shifted.
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_arc-zonal-shift.html
	// https://docs.aws.amazon.com/r53recovery/latest/dg/security-iam-zonalshift.html
	optedInShifts
	// restoreValidations is for backup:PutRestoreValidationResult, the
	// compliance function's one write outside the suite: "Resource": "*"
	// (the action has no resource type: a restore job is named by an id,
	// not an ARN) with the condition aws:RequestedRegion = the stack's
	// region, where the restore tests it validates run.
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html
	restoreValidations
	// restoreTestTables is every DynamoDB table of the account in any
	// region carrying the tag AWS Backup restore testing puts on what it
	// restores (aws:ResourceTag/awsbackup-restore-test present): the
	// function reads a restored table's data, and no other's.
	restoreTestTables
	// regionAlarms is every CloudWatch alarm of the account in the stack's
	// region.
	regionAlarms
	// accountResources is the ARN patterns in grant.arns, in this account
	// and in any region (the DR regions are read too).
	accountResources
	stateTable // the stack's DynamoDB state table
	topic      // the stack's SNS topic
	topicKey   // the KMS key the topic is encrypted with
	queue      // the stack's dead-letter / quarantine queue
	// memberRoles is the member role (organization.memberRoleName) of
	// every account, with the condition aws:ResourceOrgID = the
	// organization: no role of that name outside it.
	memberRoles
	// organizationResources is the ARN patterns in grant.arns, with
	// {organization} for the organization's id: its roots, OUs and
	// accounts, whatever its management account.
	organizationResources
	// organizationWide is "Resource": "*" for the Organizations reads that
	// have no resource-level permission; called in the hub only.
	organizationWide
)

// inMemberAccount reports whether a scope names resources of the account an
// event or a sweep is about, which in an organization is a member account
// reached through the member role. The others are the hub's own: its state,
// topic and queue, the organization's structure, the member roles.
func (s scope) inMemberAccount() bool {
	switch s {
	case anyResource, optedInGroups, optedInShifts, regionAlarms, accountResources, restoreValidations, restoreTestTables:
		return true
	}
	return false
}

// grant is one IAM statement: actions on the resources of a scope.
type grant struct {
	actions []string
	scope   scope
	// arns are ARN patterns after "arn:<partition>:" for accountResources,
	// with {account} for the stack's account, e.g.
	// "backup:*:{account}:backup-vault:*".
	arns []string
}

// asgWrites are the Auto Scaling writes of the rebalancer. They are only
// ever granted on optedInGroups; the IAM test fails on any other grant.
var asgWrites = []string{
	"autoscaling:UpdateAutoScalingGroup",
	"autoscaling:ResumeProcesses",
	"autoscaling:CreateOrUpdateTags",
	"autoscaling:DeleteTags",
}

// arcWrites are the ARC zonal shift writes of the rebalancer, granted only
// on optedInShifts; the IAM test fails on any other grant.
var arcWrites = []string{
	"arc-zonal-shift:StartZonalShift",
	"arc-zonal-shift:UpdateZonalShift",
	"arc-zonal-shift:CancelZonalShift",
}

// restoreValidationWrite is the compliance function's one write outside
// the suite, granted only on restoreValidations; the IAM test fails on any
// other grant of it.
const restoreValidationWrite = "backup:PutRestoreValidationResult"

// Shared grants every function needs to remember, report and quarantine.
var (
	// stateItems are the item calls on selfheal's own state table
	// (shared/state): event claims, the ledger, expected copies, the outbox.
	stateItems = grant{actions: []string{
		"dynamodb:GetItem",
		"dynamodb:PutItem",
		"dynamodb:UpdateItem",
		"dynamodb:DeleteItem",
		"dynamodb:Query",
	}, scope: stateTable}
	// findingStates: notify.Report reads the states of a message's
	// resources in batches of 100.
	findingStates = grant{actions: []string{"dynamodb:BatchGetItem"}, scope: stateTable}
	// Publishing to a KMS-encrypted topic needs a data key from the topic's
	// key: SNS calls GenerateDataKey and Decrypt as the publisher.
	// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
	publish = []grant{
		{actions: []string{"sns:Publish"}, scope: topic},
		{actions: []string{"kms:GenerateDataKey", "kms:Decrypt"}, scope: topicKey},
	}
	// The queue uses SQS-managed encryption: no KMS permission needed.
	quarantine = grant{actions: []string{"sqs:SendMessage"}, scope: queue}
)

// inOrganization is what every function of an organization's hub may do
// besides its own grants: act in a member account as the member role
// (shared/awsapi assumes it per event account and caches the credentials).
var inOrganization = []grant{{actions: []string{"sts:AssumeRole"}, scope: memberRoles}}

// sweepReads are the account-wide reads of one sweep of one account: the
// compliance sweep's, and in an organization each org-sweep child's.
var sweepReads = []grant{
	// The sweep reads the DR regions too: every ARN pattern below spans
	// all regions of the account, and every grant is a read. Exactly the
	// calls of shared/sweep/aws.go: list calls carry what the checks need
	// (lifecycle, encryption, retention, tags of databases), so no
	// Describe* per resource.
	{actions: []string{"backup:ListRecoveryPointsByBackupVault"}, scope: accountResources,
		arns: []string{"backup:*:{account}:backup-vault:*"}},
	{actions: []string{"backup:GetBackupPlan"}, scope: accountResources,
		arns: []string{"backup:*:{account}:backup-plan:*"}},
	// The List* actions have no resource-level permissions.
	{actions: []string{
		"backup:ListBackupVaults",
		"backup:ListBackupPlans",
		"backup:ListProtectedResources",
		"backup:ListCopyJobs",
		"dynamodb:ListTables",
		"autoscaling:DescribeAutoScalingGroups",
	}, scope: anyResource},
	{actions: []string{
		"dynamodb:DescribeContinuousBackups",
		"dynamodb:ListTagsOfResource",
	}, scope: accountResources, arns: []string{"dynamodb:*:{account}:table/*"}},
	{actions: []string{"rds:DescribeDBInstances"}, scope: accountResources,
		arns: []string{"rds:*:{account}:db:*"}},
	{actions: []string{"rds:DescribeDBClusters"}, scope: accountResources,
		arns: []string{"rds:*:{account}:cluster:*"}},
}

// access lists, per function, every grant. Keys are the folder names under
// functions/.
var access = map[string][]grant{
	"asg-rebalancer": join(
		[]grant{
			// Auto Scaling Describe* actions have no resource-level permissions.
			{actions: []string{
				"autoscaling:DescribeAutoScalingGroups",
				"autoscaling:DescribeInstanceRefreshes",
			}, scope: anyResource},
			{actions: asgWrites, scope: optedInGroups},
			// EC2 Describe* actions have no resource-level permissions.
			{actions: []string{
				"ec2:DescribeInstances",
				"ec2:DescribeSubnets",
				"ec2:DescribeAvailabilityZones",
			}, scope: anyResource},
			// health:DescribeEvents has no resource-level permission.
			{actions: []string{"health:DescribeEvents"}, scope: anyResource},
			// ListManagedResources has no resource-level permission: one
			// call tells every enrolled group's active shifts.
			{actions: []string{"arc-zonal-shift:ListManagedResources"}, scope: anyResource},
			{actions: arcWrites, scope: optedInShifts},
			// The alarm's tags say whether it is an AZ signal, and its AZ.
			{actions: []string{"cloudwatch:ListTagsForResource"}, scope: regionAlarms},
			// No findingStates: the rebalancer reports actions only.
			stateItems,
			quarantine,
		},
		publish,
	),

	"backup-compliance": join(
		[]grant{
			// Destination vaults and plans may live in a DR region.
			{actions: []string{"backup:DescribeBackupVault"}, scope: accountResources,
				arns: []string{"backup:*:{account}:backup-vault:*"}},
			{actions: []string{"backup:GetBackupPlan"}, scope: accountResources,
				arns: []string{"backup:*:{account}:backup-plan:*"}},
			// A deleted plan's recovery points say what it protected.
			{actions: []string{"backup:ListRecoveryPointsByBackupVault"}, scope: accountResources,
				arns: []string{"backup:*:{account}:backup-vault:*"}},
			// ListRecoveryPointsByResource (shared/compliance finds an S3
			// bucket's continuous recovery point with it) has no
			// resource-level permission. DescribeRecoveryPoint does, but a
			// recovery point's ARN is the underlying service's snapshot ARN
			// for several resource types (EBS, RDS, ...), which no single
			// pattern covers. DescribeRestoreJob has none: a restore job is
			// named by its id. Exactly the calls of shared/compliance/aws.go.
			{actions: []string{
				"backup:ListRecoveryPointsByResource",
				"backup:DescribeRecoveryPoint",
				"backup:DescribeRestoreJob",
			}, scope: anyResource},
			// The validation result of a restore test.
			{actions: []string{restoreValidationWrite}, scope: restoreValidations},
			// Tags of protected tables: selfheal:rto, selfheal:rpo.
			{actions: []string{"dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource"}, scope: accountResources,
				arns: []string{"dynamodb:*:{account}:table/*"}},
			// A restored table's status, item count and one item: only
			// tables a restore test made.
			{actions: []string{"dynamodb:DescribeTable", "dynamodb:Scan"}, scope: restoreTestTables},
			{actions: []string{"rds:DescribeDBInstances"}, scope: accountResources,
				arns: []string{"rds:*:{account}:db:*"}},
			{actions: []string{"rds:DescribeDBClusters"}, scope: accountResources,
				arns: []string{"rds:*:{account}:cluster:*"}},
			stateItems,
			findingStates,
			quarantine,
		},
		publish,
	),

	"compliance-sweep": join(
		sweepReads,
		[]grant{stateItems, findingStates, quarantine},
		publish,
	),

	// The organization sweep's three tasks in one function: list the
	// accounts in scope, sweep one account and region (a member's as the
	// member role, the hub's own with these reads), write the digest.
	"org-sweep": join(
		sweepReads,
		[]grant{
			// ListAccounts has no resource-level permission.
			{actions: []string{"organizations:ListAccounts"}, scope: organizationWide},
			// The others take this organization's roots, OUs and accounts;
			// the management account's id in their ARNs is left open, so
			// a delegated administrator needs no more.
			// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
			{actions: []string{
				"organizations:ListAccountsForParent",
				"organizations:ListChildren",
			}, scope: organizationResources, arns: []string{
				"organizations::*:root/{organization}/*",
				"organizations::*:ou/{organization}/*",
				"organizations::*:account/{organization}/*",
			}},
			stateItems,
			findingStates,
			quarantine,
		},
		publish,
	),
}

func join(lists ...[]grant) []grant {
	var out []grant
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
