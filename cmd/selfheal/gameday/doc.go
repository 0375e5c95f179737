// Package gameday runs a scenario on the simulated AWS account: it builds
// the account and a selfheal deployment on it (shared/awssim/simenv), seeds
// the scenario's state through the real SDK clients and the sim's
// controls, then plays the timeline. Between steps the sim clock advances
// tick by tick; at every tick the events the account emitted are routed by
// the deployed rules (events/patterns) to the real function handlers, in
// process, with Lambda's asynchronous semantics: a returned error is
// retried twice (one, then two minutes later) and then lands in the
// dead-letter queue as Lambda's failure record, never nowhere.
//
// Run returns a Report: the timeline of controls and invocations (each
// with the boundary's own decision line), every action and finding
// notified, capacity per AZ over time, the final state, AWS call counts,
// and the scenario's expectations checked. The reliability suite calls Run
// with Options (fault injection, duplicate delivery) to replay every
// scenario under stress.
//
// A scenario with accounts plays an AWS Organization: the account is its
// hub (the hub's functions: org-sweep in place of compliance-sweep), each
// member a simulated account of its own with its member role, the members'
// events delivered to the hub's bus with their own account. The
// organization sweep's schedule starts its state machine, which the game
// day runs with orgsweep.Execute on the definition the CDK app deploys,
// each task a synchronous invocation of org-sweep.
//
// Functions is the table of deployable functions; adding a function is one
// entry. What reaches a function is its rules in events/patterns
// (<function>--*.json) and, for a function that handles aws.events
// "Scheduled Event", its schedule firing (the scenario's "schedules" or a
// runSchedule step).
//
// It does not render anything for people (internal/render does) and never
// touches a real AWS account.
package gameday
