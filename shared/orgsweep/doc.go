// Package orgsweep is the organization sweep's Step Functions state
// machine: one definition, built here, that the CDK app deploys and the
// game day executes, so the two cannot drift.
//
// The machine, started by the sweep schedule with the scheduled event as
// its input:
//
//	ListAccounts  task "list": the organization's active member accounts
//	              in scope × the regions, one item each
//	Prepare       keeps the run and the items, and an empty mapError
//	SweepAccounts Distributed Map over the items (MaxConcurrency, a
//	              tolerated failure percentage): a child execution per
//	              account-region running task "sweep" (15 minutes at most,
//	              retried), whose detail goes to the state table, not the
//	              map's output, so the payload stays small at any size
//	Aggregate     task "aggregate": the organization digest, from the
//	              items and what the children recorded; a failed map still
//	              ends here (its error in mapError), so a digest always
//	              goes out and names what was not covered
//
// The tasks are Lambda invocations (arn:aws:states:::lambda:invoke) of the
// functions named in Tasks; their payloads:
//
//	list:      {"task":"list","event":<the scheduled event>}
//	           → {"run":"<run id>","items":[{"account":"…","region":"…"}, …]}
//	sweep:     {"task":"sweep","run":"…","account":"…","region":"…"}
//	           → {"account":"…","region":"…","status":"…"} (small)
//	aggregate: {"task":"aggregate","run":"…","items":[…],"mapError":null|{"Error":"…","Cause":"…"}}
//
// It does not run anything itself.
package orgsweep
