// Package rebalance is the asg-rebalancer: when an Availability Zone goes
// bad it moves the capacity of opted-in EC2 Auto Scaling groups out of it,
// keeps the groups full while it does, and puts everything back exactly as
// it was when the AZ recovers. It writes to production groups unattended,
// so every decision is made to fail safe.
//
// # Signals
//
// Each event becomes a [Signal] with a key shared by its start and end:
//
//   - AWS Health "issue" events of the policy's services: open and upcoming
//     impair, closed recovers. The AZ comes from the event's
//     availabilityZone, else the affected instances (from the groups'
//     instance lists, then EC2 DescribeInstances), else the Health API's
//     availabilityZone (DescribeEvents; an account without Business support
//     gets SubscriptionRequiredException, handled as "unresolved").
//   - CloudWatch alarms marked as AZ signals (tag rebalance.alarmTagKey, or
//     rebalance.alarmNamePrefix): ALARM impairs, OK recovers once it has
//     held for rebalance.recoveryHysteresis. The AZ is the alarm's single
//     AvailabilityZone dimension, else its rebalance.alarmAZTagKey tag (a
//     name or an id).
//   - Auto Scaling launch failures for want of capacity
//     (InsufficientInstanceCapacity and the like), counted per AZ in the
//     state table; past rebalance.launchFailureThreshold within
//     rebalance.launchFailureWindow they impair the AZ until the window and
//     the hysteresis have passed since the last one.
//   - ARC zonal autoshifts: in progress impairs, completed recovers. awayFrom
//     is an AZ id, mapped to this account's name with EC2
//     DescribeAvailabilityZones (names and ids differ per account).
//
// ARC's other events — manual shifts, practice runs, FIS experiment shifts,
// started, updated or ended — are no signals (a practice run tests an AZ
// that is fine, and selfheal's own shifts send them too): each makes the
// rebalancer look at every evacuation again, as the schedule does.
//
// An AZ that cannot be told for sure is reported (AZ_UNRESOLVED) and nothing
// else happens: the rebalancer never guesses. Signal states are kept with
// the source's timestamp, so an event delivered late cannot undo a newer
// one.
//
// # Planning
//
// [Build] is a pure function of the observed groups, the signal, the
// ledger, the states of the signals holding evacuations, the breaker and
// the policy. For each group in scope (opt-in tag, and no exclude tag) it
// plans an evacuation — the AZ's subnets out of VPCZoneIdentifier, MaxSize
// raised to desired + the instances that move when it has no room (the
// seed's "max = desired" mistake) — or says why not: one AZ only, fewer
// than minHealthyAZs healthy AZs left, more than maxEvacuatedAZs out at
// once, an instance refresh running, already evacuated, maxGroupsPerEvent
// reached, the breaker open. A restore happens when no signal holding the
// evacuation is active any more: it puts back exactly the subnets taken,
// MaxSize as it was (if nobody changed it since, and never below the
// desired capacity), and resumes AZRebalance so the group evens out (or,
// if its owner had suspended it before, does what rebalance.imbalanceAction
// says). Groups out of scope are never changed, only reported. The property
// test checks these promises over thousands of random accounts.
//
// # Zonal shifts
//
// A group enrolled in ARC zonal shift (AvailabilityZoneImpairmentPolicy.
// ZonalShiftEnabled, and rebalance.zonalShift.enabled) is evacuated the
// native way: a ZONAL_SHIFT, an ARC StartZonalShift of the group away from
// the AZ's id for rebalance.zonalShift.expiresIn, recorded in the same
// ledger, counted by the same breaker, planned under the same limits (plus
// ARC's: one shift per group). Selfheal changes no setting of the group:
// the group launches nothing more in the AZ, and its own
// ImpairedZoneHealthCheckBehavior says whether the AZ's unhealthy
// instances are replaced elsewhere. While a signal holds it, the shift is
// extended (UpdateZonalShift) once less than half of its time is left; the
// restore cancels it. If selfheal stops, the shift ends by itself.
// ListManagedResources, one call, tells every enrolled group's active
// shifts. Shifts of others are respected: no restore (of either kind) goes
// into an AZ a person's shift, a practice run, an FIS experiment or an
// autoshift holds for the group — said once (the ledger remembers), done
// when it ends; no shift is started over a person's shift or experiment;
// a shift of selfheal's whose comment someone changed is theirs, never
// extended nor cancelled by selfheal.
//
// # Executing
//
// The ledger record (original configuration, the event, the signals
// holding it) and the breaker count are written with conditional writes
// before the group is changed; then the group; then its zonal shift (whose
// id goes on the record as soon as ARC answers, and whose comment names the
// event, so a retry after a crash in between recognizes it); then the
// selfheal:evacuated-from tag that mirrors the ledger for humans; a
// restore clears its record last. Every write is made only where the group
// differs from the plan, so a run that crashed anywhere is finished by the
// retry without doing anything twice. In dry-run ([config.Policy].DryRun)
// nothing is written to Auto Scaling, the ledger or the breaker; the plan
// is reported as PLANNED. Signal states and launch-failure evidence are
// still recorded: they are observations, and they make a dry run decide as
// a real one would.
//
// # Circuit breaker
//
// More than rebalance.breaker.maxEvacuations evacuations within
// rebalance.breaker.window open the breaker: the evacuation that would
// exceed it is not made, one CRITICAL notification goes out, and no Auto
// Scaling write at all is made — evacuation, restore or resume — until it
// closes. It closes by itself one window after it opened (announced once),
// or by a human: delete the item with pk "breaker" and sk "state" from the
// state table, for example
//
//	aws dynamodb delete-item --table-name <table> \
//	    --key '{"pk":{"S":"breaker"},"sk":{"S":"state"}}'
//
// Evacuations recorded before a close do not count afterwards.
//
// # Delayed recoveries
//
// An alarm that turns OK is recorded with the time it did; the restore
// waits until it has stayed OK for the hysteresis, and an ALARM in between
// cancels it (no restore, no second evacuation). Every invocation looks at
// every evacuation of the groups in scope, so any later event restores what
// has been released. Because CloudWatch sends nothing while an alarm stays
// OK, production also invokes the function from a schedule (an EventBridge
// rule at rate(5 minutes) delivering "Scheduled Event"s, one of [Kinds]),
// which does the same with no signal of its own: a restore comes at most
// one period after the hysteresis ends.
//
// Every action, skip, restore and breaker change is published through
// shared/notify as one "remediation" message per event. A signal that only
// repeats what an earlier event of it said (a Health update, one more
// launch failure) has its skips logged, not notified again.
//
// It does not decide which groups are opted in (the tags do), nor enforce
// that in IAM: the CDK app allows the Auto Scaling writes only on groups
// carrying the opt-in tag, and this package never asks for others.
package rebalance
