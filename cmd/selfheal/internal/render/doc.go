// Package render writes game-day reports and single invocations for
// people: a timeline, capacity per AZ as a small text chart, a compliance
// summary table and the expectations. It only formats; the JSON document
// of --json is the gameday.Report itself.
package render
