// Package config is the typed configuration every selfheal function and the
// CDK app share: the user's policy (opt-in tag, dry-run, rebalancing limits,
// vault-lock, cross-region and PITR policy, notification settings) and the
// few plain settings a deployment wires in (topic, table, queue, regions).
//
// The policy travels as one JSON document in SELFHEAL_POLICY; omitted keys
// take the documented defaults of [DefaultPolicy]. [Load] and [ParsePolicy]
// validate everything and report every problem in one error, so a user fixes
// a bad deployment in one round trip. Unknown JSON keys are errors: a typo in
// a safety setting must never be silently ignored.
//
// It does not read files, call AWS, or decide anything: it only says what the
// user asked for.
package config
