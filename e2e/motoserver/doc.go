// Package motoserver runs moto_server (moto, a Python implementation of AWS
// APIs nobody on this project wrote) for the end-to-end suite, behind a
// small reverse proxy that
//
//   - counts every AWS call that crosses the wire, by caller (the access
//     key id each caller signs with), service (the SigV4 credential scope)
//     and operation, so the suite can say what really went over HTTP;
//   - answers the few operations selfheal calls and moto lacks, from
//     fixtures documented as moto's gaps (Fixtures), and forwards
//     everything else untouched.
//
// It starts moto on a free port of 127.0.0.1, as the account the Lambda
// Runtime Interface Emulator names in every function ARN, and stops only
// the processes it started. moto_server missing is an error saying how to
// install it: the suite fails, it never skips.
//
// It is test infrastructure: nothing in the product imports it, and no
// fixture here changes what selfheal does against AWS.
package motoserver
