// Package simenv stands up a selfheal deployment inside a simulated
// account: the state table, the notification topic and the dead-letter
// queue the CDK app would create, and the configuration and function
// dependencies wired to them. Tests, benchmarks and the CLI's game days use
// it so that a function runs exactly as in Lambda, only on the sim.
//
// It does not seed workloads (groups, vaults, tables): scenarios and tests
// do that through the real SDK clients or the sim's controls.
package simenv
