package scenario

import (
	"encoding/json"
	"time"

	"github.com/selfheal/selfheal/shared/config"
)

// Scenario is one parsed, validated game day.
type Scenario struct {
	// Name is the file's base name without ".json" unless the file says.
	Name        string
	Description string
	// Region is where selfheal is deployed and where state without a
	// region of its own lives. Default us-east-1.
	Region string
	// Seed of the sim's randomness; 0 when the file does not set one.
	Seed uint64
	// Policy is the defaults with the file's overrides applied, validated
	// by shared/config; PolicyJSON is the overrides as written.
	Policy     config.Policy
	PolicyJSON json.RawMessage
	State      State
	// Accounts are the member accounts of an organization whose hub is
	// the scenario's account: selfheal is deployed in the organization
	// shape (org-sweep in place of compliance-sweep, member roles, the
	// members' events forwarded to the hub). None for a single account.
	Accounts []Account
	Timeline []Step // in the order they run (stable by At)
	// Duration is how long the run lasts from the timeline's zero: the
	// file's "duration", else the last step plus DefaultTail.
	Duration time.Duration
	Expect   Expect
}

// DefaultRegion is where a scenario deploys selfheal unless it says.
const DefaultRegion = "us-east-1"

// DefaultHubAccount is the id of the scenario's own account, the
// organization's hub when the scenario has accounts (the simulated
// account's default id).
const DefaultHubAccount = "123456789012"

// DefaultTail is how long a run goes on after its last step when the file
// gives no duration: enough for replacements to launch and a copy to land.
const DefaultTail = 30 * time.Minute

// MaxDuration bounds a run, so that a typo ("240h") cannot make a game day
// run for minutes of wall time.
const MaxDuration = 7 * 24 * time.Hour

// State is the account before the timeline starts.
type State struct {
	// Regions of the simulated account (default us-east-1, us-west-2,
	// eu-west-1); it always includes the scenario's region.
	Regions []string
	// AZCount is the number of AZs of each region (1–6, default 3).
	AZCount int
	// SupportPlan decides whether the AWS Health API answers (default
	// BUSINESS; BASIC and DEVELOPER get SubscriptionRequiredException).
	SupportPlan string

	Groups      []Group
	Vaults      []Vault
	Tables      []Table
	DBInstances []DBInstance
	DBClusters  []DBCluster
	Plans       []Plan
	Alarms      []Alarm
	// RestoreTestingPlans test restores of the plans' backups (restore.go).
	RestoreTestingPlans []RestoreTestingPlan
}

// Account is a member account of the organization.
type Account struct {
	Path string // e.g. "accounts[1]"
	ID   string // 12 digits
	Name string
	// MemberRole says the member role (selfheal-member) exists; false is a
	// member whose role was deleted: selfheal cannot act in it.
	MemberRole bool
	State      State
}

// Group is an EC2 Auto Scaling group with one subnet per listed AZ.
type Group struct {
	Name, Region           string
	Min, Max, Desired      int
	AZs                    []string // its subnets' AZs, in VPCZoneIdentifier order
	Tags                   map[string]string
	HealthCheckGracePeriod time.Duration
	SuspendedProcesses     []string
	// ZonalShift enrols the group in ARC zonal shift with this
	// ImpairedZoneHealthCheckBehavior (ReplaceUnhealthy, IgnoreUnhealthy);
	// "" leaves it out.
	ZonalShift string
}

// Vault is an AWS Backup vault, locked when Lock is set.
type Vault struct {
	Name, Region string
	Lock         *VaultLock
}

// VaultLock is a Vault Lock configuration. ChangeableForDays 0 is
// governance mode; 3 or more is compliance mode after that grace time.
type VaultLock struct {
	MinRetentionDays, MaxRetentionDays, ChangeableForDays int
	// LockedDaysAgo is how long before the game day the lock was set: a
	// compliance-mode lock older than its ChangeableForDays is immutable.
	LockedDaysAgo int
}

