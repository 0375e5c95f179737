// Package reliability is selfheal's reliability suite: tests, run by
// `make test`, that replay the shipped game days and the functions' real
// handler boundaries under the failures production brings, and check what
// a user relies on when things go wrong.
//
//   - Faults: every scenario of cmd/selfheal/scenarios again, with 5 %
//     server errors and 30 % throttling on every call attempt of every
//     service: the same findings, the same final state, and no notification
//     lost — one that could not be published ends in the dead-letter queue
//     with its event, never nowhere. Compared with the fault-free run of
//     the same seed.
//   - Duplicates: every event delivered three times, interleaved with the
//     others, as EventBridge's at-least-once delivery may: one action, one
//     notification, the same story.
//   - Crash: the rebalancer's process dies after each write of an
//     evacuation and of a restore (the ledger, each group update, each tag,
//     the notification, the claim), and the event comes again: the same
//     final state as an uninterrupted run, no Auto Scaling write twice, no
//     action notification lost.
//   - Bad input: malformed events (truncated JSON, wrong types, huge
//     arrays, missing detail, unknown detail-type, another account or
//     region, the payload a CloudWatch alarm sends straight to Lambda)
//     against each function's real boundary: quarantined with a reason or
//     ignored as a no-op, never a panic, never a write to the account.
//
// Scenarios are played by the game-day runner (cmd/selfheal/gameday), the
// same one `selfheal simulate` uses; nothing here re-implements it.
//
// What runs elsewhere and belongs to the same proof: the rebalancer's
// planner property test (shared/rebalance TestPlannerInvariants, 5,000
// random accounts) and the fuzz targets of the event decoders and the
// pattern matcher (shared/eventbridge FuzzDecode and FuzzMatch; `make test`
// fuzzes each for a few seconds, `make fuzz FUZZTIME=5m` for longer).
// BENCHMARKS.md has the figures of the last long run.
//
// The package has no non-test code and is never imported.
package reliability
