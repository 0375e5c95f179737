// Command infra is the CDK app that deploys selfheal: one CloudFormation
// stack per configured region (selfheal-<region>), so events are caught in
// the region where they happen.
//
// Each stack holds the three functions (code from bin/<name>/bootstrap, built
// by `make build`), one EventBridge rule per pattern in events/patterns (the
// file name's part before "--" names the target function), the sweep's
// schedule, a KMS-encrypted SNS topic with the users' e-mail subscriptions, a
// dead-letter / quarantine queue, the DynamoDB state table, and alarms on
// function errors, throttles, lost failures and the queue.
//
// Every user setting is one cdk.json context key, "selfheal" (see
// README-deploy.md); the policy part is validated by shared/config, the same
// code the functions run. What each function may do in AWS is data in
// access.go; memory, timeouts and retries are in functions.go.
//
// With an "organization" in the context the same app deploys an AWS
// Organization from its hub account (organization.go, members.go): each
// regional stack also holds the bus selfheal-hub, which admits only the
// organization, the catalogue's rules on it, and the organization sweep (a
// Step Functions state machine whose definition is shared/orgsweep's, run
// by org-sweep); the stack selfheal-organization holds service-managed
// CloudFormation StackSets that give every member account the role
// selfheal-member (its grants derived from access.go) and, in every member
// region, rules forwarding the catalogue's events to the hub bus. Without it,
// the templates are exactly the single-account ones (testdata).
//
// It does not build the functions, call AWS, or decide anything at run time.
package main
