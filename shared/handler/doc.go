// Package handler is the boundary every selfheal Lambda shares: it takes
// the raw event Lambda delivers and runs it one way through decode →
// claim → process → finish, logging exactly one line and writing one set of
// EMF metrics per invocation.
//
// No event is ever silently dropped:
//   - an unknown {source, detail-type} is a logged no-op;
//   - a malformed event, one from another account or region, or one a
//     processor declares permanently unprocessable is quarantined: sent to
//     the dead-letter queue with the reason as message attributes, and the
//     handler returns nil (retrying cannot help);
//   - any other error is returned, so Lambda retries the event and, after
//     its retries, sends it to the same queue as its on-failure destination;
//   - a redelivered event that was handled to the end is a no-op (the
//     claim in the state table); one still in progress elsewhere is waited
//     for, within half the invocation's time, and taken over if its holder
//     lets go or its hold lapses (see shared/state for the guarantee);
//   - a quarantined event is queued once per event id, however often it
//     is delivered.
//
// In a hub deployment of an organization (config.Organization), the
// boundary also takes the member accounts' events: it hands each to a
// processor acting in the event's account through the member role
// (Members, built per account with Deps.ForAccount and kept), reports once
// a member it cannot act in (finding MEMBER_ROLE_ASSUMABLE) and
// quarantines that member's events with the reason.
//
// It never panics on input, and recovers a processor's panic into a
// returned error rather than crashing the runtime.
//
// It does not know what events mean: processors (rebalance, compliance,
// sweep) do.
package handler
