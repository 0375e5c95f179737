// Package state is selfheal's memory: one DynamoDB table per regional
// deployment, reached through the real DynamoDB client.
//
// Key design (partition key pk, sort key sk, both strings; TTL attribute
// expiresAt in epoch seconds):
//
//	pk                               sk                 what
//	event#<function>#<event id>      claim              idempotency claim of one event
//	event#<function>#<event id>      quarantine         the event was queued as malformed or foreign
//	finding#<resource>               status             check states of a resource (dedupe, "resolved", open failures)
//	open#<0-7>                       <resource>         its open failures: the index digests read
//	copy                             <recovery point>   expected cross-region copy and its deadline
//	restore                          <time>#<job id>    a restore test: outcome, RTO, RPO, targets (restores.go;
//	                                                    TTL 400 days); time is when it ended, so the sweep reads a window
//	protected                        <resource>         since when a resource is known to be protected (restores.go)
//	evac#<group>                     <az>               rebalancer ledger: original config of an evacuation,
//	                                                    or the ARC zonal shift it started (zonalshift.go)
//	signal#<source key>              state              AZ signal state (alarm hysteresis)
//	launchfail#<region>#<az>         <event id>         launch failures counted as evidence (TTL = window)
//	breaker                          evac#<time>#<id>   evacuations in the breaker window (TTL = window)
//	breaker                          state              breaker open/closed
//	outbox#<event id>                <time>             a message not yet sent, for the event's retry
//	orgrun#<run>                     scope | result#<account>#<region> | aggregate
//	                                                    an organization sweep run's records (orgrun.go)
//
// In an organization, a member account's ledger, signals, launch-failure
// evidence, breaker, expected copies, findings and open-failures index take
// the prefix "account#<account id>#" before their pk (Store.ForAccount);
// the hub's own keep the keys above, so a single-account deployment that
// becomes a hub keeps its records. Claims and the outbox stay the hub's.
//
// Every write that guards against doing something twice is a conditional
// write; the table is the only place two invocations meet. A resource's
// states and its entry in the open-failures index change in one
// TransactWriteItems, so the index never says more or less than the states.
//
// # Delivery guarantee
//
// EventBridge delivers an event at least once, Lambda retries a failed
// asynchronous invocation twice (with the same request id), and any
// attempt may die. The claims make that exactly-once processing, and a
// handled event never reaches the dead-letter queue:
//
//   - a claim names its holder (the request id) and holds until the
//     invocation's deadline; Lambda's retry of the holder takes it over at
//     once (the attempt it retries has ended), and anyone may take it once
//     the deadline has passed (the holder cannot be running any more);
//   - a function with one execution at a time (the rebalancer) takes over
//     any claim in progress (TakeOver): its holder has ended;
//   - another delivery finding the event held waits, polling with jittered
//     pauses for at most half its own time, until it is done (a no-op),
//     released (a failed holder gives it back at once) or lapsed (taken
//     over); only a hold that outlasts that wait is returned as a retryable
//     error, and as a hold never outlasts its holder's deadline, Lambda's
//     retries (1 and 3 minutes later, each waiting again) always find it
//     done or lapsed;
//   - the done-mark has the store's own retry budget (persistAttempts
//     tries, each with the SDK's retries); if even that fails, the work is done and the
//     invocation succeeds: the hold lapses at the deadline, and the
//     duplicates and retries waiting for it take the event over, do the
//     work again — which the processors make a no-op (ledger, dedupe,
//     outbox; a sweep sends its digest again) — and mark it. So it takes
//     every delivery's done-mark failing, each through its whole budget,
//     for a delivery to exhaust its retries behind the others' holds;
//     internal/reliability loses the first delivery's mark of every event
//     and sees no dead letter;
//   - quarantining is claimed too (sk "quarantine"), so a malformed or
//     foreign event is queued once per event id, however often it is
//     delivered; one with no readable id is queued at each delivery.
//
// The findings that a published message reported are saved with the same
// budget: a message is published before its findings are remembered (a
// message is never lost for a remembered state), so a lost save means the
// next sweep or delivery sends it again; the budget makes that a fault of
// persistAttempts × the SDK's attempts in a row.
//
// What reaches the dead-letter queue is then only what could not be
// handled: quarantined events, and events whose processing kept failing
// through every retry.
//
// It does not decide anything: callers say what to record, and state says
// what was there before.
package state
