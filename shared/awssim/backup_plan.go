package awssim

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// Backup plans, their rules and schedules, and backup selections, which
// say which resources a plan protects.

type backupPlan struct {
	id, arn, name, version, creatorRequestID, region string
	created, lastExecution                           time.Time
	deleted                                          time.Time // DeleteBackupPlan (backup_plan_changes.go)
	rules                                            []*backupRule
	selections                                       []*backupSelection
}

type backupRule struct {
	id, name, vault               string
	expr, tz                      string
	schedule                      *backupSchedule
	startWindow, completionWindow int64 // minutes
	lifecycle                     *backuptypes.Lifecycle
	copyActions                   []backuptypes.CopyAction
	continuous                    bool
	rpTags                        map[string]string
	next                          time.Time
}

type backupSelection struct {
	id, name, iamRole string
	created           time.Time
	resources         []string
	notResources      []string
	tags              []backuptypes.Condition
}

// Start and completion windows default to 8 hours and 7 days; a start
// window is at least an hour.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRuleInput.html
const (
	defaultStartWindow      = 480
	defaultCompletionWindow = 10080
)

var planNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-_.]{1,50}$`)

func (p *backupPlan) creator(rule *backupRule) *backuptypes.RecoveryPointCreator {
	return &backuptypes.RecoveryPointCreator{
		BackupPlanId: aws.String(p.id), BackupPlanArn: aws.String(p.arn), BackupPlanVersion: aws.String(p.version),
		BackupRuleId: aws.String(rule.id), BackupPlanName: aws.String(p.name), BackupRuleName: aws.String(rule.name),
		BackupRuleCron: aws.String(rule.expr), BackupRuleTimezone: aws.String(rule.tz),
	}
}

// CreateBackupPlan validates every rule (schedule, windows, lifecycles,
// copy destinations) and starts running its schedules on the sim clock.
// A plan name is unique in a region ("If you call CreateBackupPlan with a
// plan that already exists, you receive an AlreadyExistsException") unless
// the request repeats the plan's CreatorRequestId, which returns it.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupPlan.html
func (b *backupState) createBackupPlan(r *Region, in *backup.CreateBackupPlanInput) (*backup.CreateBackupPlanOutput, error) {
	name := aws.ToString(in.BackupPlan.BackupPlanName)
	if !planNameRE.MatchString(name) {
		return nil, backupErrInvalidParam("Invalid backup plan name %q", name)
	}
	for _, id := range b.planOrder {
		p := b.plans[id]
		if p.region != r.Name || p.name != name {
			continue
		}
		if rid := aws.ToString(in.CreatorRequestId); rid != "" && rid == p.creatorRequestID {
			return &backup.CreateBackupPlanOutput{BackupPlanArn: aws.String(p.arn), BackupPlanId: aws.String(p.id), CreationDate: aws.Time(p.created), VersionId: aws.String(p.version)}, nil
		}
		return nil, &backuptypes.AlreadyExistsException{Message: aws.String("Backup plan with the same name already exists"), Arn: aws.String(p.arn)}
	}
	if len(in.BackupPlan.Rules) == 0 {
		return nil, backupErrInvalidParam("A backup plan needs at least one rule")
	}
	if len(in.BackupPlan.AdvancedBackupSettings) > 0 || len(in.BackupPlan.ScanSettings) > 0 {
		return nil, backupErrInvalidParam("awssim does not model AdvancedBackupSettings or ScanSettings")
	}
	id := b.s.uuid()
	p := &backupPlan{
		id: id, name: name, region: r.Name, created: b.s.now, creatorRequestID: aws.ToString(in.CreatorRequestId),
		arn:     fmt.Sprintf("arn:aws:backup:%s:%s:backup-plan:%s", r.Name, b.s.accountID, id),
		version: base64.StdEncoding.EncodeToString([]byte(b.s.uuid())),
	}
	seen := map[string]bool{}
	for _, ri := range in.BackupPlan.Rules {
		rule, err := b.newRule(ri)
		if err != nil {
			return nil, err
		}
		if seen[rule.name] {
			return nil, backupErrInvalidParam("Rule names must be unique within a plan: %s", rule.name)
		}
		seen[rule.name] = true
		rule.next = rule.schedule.next(b.s.now)
		p.rules = append(p.rules, rule)
	}
	b.plans[id] = p
	b.planOrder = append(b.planOrder, id)
	b.emitPlan(p, "CREATED")
	return &backup.CreateBackupPlanOutput{BackupPlanArn: aws.String(p.arn), BackupPlanId: aws.String(p.id), CreationDate: aws.Time(p.created), VersionId: aws.String(p.version)}, nil
}

var ruleNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-_.]{1,50}$`)

