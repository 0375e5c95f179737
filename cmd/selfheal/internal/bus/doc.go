// Package bus is the game day's local EventBridge bus: it routes an event
// to the functions whose rules match it, by the deployed patterns of
// events/patterns compiled once with the same matcher the tests use, and
// holds the retry schedule of Lambda's asynchronous invocation.
//
// It does not invoke anything (package gameday does) and it models one
// region's default bus: events from other regions match no rule here,
// as EventBridge rules are regional.
package bus
