// Package orgsweep is the organization sweep's Step Functions state
// machine: one definition, built here, that the CDK app deploys and the
// game day executes, so the two cannot drift.
//
// The machine, started by the sweep schedule with the scheduled event as
// its input; the run id is the execution's name:
//
//	ListAccounts   task "list": the organization's active member accounts
//	               in scope × the regions, one item each (retried; if it
//	               still fails, ListFailed passes its error to Aggregate)
//	SweepAccounts  Distributed Map over the items (MaxConcurrency, a
//	               tolerated failure percentage): a child execution per
//	               account-region running task "sweep" (15 minutes at most,
//	               retried once); a child that still fails records its
//	               error (task "failed") and then fails, so the map counts
//	               it. Details go to the state table, not the map's
//	               output, so the payload stays small at any size; a map
//	               that fails (too many failures) still goes on to
//	Aggregate      task "aggregate": the organization digest, from the run's
//	               records, naming every account-region not covered and why
//
// The tasks are Lambda invocations (arn:aws:states:::lambda:invoke) of the
// functions named in Tasks; their payloads:
//
//	list:      {"task":"list","run":"…","event":<the scheduled event>}
//	           → {"run":"…","items":[{"account":"…","region":"…"}, …]}
//	sweep:     {"task":"sweep","run":"…","account":"…","region":"…"}
//	           → a small summary
//	failed:    {"task":"failed","run":"…","account":"…","region":"…","error":{"Error":"…","Cause":"…"}}
//	aggregate: {"task":"aggregate","run":"…","listError":null|{…},"mapError":null|{"Error":"…","Cause":"…"}}
//
// Only the items ride in the execution's payload (about 50 bytes each):
// Step Functions' 256 KiB limit bounds one run to about 5,000
// account-regions, a bound the list task must keep (see PayloadLimit).
//
// [Execute] runs a definition with the States Language's semantics for
// what this one uses (Task, Pass, Fail, Distributed Map; paths and payload
// templates; Retry with backoff and jitter, Catch, TimeoutSeconds,
// tolerated failures, the payload limit) on a [Runtime]: a Lambda invoker
// and a clock. The game day gives it the simulated account's clock and the
// real function handler. It refuses any definition it cannot run
// faithfully. It runs a Map's children one at a time and places them on
// MaxConcurrency slots in time, so a run replays exactly and the map's
// duration is what the concurrency gives.
//
// It does not call AWS: the tasks' functions do.
package orgsweep
