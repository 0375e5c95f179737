// Package awssim is a simulated AWS account that plugs in under the real
// AWS SDK for Go v2 clients.
//
// [Sim.Config] returns an aws.Config whose APIOptions route every call into
// the simulation: an Initialize-step middleware keeps the typed input and a
// Deserialize-step middleware answers with the typed output, or a typed
// smithy error, instead of sending HTTP. Everything above stays real: input
// validation, paginators, waiters, the retryer and signing. Code under test
// builds ordinary clients (autoscaling.NewFromConfig(cfg)) and cannot tell
// the sim from AWS, so no mock of our own code paths is ever written.
//
// The sim models behaviour, not canned answers: Auto Scaling groups launch
// into the AZ with the fewest instances and skip impaired ones, Vault Lock
// becomes immutable after its grace time, point-in-time recovery lags the
// clock, copy jobs complete or fail and emit the EventBridge events AWS
// would, backup plans edited or deleted say so, restore testing plans
// restore recovery points into tables and databases that validation reads
// and AWS Backup deletes after it (restores take longer the larger the
// backup), RDS says when automated backups are turned off or on, ARC zonal
// shifts expire, give way to one another by ARC's
// precedence, and keep the groups they hold from launching in the
// shifted-away AZ. Where AWS documents a rule, the code that models it
// cites the page.
//
// It has a controllable clock ([Sim.Advance] reconciles every service on
// each tick), seeded randomness (same seed, same run), fault injection and
// rate limits per service and operation, and a log of every call attempt.
// For organizations too large to hold at once (the scale benchmark's 100
// members × 3 regions), a member's workload can be built on a Sim of its
// own and linked in when needed ([Sim.ReplaceMember]), a table's items
// dropped ([Sim.DropDynamoDBItems]), and calls observed instead of kept
// ([WithCallObserver]).
//
// What it is not: an emulator of whole services. It models exactly the
// operations and behaviours selfheal depends on; any other operation fails
// loudly with an error naming the service and operation, never an empty
// success. It never opens a network connection.
package awssim