func (b *backupState) newRule(in backuptypes.BackupRuleInput) (*backupRule, error) {
	rule := &backupRule{
		id: b.s.uuid(), name: aws.ToString(in.RuleName), vault: aws.ToString(in.TargetBackupVaultName),
		expr: aws.ToString(in.ScheduleExpression), tz: aws.ToString(in.ScheduleExpressionTimezone),
		startWindow: defaultStartWindow, completionWindow: defaultCompletionWindow,
		lifecycle: cloneLifecycle(in.Lifecycle), continuous: aws.ToBool(in.EnableContinuousBackup),
		rpTags: cloneTags(in.RecoveryPointTags),
	}
	if !ruleNameRE.MatchString(rule.name) {
		return nil, backupErrInvalidParam("Invalid rule name %q", rule.name)
	}
	if len(in.IndexActions) > 0 || len(in.ScanActions) > 0 || in.TargetLogicallyAirGappedBackupVaultArn != nil {
		return nil, backupErrInvalidParam("awssim does not model IndexActions, ScanActions or logically air-gapped vaults (rule %s)", rule.name)
	}
	if rule.expr == "" {
		rule.expr = defaultBackupSchedule
	}
	if rule.tz == "" {
		rule.tz = "Etc/UTC"
	}
	sched, err := parseBackupSchedule(rule.expr, rule.tz)
	if err != nil {
		return nil, err
	}
	rule.schedule = sched
	if in.StartWindowMinutes != nil {
		if *in.StartWindowMinutes < 60 {
			return nil, backupErrInvalidParam("StartWindowMinutes must be at least 60, got %d", *in.StartWindowMinutes)
		}
		rule.startWindow = *in.StartWindowMinutes
	}
	if in.CompletionWindowMinutes != nil {
		rule.completionWindow = *in.CompletionWindowMinutes
	}
	if err := validateLifecycle(rule.lifecycle, rule.continuous); err != nil {
		return nil, err
	}
	for _, ca := range in.CopyActions {
		dest := aws.ToString(ca.DestinationBackupVaultArn)
		if !strings.HasPrefix(dest, "arn:aws:backup:") || !strings.Contains(dest, ":backup-vault:") {
			return nil, backupErrInvalidParam("Invalid DestinationBackupVaultArn %q", dest)
		}
		if err := validateLifecycle(ca.Lifecycle, false); err != nil {
			return nil, err
		}
		rule.copyActions = append(rule.copyActions, backuptypes.CopyAction{DestinationBackupVaultArn: aws.String(dest), Lifecycle: cloneLifecycle(ca.Lifecycle)})
	}
	return rule, nil
}

