// Package orgtasks is the org-sweep function: the tasks of the
// organization sweep's state machine (shared/orgsweep), deployed in a hub
// account and invoked synchronously by Step Functions, one task per
// invocation (payloads in orgsweep's doc).
//
//   - list: the accounts in scope — the hub's own, and the members under
//     the configured OUs (nested OUs included, as the StackSet deploys
//     there) and listed by id — read from AWS Organizations (the hub is
//     the management account or a delegated administrator). ACTIVE ones
//     are swept in each region covered here; suspended or closing ones
//     are named as skipped; a configured account or OU the organization
//     does not have is named missing, as are items beyond what one run's
//     256 KiB payload carries. The scope is recorded in the state table.
//   - sweep: one account-region, by the compliance sweep itself
//     (shared/sweep), acting in a member through its member role (the
//     hub's own account with the function's role): findings go through
//     the dedupe as any sweep's; the digest becomes a small record for the
//     aggregate. A member whose role cannot be assumed is recorded
//     NOT_ASSUMABLE (no retry helps) and its MEMBER_ROLE_ASSUMABLE finding
//     reported through the dedupe: once, not at every run.
//   - failed: the child's Catch records a sweep that failed after its
//     retries, with its error.
//   - aggregate: the organization digest from the run's records: counts
//     per check, each account-region with its counts, failing checks and
//     open failures, every failure open in the organization, and every
//     account-region not covered and why. It is never "all clear" while
//     anything is not covered; a run's digest is sent once.
//
// Each invocation logs one line and writes one EMF record. Errors are
// returned for Step Functions to retry or catch.
//
// It does not decide compliance (shared/compliance does) nor run the
// state machine (Step Functions, or orgsweep.Execute in game days).
package orgtasks
