// Package state is selfheal's memory: one DynamoDB table per regional
// deployment, reached through the real DynamoDB client.
//
// Key design (partition key pk, sort key sk, both strings; TTL attribute
// expiresAt in epoch seconds):
//
//	pk                               sk                 what
//	event#<function>#<event id>      claim              idempotency claim of one event
//	finding#<check>#<resource>       status             last notified status (dedupe, "resolved")
//	copy                             <recovery point>   expected cross-region copy and its deadline
//	evac#<group>                     <az>               rebalancer ledger: original config of an evacuation,
//	                                                    or the ARC zonal shift it started (zonalshift.go)
//	signal#<source key>              state              AZ signal state (alarm hysteresis)
//	launchfail#<region>#<az>         <event id>         launch failures counted as evidence (TTL = window)
//	breaker                          evac#<time>#<id>   evacuations in the breaker window (TTL = window)
//	breaker                          state              breaker open/closed
//	outbox#<event id>                <time>             a message not yet sent, for the event's retry
//
// Every write that guards against doing something twice is a conditional
// write; the table is the only place two invocations meet.
//
// It does not decide anything: callers say what to record, and state says
// what was there before.
package state
