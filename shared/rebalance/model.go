package rebalance

import (
	"slices"
	"strings"
	"time"
)

// TagEvacuatedFrom is the group tag that mirrors the ledger for humans in
// the console: the AZs selfheal moved the group out of, comma-separated.
// The ledger in the state table is the truth; the tag only says it.
const TagEvacuatedFrom = "selfheal:evacuated-from"

// ProcessAZRebalance is the Auto Scaling process that evens instances out
// across AZs.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html
const ProcessAZRebalance = "AZRebalance"

// Group is an Auto Scaling group as observed.
type Group struct {
	Name string
	ARN  string
	Tags map[string]string
	// MinSize, MaxSize and DesiredCapacity as Auto Scaling reports them.
	MinSize, MaxSize, DesiredCapacity int32
	// Subnets are VPCZoneIdentifier's subnets in order. Their AZ is looked
	// up only when needed, and is "" when it was not.
	Subnets []Subnet
	// AZs are the AZs the group spans according to Auto Scaling, sorted.
	AZs                  []string
	Instances            []Instance
	AZRebalanceSuspended bool
	Refresh              RefreshStatus
	// ZonalShiftEnabled: the group is registered with ARC zonal shift
	// (AvailabilityZoneImpairmentPolicy.ZonalShiftEnabled), so an ARC
	// zonal shift moves it out of an AZ. ImpairedZoneHealthCheck is what
	// it does then with unhealthy instances there (ReplaceUnhealthy or
	// IgnoreUnhealthy).
	ZonalShiftEnabled       bool
	ImpairedZoneHealthCheck string
}

// Subnet is one of a group's subnets.
type Subnet struct {
	ID string
	AZ string
}

// Instance is one of a group's instances.
type Instance struct {
	ID        string
	AZ        string
	Lifecycle string // Auto Scaling's LifecycleState, e.g. "InService"
	Healthy   bool
}

// Live reports whether the instance is, or is about to be, capacity:
// anything not on its way out of the group.
// Instances in standby or a warm pool are not capacity.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html
func (i Instance) Live() bool {
	for _, gone := range []string{"Terminat", "Detach", "Warmed", "EnteringStandby", "Standby"} {
		if strings.HasPrefix(i.Lifecycle, gone) {
			return false
		}
	}
	return true
}

// InService reports whether the instance serves traffic now.
func (i Instance) InService() bool { return i.Lifecycle == "InService" }

// RefreshStatus says whether an instance refresh is running on a group.
type RefreshStatus string

// Refresh statuses. Unknown means nobody asked yet: the planner asks for it
// (Plan.NeedRefresh) only for groups it would change.
const (
	RefreshUnknown    RefreshStatus = ""
	RefreshNone       RefreshStatus = "none"
	RefreshInProgress RefreshStatus = "in-progress"
)

// SubnetIDs returns the group's subnet ids in order.
func (g Group) SubnetIDs() []string {
	ids := make([]string, len(g.Subnets))
	for i, s := range g.Subnets {
		ids[i] = s.ID
	}
	return ids
}

// subnetAZs returns the distinct AZs of the group's subnets, sorted, and
// whether every subnet's AZ is known.
func (g Group) subnetAZs() ([]string, bool) {
	var azs []string
	known := true
	for _, s := range g.Subnets {
		if s.AZ == "" {
			known = false
			continue
		}
		if !slices.Contains(azs, s.AZ) {
			azs = append(azs, s.AZ)
		}
	}
	slices.Sort(azs)
	return azs, known
}

// liveIn counts the live instances in the given AZs.
func (g Group) liveIn(azs []string) int {
	n := 0
	for _, in := range g.Instances {
		if in.Live() && slices.Contains(azs, in.AZ) {
			n++
		}
	}
	return n
}

// inServiceByAZ counts in-service instances per AZ over azs (zero entries
// included).
func (g Group) inServiceByAZ(azs []string) map[string]int {
	counts := make(map[string]int, len(azs))
	for _, az := range azs {
		counts[az] = 0
	}
	for _, in := range g.Instances {
		if _, ok := counts[in.AZ]; ok && in.InService() {
			counts[in.AZ]++
		}
	}
	return counts
}

// Source is where an AZ-health signal comes from.
type Source string

// Signal sources.
const (
	SourceHealth         Source = "health"
	SourceAlarm          Source = "alarm"
	SourceLaunchFailures Source = "launchfail"
	SourceAutoshift      Source = "autoshift"
	// SourceSchedule is no signal at all: a periodic re-evaluation that
	// restores what signals have released (an alarm's OK period ending).
	SourceSchedule Source = "schedule"
	// SourceZonalShift is no signal either: a zonal shift someone started,
	// changed or ended (ARC's manual shift, practice run and FIS events),
	// after which the evacuations are looked at again.
	SourceZonalShift Source = "zonalshift"
)

// Effect is what a signal says about its AZs.
type Effect string

// Signal effects.
const (
	EffectImpair  Effect = "impair"
	EffectRecover Effect = "recover"
	EffectNone    Effect = "none"
)

// Signal is one event's verdict on the health of some AZs.
type Signal struct {
	// Key identifies the signal across events: its open and close share it.
	// It is "<source>#<id>", e.g. "health#arn:aws:health:…",
	// "alarm#arn:aws:cloudwatch:…", "launchfail#us-east-1#us-east-1a",
	// "autoshift#use1-az1".
	Key    string
	Source Source
	Effect Effect
	// AZs are the impaired AZ names (for an impair); for a recovery, those
	// the signal held impaired.
	AZs []string
	// At is the source's time of this state (an alarm's state timestamp,
	// a Health event's last update), used to order late deliveries.
	At time.Time
	// Title says in a few words what the signal is, for humans.
	Title   string
	EventID string
	// Repeat: an earlier event already reported this impairment of these
	// AZs (a Health update, a further launch failure). Its skips were
	// notified then and are only logged now.
	Repeat bool
}

// SignalKey builds a signal key.
func SignalKey(src Source, id string) string { return string(src) + "#" + id }

// sourceOf returns the source a signal key belongs to.
func sourceOf(key string) Source {
	src, _, _ := strings.Cut(key, "#")
	return Source(src)
}