// Table is a DynamoDB table.
type Table struct {
	Name, Region string
	PITR         bool
	// RecoveryPeriodDays of PITR (1–35); 0 leaves DynamoDB's default (35).
	RecoveryPeriodDays int
	Tags               map[string]string
	// Items written to the table when it is created; SizeGiB of data it
	// holds besides them (its backups', and their restores', size).
	Items, SizeGiB int
}

// DBInstance is an RDS DB instance.
type DBInstance struct {
	ID, Region, Engine  string
	BackupRetentionDays int
	Tags                map[string]string
}

// DBCluster is an Aurora DB cluster.
type DBCluster struct {
	ID, Region, Engine  string
	BackupRetentionDays int
	Tags                map[string]string
}

// Plan is an AWS Backup plan and the resources it selects.
type Plan struct {
	Name, Region string
	Rules        []Rule
	// Selected resources, by the names given in State, or by ARN (ARNs may
	// use * wildcards, as backup selections do).
	Tables, DBInstances, DBClusters, ARNs []string
}

// Rule is one backup rule of a plan.
type Rule struct {
	Name string
	// Vault is the name of a vault in the plan's region.
	Vault string
	// Schedule is an AWS Backup cron expression; empty is AWS's default
	// (daily at 05:00 UTC).
	Schedule        string
	DeleteAfterDays int
	Continuous      bool
	Copies          []Copy
}

// Copy is a rule's copy action into another vault.
type Copy struct {
	Vault, Region   string
	DeleteAfterDays int
}

// Alarm is a CloudWatch metric alarm, watching one AZ when AZ is set (as an
// AvailabilityZone dimension).
type Alarm struct {
	Name, Region, AZ string
	Tags             map[string]string
}

// Step is one thing that happens at a moment of the timeline.
type Step struct {
	At time.Duration
	// Path is where the step is in the file, e.g. "timeline[3]".
	Path string
	// Account the step acts in: a member's id, "" for the hub's own.
	Account string
	Action  Action
}

// Action is one of the step types below.
type Action interface{ action() }

// ImpairAZ makes an AZ fail (instances fail status checks, launches fail)
// without any Health event: what only alarms and launch failures reveal.
type ImpairAZ struct{ Region, AZ string }

// RecoverAZ ends an impairment.
type RecoverAZ struct{ Region, AZ string }

// RaiseHealthIssue opens an AWS Health operational issue of Service in an
// AZ (impairing it) and emits its AWS Health Event. ID names it for
// CloseHealthIssue.
type RaiseHealthIssue struct{ ID, Region, AZ, Service string }

// CloseHealthIssue closes the issue raised with ID; the AZ recovers.
type CloseHealthIssue struct{ ID string }

// SetAlarm changes an alarm's state (ALARM, OK, INSUFFICIENT_DATA).
type SetAlarm struct{ Name, Region, State, Reason string }

// Resource names one resource of State, or any resource when empty.
type Resource struct {
	Kind string // "table", "dbInstance", "dbCluster", "arn" or "" (any)
	Name string // name, id or ARN
	// Region of a named resource (the scenario's by default).
	Region string
}

// FailBackupJob makes the next Count backup jobs of a resource end as
// Outcome (FAILED, ABORTED or EXPIRED).
type FailBackupJob struct {
	Resource Resource
	Outcome  string
	Message  string
	Count    int
}

// FailCopy makes the next Count copies of a resource into a vault fail
// (FAIL), wait Delay longer (DELAY) or never start (NEVER_START).
type FailCopy struct {
	Resource Resource
	// Vault and VaultRegion name the destination vault; empty Vault
	// matches any destination.
	Vault, VaultRegion string
	Mode               string
	Delay              time.Duration
	Message            string
	Count              int
}

// StallPITR freezes (or, with Stalled false, resumes) a DynamoDB table's
// point-in-time recovery.
type StallPITR struct {
	Table, Region string
	Stalled       bool
}

// StallLogShipping freezes (or resumes) an RDS instance's or Aurora
// cluster's transaction log upload.
type StallLogShipping struct {
	ID, Region string
	Stalled    bool
}

