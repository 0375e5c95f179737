// Package compliance decides whether AWS Backup protects what it should:
// Vault Lock on the vaults, retention and encryption of recovery points,
// cross-region copies that are configured and that land in locked vaults,
// and point-in-time recovery of DynamoDB tables, RDS instances, Aurora
// clusters and S3 buckets.
//
// It has three layers, each usable alone (the compliance sweep reuses the
// first two):
//
//   - Checks: pure functions from observed state (VaultState,
//     RecoveryPointState, PlanState, PITRState, JobState,
//     state.ExpectedCopy) and the policy to a notify.Finding with a stable
//     check ID (Checks lists them), the observed fields that decided it and
//     one concrete remediation line. WARN, FAIL, NOT_APPLICABLE and the
//     reasons are the checks' job, with nothing to mock.
//   - Observer: the read-only AWS calls that fill those states through the
//     real SDK clients, one client per service and region (a destination
//     vault is read in its own region), and the conversions from SDK
//     shapes (VaultFromListMember, PITRFromDBInstance, …) a sweep needs for
//     its list calls. A resource AWS says does not exist comes back with
//     NotFound set, never as an error.
//   - Processor: the backup-compliance function. Per AWS Backup event it
//     decodes, observes (four reads for a completed backup job, run at
//     once: vault, recovery point, plan, PITR; five for an S3 snapshot
//     job, whose bucket's continuous recovery point must be looked up),
//     evaluates, records or closes the expected cross-region
//     copy in the state table (the sweep fails it after its deadline), and
//     reports one message with every finding through notify. A plan
//     created or edited is checked at once (DR copy, frequency and
//     retention, the locks of its vaults), a deleted one by what its
//     recovery points say it protected; RDS-EVENT-0028/0032 (automated
//     backups off, on) re-check that database's PITR.
//   - Restore tests (restore.go, restore_processor.go): a restore job of an
//     AWS Backup restore testing plan that completed is validated with
//     read-only calls (ValidateRestore: a DynamoDB table ACTIVE and
//     readable with its items, an RDS instance or Aurora cluster
//     available, other types by the job's outcome), the verdict put to
//     AWS Backup (PutRestoreValidationResult), and the recovery time (job
//     created → completed) and point (recovery point made → job created)
//     judged against the policy's targets or the protected resource's
//     selfheal:rto / selfheal:rpo tags; each test is recorded once in the
//     state table, where the sweep's RESTORE_TESTED and the digest's
//     recovery times read it.
//
// Errors: the SDK retries what is retryable; what still fails is returned,
// so Lambda retries the event. A refusal (IsDenied: access denied, region
// not enabled) makes the checks that needed the answer ERROR, and the
// others are still evaluated. An event whose shape makes no sense is
// handler.Unprocessable (quarantined).
//
// Keys: findings about vaults are keyed by the vault ARN, about recovery
// points (retention, encryption, the DR copy) by the recovery point ARN,
// about plans (copy configured, deleted) by the plan ARN, and job
// failures, restore tests and PITR by the protected resource's ARN, so the
// next completed job or passed test resolves a failure.
//
// It does not write to AWS beyond its own state, its notifications and a
// restore test's validation result (not in dry-run), log
// (the handler boundary does), or decide what the policy is (config).
package compliance