func (b *backupState) plan(id string, r *Region) (*backupPlan, error) {
	p := b.plans[id]
	if p == nil || p.region != r.Name {
		return nil, backupErrNotFound("Failed reading Backup plan with provided version: plan %s not found", id)
	}
	return p, nil
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetBackupPlan.html
func (b *backupState) getBackupPlan(r *Region, in *backup.GetBackupPlanInput) (*backup.GetBackupPlanOutput, error) {
	p, err := b.plan(aws.ToString(in.BackupPlanId), r)
	if err != nil {
		return nil, err
	}
	if v := aws.ToString(in.VersionId); v != "" && v != p.version {
		return nil, backupErrNotFound("Backup plan %s has no version %s", p.id, v)
	}
	if in.MaxScheduledRunsPreview != 0 {
		return nil, backupErrInvalidParam("awssim does not model MaxScheduledRunsPreview")
	}
	plan := &backuptypes.BackupPlan{BackupPlanName: aws.String(p.name)}
	for _, rule := range p.rules {
		plan.Rules = append(plan.Rules, backuptypes.BackupRule{
			RuleId: aws.String(rule.id), RuleName: aws.String(rule.name), TargetBackupVaultName: aws.String(rule.vault),
			ScheduleExpression: aws.String(rule.expr), ScheduleExpressionTimezone: aws.String(rule.tz),
			StartWindowMinutes: aws.Int64(rule.startWindow), CompletionWindowMinutes: aws.Int64(rule.completionWindow),
			Lifecycle: cloneLifecycle(rule.lifecycle), CopyActions: slices.Clone(rule.copyActions),
			EnableContinuousBackup: aws.Bool(rule.continuous), RecoveryPointTags: cloneTags(rule.rpTags),
		})
	}
	out := &backup.GetBackupPlanOutput{
		BackupPlan: plan, BackupPlanArn: aws.String(p.arn), BackupPlanId: aws.String(p.id), VersionId: aws.String(p.version),
		CreationDate: aws.Time(p.created), CreatorRequestId: nonEmpty(p.creatorRequestID),
	}
	if !p.lastExecution.IsZero() {
		out.LastExecutionDate = aws.Time(p.lastExecution)
	}
	if !p.deleted.IsZero() {
		out.DeletionDate = aws.Time(p.deleted)
	}
	return out, nil
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupPlans.html
func (b *backupState) listBackupPlans(r *Region, in *backup.ListBackupPlansInput) (*backup.ListBackupPlansOutput, error) {
	if err := backupMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	list := []backuptypes.BackupPlansListMember{}
	for _, id := range b.planOrder {
		p := b.plans[id]
		if p.region != r.Name || (!p.deleted.IsZero() && !aws.ToBool(in.IncludeDeleted)) {
			continue
		}
		m := backuptypes.BackupPlansListMember{
			BackupPlanArn: aws.String(p.arn), BackupPlanId: aws.String(p.id), BackupPlanName: aws.String(p.name),
			CreationDate: aws.Time(p.created), VersionId: aws.String(p.version), CreatorRequestId: nonEmpty(p.creatorRequestID),
		}
		if !p.lastExecution.IsZero() {
			m.LastExecutionDate = aws.Time(p.lastExecution)
		}
		if !p.deleted.IsZero() {
			m.DeletionDate = aws.Time(p.deleted)
		}
		list = append(list, m)
	}
	pg, next, err := page(list, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	return &backup.ListBackupPlansOutput{BackupPlansList: pg, NextToken: next}, nil
}

// CreateBackupSelection assigns resources to a plan by ARN (with *
// wildcards) and by tag (STRINGEQUALS), minus NotResources.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html
func (b *backupState) createBackupSelection(r *Region, in *backup.CreateBackupSelectionInput) (*backup.CreateBackupSelectionOutput, error) {
	p, err := b.livePlan(r, aws.ToString(in.BackupPlanId))
	if err != nil {
		return nil, err
	}
	sel := in.BackupSelection
	if c := sel.Conditions; c != nil && (len(c.StringEquals)+len(c.StringLike)+len(c.StringNotEquals)+len(c.StringNotLike) > 0) {
		return nil, backupErrInvalidParam("awssim does not model BackupSelection.Conditions; use ListOfTags")
	}
	for _, t := range sel.ListOfTags {
		if t.ConditionType != backuptypes.ConditionTypeStringequals {
			return nil, backupErrInvalidParam("Invalid ConditionType %q", t.ConditionType)
		}
	}
	if len(sel.Resources) == 0 && len(sel.ListOfTags) == 0 {
		return nil, backupErrInvalidParam("A backup selection needs Resources or ListOfTags")
	}
	s := &backupSelection{
		id: b.s.uuid(), name: aws.ToString(sel.SelectionName), iamRole: aws.ToString(sel.IamRoleArn), created: b.s.now,
		resources: slices.Clone(sel.Resources), notResources: slices.Clone(sel.NotResources), tags: slices.Clone(sel.ListOfTags),
	}
	p.selections = append(p.selections, s)
	return &backup.CreateBackupSelectionOutput{BackupPlanId: aws.String(p.id), SelectionId: aws.String(s.id), CreationDate: aws.Time(s.created)}, nil
}

// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupSelections.html
func (b *backupState) listBackupSelections(r *Region, in *backup.ListBackupSelectionsInput) (*backup.ListBackupSelectionsOutput, error) {
	p, err := b.plan(aws.ToString(in.BackupPlanId), r)
	if err != nil {
		return nil, err
	}
	list := []backuptypes.BackupSelectionsListMember{}
	for _, s := range p.selections {
		list = append(list, backuptypes.BackupSelectionsListMember{
			BackupPlanId: aws.String(p.id), SelectionId: aws.String(s.id), SelectionName: aws.String(s.name),
			IamRoleArn: aws.String(s.iamRole), CreationDate: aws.Time(s.created),
		})
	}
	pg, next, err := page(list, in.MaxResults, in.NextToken, 1000, 1000, "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	return &backup.ListBackupSelectionsOutput{BackupSelectionsList: pg, NextToken: next}, nil
}

// knownResource is a resource the sim models that a selection can pick.
type knownResource struct {
	arn  string
	tags map[string]string
}

// knownResources lists the region's DynamoDB tables, RDS instances outside
// Aurora clusters, and Aurora clusters (whose members are backed up with
// the cluster).
func (b *backupState) knownResources(region string) []knownResource {
	var out []knownResource
	for _, k := range sortedKeys(b.s.ddb.tables) {
		if t := b.s.ddb.tables[k]; t.region == region {
			out = append(out, knownResource{t.arn, t.tags})
		}
	}
	for _, k := range sortedKeys(b.s.rds.instances) {
		if in := b.s.rds.instances[k]; in.region == region && in.clusterID == "" {
			out = append(out, knownResource{in.arn, in.tags})
		}
	}
	for _, k := range sortedKeys(b.s.rds.clusters) {
		if c := b.s.rds.clusters[k]; c.region == region {
			out = append(out, knownResource{c.arn, c.tags})
		}
	}
	return out
}

// selected resolves a plan's selections now: the resources matching any
// Resources pattern or any tag condition, minus NotResources. An ARN
// without wildcards is taken as is, so resources the sim does not model
// (S3 buckets, EFS file systems) can be selected too.
func (b *backupState) selected(p *backupPlan) []string {
	known := b.knownResources(p.region)
	set := map[string]bool{}
	for _, s := range p.selections {
		for _, pat := range s.resources {
			if !strings.Contains(pat, "*") {
				if arnRegion(pat) == p.region || arnRegion(pat) == "" {
					set[pat] = true
				}
				continue
			}
			for _, k := range known {
				if wildcardMatch(pat, k.arn) {
					set[k.arn] = true
				}
			}
		}
		for _, cond := range s.tags {
			for _, k := range known {
				if v, ok := k.tags[aws.ToString(cond.ConditionKey)]; ok && v == aws.ToString(cond.ConditionValue) {
					set[k.arn] = true
				}
			}
		}
		for arn := range set {
			if slices.ContainsFunc(s.notResources, func(pat string) bool { return wildcardMatch(pat, arn) }) {
				delete(set, arn)
			}
		}
	}
	out := make([]string, 0, len(set))
	for arn := range set {
		out = append(out, arn)
	}
	sort.Strings(out)
	return out
}

// runSchedule starts the jobs of every rule that is due. A run missed
// while the clock jumped is not made up, as AWS does not start a backlog.
func (b *backupState) runSchedule(p *backupPlan, now time.Time) {
	if !p.deleted.IsZero() {
		return
	}
	for _, rule := range p.rules {
		if rule.next.After(now) {
			continue
		}
		rule.next = rule.schedule.next(now)
		p.lastExecution = now
		iamRole := fmt.Sprintf("arn:aws:iam::%s:role/service-role/AWSBackupDefaultServiceRole", b.s.accountID)
		for _, s := range p.selections {
			if s.iamRole != "" {
				iamRole = s.iamRole
				break
			}
		}
		for _, arn := range b.selected(p) {
			b.newJob(jobSpec{
				region: p.region, vaultName: rule.vault, resourceArn: arn, iamRole: iamRole,
				lifecycle: rule.lifecycle, startWindow: rule.startWindow, completionWindow: rule.completionWindow,
				creator: p.creator(rule), planID: p.id, copyActions: rule.copyActions,
				continuous: rule.continuous && supportsContinuous(resourceTypeOf(arn)),
			})
		}
	}
}