// StartInstanceRefresh starts an instance refresh on a group.
type StartInstanceRefresh struct{ Group, Region string }

// EndInstanceRefresh ends a group's refresh with Status (Successful,
// Failed, Cancelled).
type EndInstanceRefresh struct{ Group, Region, Status string }

// ZonalShiftStep is what a person (or ARC, or AWS FIS) does with the zonal
// shifts of an enrolled group: Op is "start" (a customer-initiated shift
// away from AZ for ExpiresIn, with Comment), "update" (the group's active
// customer-initiated shift, whoever started it: a new expiry from now
// and/or comment), "cancel" it, "practiceRun" (30 minutes away from AZ) or
// "fis" (an FIS experiment's shift away from AZ for ExpiresIn).
type ZonalShiftStep struct {
	Op, Group, Region, AZ, Comment string
	ExpiresIn                      time.Duration
}

// Event puts an EventBridge event on the bus: inline, or read from a file
// or the catalogue of samples.
type Event struct {
	JSON []byte
	// Origin is "inline" or the file the event came from.
	Origin string
	// To delivers the event to one function directly (an async invoke),
	// bypassing the rules; empty routes it by the patterns.
	To string
	// StampTime sets the event's "time" to the sim clock at delivery.
	StampTime bool
}

// RunSchedule fires a scheduled function's schedule: the function gets an
// aws.events "Scheduled Event".
type RunSchedule struct{ Function string }

func (ImpairAZ) action()             {}
func (RecoverAZ) action()            {}
func (RaiseHealthIssue) action()     {}
func (CloseHealthIssue) action()     {}
func (SetAlarm) action()             {}
func (FailBackupJob) action()        {}
func (FailCopy) action()             {}
func (StallPITR) action()            {}
func (StallLogShipping) action()     {}
func (StartInstanceRefresh) action() {}
func (EndInstanceRefresh) action()   {}
func (Event) action()                {}
func (ZonalShiftStep) action()       {}
func (RunSchedule) action()          {}

// Expect is what must hold for the game day to pass.
type Expect struct {
	Groups        []GroupExpect
	Findings      []FindingExpect
	Notifications *NotificationsExpect
	// NoWrites: no successful write call to the account other than
	// selfheal's own state table, topic and queue (what dry-run promises).
	NoWrites bool
	// DeadLetters is how many messages the dead-letter queue must hold at
	// the end; nil does not check.
	DeadLetters *int
	// NoErrors: no invocation ended in an error (before retries).
	NoErrors bool
	// RestoreTests check the validation results put to AWS Backup.
	RestoreTests []RestoreTestExpect
}

// GroupExpect checks a group, at the end of the run or at At.
type GroupExpect struct {
	Path    string // e.g. "expect.groups[1]"
	Account string // a member's id, "" for the hub's own
	Name    string
	Region  string
	// At checks the state at that offset instead of the end.
	At *time.Duration
	// MinInService: InService and healthy instances never fewer than this
	// at any tick of the run.
	MinInService *int
	// AZCounts: InService instances per AZ.
	AZCounts map[string]int
	// AZs: the AZs of the group's subnets, in order.
	AZs []string
	// OriginalSubnets: the subnets are exactly those it was created with.
	OriginalSubnets *bool
	MaxSize         *int
	MaxSizeAtLeast  *int
	MinSize         *int
	Desired         *int
}

// FindingExpect checks the findings selfheal notified.
type FindingExpect struct {
	Path string
	// Account the finding is about; "" matches any.
	Account string
	Check   string
	Status  string // "" matches any
	// Resource is a glob (* any run, ? one character) on the ARN.
	Resource string
	// Notified, when set, is how many notifications must carry a matching
	// finding.
	Notified *int
	// Absent: no notified finding matches.
	Absent bool
}

// NotificationsExpect checks the messages published to the topic.
type NotificationsExpect struct {
	Path                   string
	Count, AtLeast, AtMost *int
	// Subjects are regular expressions: each must match some subject.
	Subjects []string
	// NoSubject are regular expressions no subject may match.
	NoSubject []string
}
