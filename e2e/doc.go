// Package e2e is selfheal's end-to-end suite on moto: `make e2e` runs it
// (go test -tags e2e ./e2e), never `make test`.
//
// It proves selfheal against an AWS implementation nobody on the project
// wrote, over real HTTP. It starts moto_server on a free port of 127.0.0.1
// (motoserver, behind a proxy that counts every call and answers the
// operations moto lacks from fixtures documented as moto's gaps), then:
//
//   - deploys: `cdk bootstrap` and `cdk deploy` with the pinned CDK CLI,
//     and reads the stack back through the SDK: functions, rules and their
//     patterns (== events/patterns), targets and dead-letter configs,
//     table, topic and queue, against the repository and the template;
//   - runs the real binaries: each functions/<name> built for the host and
//     run under the pinned Lambda Runtime Interface Emulator
//     (internal/lambdarie) with the environment the deployed function got
//     plus AWS_ENDPOINT_URL, invoked with events over the Runtime API;
//   - differs: the EventBridge pattern matcher (shared/eventbridge)
//     against moto's TestEventPattern, and shared/state's tests against
//     moto's DynamoDB as well as the simulated account.
//
// A summary (resources deployed, invocations, AWS calls over HTTP, matcher
// cases and disagreements with their resolutions) is printed at the end.
//
// moto_server missing fails the suite with how to install it. Nothing
// leaves 127.0.0.1; no credential of the caller's is passed to anything.
//
// It does not replace the unit tests on the simulated account
// (shared/awssim), which model what moto lacks (AWS Health, Backup jobs
// and recovery points, ARC zonal shift) and run in make test.
package e2e
