// Package sweep is the compliance-sweep function: a scheduled, account-wide
// audit that finds what no single event can show — a cross-region copy that
// never started, a table nobody backs up, an Auto Scaling group set up to
// lose capacity — and reports it with a digest.
//
// One run, per region in the configuration (each with its own clients):
//
//   - overdue copies: expected cross-region copies past their deadline in
//     the state table are marked overdue (a conditional write, so each is
//     reported once) and FAIL CROSS_REGION_COPY_COMPLETED;
//   - vaults and recovery points: the vault-lock checks on every vault,
//     retention and encryption on every recovery point;
//   - plans: BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION and
//     CROSS_REGION_COPY_CONFIGURED;
//   - protected resources: LAST_RECOVERY_POINT_CREATED within the policy's
//     interval plus slack, and RESTORE_TESTED: a passed restore test within
//     recovery.maxUntested of now, or of the first evidence of the
//     resource's protection (its oldest recovery point, or the mark an
//     earlier run left in the state table: a short retention must not make
//     an untested resource look new);
//   - PITR of every DynamoDB table, RDS instance and Aurora cluster in
//     scope, backed up by AWS Backup or not;
//   - Auto Scaling posture of every group.
//
// The checks are shared/compliance's pure functions, the same the event
// path runs; this package only reads and reports. Reads are list calls that
// carry what the checks need (ListBackupVaults carries the lock,
// ListRecoveryPointsByBackupVault the lifecycle and encryption,
// DescribeAutoScalingGroups the posture, DescribeDBInstances the
// retention); only plans and DynamoDB PITR cost one call per item, as no
// list carries them. Every list is paginated; calls in flight are bounded
// per service and region by the policy's Sweep.Concurrency.
//
// Findings go through notify's dedupe, the event path's, so a person gets
// a message when something turns bad or good, not every hour: one Report
// per region and resource type, in chunks of 500 resources with problems
// first (one message of new problems per type in all but mass failures),
// chunks reported up to Sweep.Concurrency at once since the dedupe reads
// and writes the state table once per resource. Then one digest per run:
// counts per check and status, the worst resources, what was resolved,
// what the run covered, and how restore tests went per resource type over
// 30 days (tests, failures, median and longest recovery time).
//
// A run that cannot read everything — the Lambda deadline near (the audit
// stops at three quarters of the time left, notifying at the end of it
// less 20 s kept for the digest, both measured on the function's clock),
// throttling beyond retries (reads get 10 attempts), a region that denies
// access, a bug met on one item — still reports what it read, and its
// digest is marked incomplete and names every gap: never a silent partial
// "all clear". Only a digest that cannot be published is an error (Lambda
// retries the run).
//
// It does not write to AWS beyond its own state and notifications, log
// (the handler boundary does), or judge anything itself (compliance does).
package sweep
