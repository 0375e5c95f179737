package main

import "time"

// function is how one Lambda under functions/<name> is deployed. The code is
// bin/<name>/bootstrap, built by `make build` (provided.al2023, arm64).
type function struct {
	name        string
	description string
	// memoryMB also sets the CPU share: Lambda allocates CPU in proportion
	// to memory (one full vCPU at 1,769 MB).
	// https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
	memoryMB int
	timeout  time.Duration
	// reservedConcurrency caps concurrent runs; 0 leaves the function on the
	// account's unreserved pool.
	reservedConcurrency int
	// retries and maxEventAge govern asynchronous invocation: after the
	// retries, or once an event is older than maxEventAge, Lambda sends it
	// to the dead-letter queue. EventBridge gets the same age for its own
	// delivery retries.
	// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
	retries     int
	maxEventAge time.Duration
	// schedule, when set, also runs the function on an EventBridge schedule
	// expression, besides the patterns of events/patterns/<name>--*.json;
	// fromContext means the sweepSchedule setting.
	schedule string
	// shape is the deployment shape the function belongs to.
	shape shape
	// synchronous functions are invoked by Step Functions, which waits for
	// the answer and retries by its own definition: they get no
	// asynchronous invocation config, and retries and maxEventAge do not
	// apply.
	synchronous bool
}

// shape says in which deployments a function is deployed.
type shape int

const (
	// everyShape: a single account and the hub of an organization.
	everyShape shape = iota
	// singleAccount only: the organization's state machine takes over.
	singleAccount
	// organization hubs only.
	organization
)

// deployed is the functions a deployment with these settings runs, in
// deployment order.
func deployed(s settings) []function {
	var out []function
	for _, f := range functions {
		if f.shape == everyShape || (f.shape == organization) == (s.Organization != nil) {
			out = append(out, f)
		}
	}
	return out
}

// fromContext is the schedule of the function whose schedule users set.
const fromContext = "context:sweepSchedule"

// scheduleOf is the schedule expression a function runs on, if any.
func (f function) scheduleOf(s settings) string {
	if f.schedule == fromContext {
		return s.SweepSchedule
	}
	return f.schedule
}

// functions is every function the stack deploys, in deployment order.
var functions = []function{
	{
		name:        "asg-rebalancer",
		description: "selfheal: moves opted-in Auto Scaling capacity out of an impaired AZ and back",
		// A Go binary handling one event needs ~40 MB; 256 MB buys CPU for
		// a fast cold start, which is what delays a remediation.
		memoryMB: 256,
		// One event reads every group (paginated) and writes at most
		// rebalance.maxGroupsPerEvent of them, each write retried by the
		// SDK under throttling. Two minutes covers a slow, throttled run
		// without holding the single concurrency slot for long.
		timeout: 2 * time.Minute,
		// One at a time: two remediations must never race on the same group.
		reservedConcurrency: 1,
		retries:             2,
		// An AZ signal older than an hour goes to the queue for a human
		// instead of being acted on late.
		maxEventAge: time.Hour,
		// What no event announces: an alarm that has held OK for the
		// recovery hysteresis (CloudWatch sends nothing more once it is OK)
		// and a circuit breaker whose window has passed. Every five
		// minutes bounds how late a restore comes after the hysteresis.
		schedule: "rate(5 minutes)",
	},
	{
		name:        "backup-compliance",
		description: "selfheal: checks Vault Lock, cross-region copies and PITR on every AWS Backup event",
		// ~5 AWS calls per event and small responses: 256 MB is plenty and
		// keeps cold starts short.
		memoryMB: 256,
		// ≤ 5 calls plus one cross-region vault lookup, each retried by the
		// SDK: a minute leaves ample headroom.
		timeout: time.Minute,
		retries: 2,
		// A compliance finding is still worth having hours late.
		maxEventAge: 6 * time.Hour,
	},
	{
		name:        "compliance-sweep",
		description: "selfheal: scheduled account-wide backup, PITR and Auto Scaling posture audit",
		// It holds a region's inventory (10,000 recovery points, 1,000
		// groups, 500 tables) in memory and decodes large paginated
		// responses with bounded concurrency: 1,024 MB gives the memory and
		// ~0.6 vCPU for JSON decoding.
		memoryMB: 1024,
		// The Lambda maximum: a large account must finish, and a run cut
		// short reports what it did not cover.
		timeout: 15 * time.Minute,
		retries: 1,
		// The next scheduled run supersedes a stale one.
		maxEventAge: time.Hour,
		schedule:    fromContext,
		// In an organization the state machine sweeps every account and
		// region, each child with org-sweep, the same sweep code.
		shape: singleAccount,
	},
	{
		name:        "org-sweep",
		description: "selfheal: the organization sweep's tasks: list the accounts in scope, sweep one account and region, write the digest",
		// A child sweeps one member account and region, as compliance-sweep
		// sweeps one: the same inventory in memory, the same memory.
		memoryMB: 1024,
		// The Lambda maximum, as for compliance-sweep: one child is one
		// account-region of today's sweep.
		timeout:     15 * time.Minute,
		shape:       organization,
		synchronous: true,
	},
}
