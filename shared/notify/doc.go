// Package notify turns findings and actions into SNS notifications and
// decides which of them are worth sending.
//
// One handled event gives one [Message]. It is published with
// MessageStructure "json": the "email" protocol gets plain text a human
// understands in five seconds (headline, one line per failing check, what
// to do), every other protocol gets the versioned JSON document described
// in the README, and message attributes (severity, status, checks,
// resource_type, account, region, event_type, kind, dry_run) let
// subscribers filter.
//
// Findings are deduplicated through the state table: the same (check,
// resource, status) is not sent again within the dedupe window, and a
// failing check that passes again sends a "resolved" message. Actions are
// never deduplicated here: the callers' idempotency already makes each one
// happen once.
//
// It does not evaluate checks or plan actions; it only reports them.
package notify
