package orgtasks

import (
	"time"

	"github.com/selfheal/selfheal/shared/notify"
)

// Item is one account-region the run sweeps: an item of the Distributed
// Map, as the list task returns it.
type Item struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

// Left is an account-region, account or organizational unit the run does
// not sweep, and why.
type Left struct {
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	Reason  string `json:"reason"`
}

// scope is what the list task put in a run (record "scope"): the items it
// sweeps, what it skips on purpose (accounts not ACTIVE) and what it
// should have swept and cannot (an account or OU of the configuration not
// in the organization, items beyond one run's payload).
type scope struct {
	// DuplicateOf is the run that owns the scheduled event when this one
	// was started by another delivery of it: it sweeps nothing.
	DuplicateOf string    `json:"duplicateOf,omitempty"`
	Items       []Item    `json:"items"`
	Skipped     []Left    `json:"skipped,omitempty"`
	Missing     []Left    `json:"missing,omitempty"`
	Listed      time.Time `json:"listed"`
}

// Coverage of one account-region in a run.
const (
	CoverageSwept        = "SWEPT"
	CoverageIncomplete   = "INCOMPLETE"    // swept, with gaps its digest names
	CoverageNotAssumable = "NOT_ASSUMABLE" // the member role cannot be assumed
	CoverageFailed       = "FAILED"        // the sweep failed after its retries
	CoverageNoResult     = "NO_RESULT"     // no sweep reported (the map stopped first)
)

// result is what one account-region's sweep recorded (record
// "result#<account>#<region>"): the part of its digest the organization
// digest is made of, bounded so that a record stays small.
type result struct {
	Item
	Coverage string                           `json:"coverage"`
	Reason   string                           `json:"reason,omitempty"`
	Counts   map[string]map[notify.Status]int `json:"counts,omitempty"`
	Covered  []string                         `json:"covered,omitempty"`
	// NotCovered are its own digest's gaps.
	NotCovered []string         `json:"notCovered,omitempty"`
	New        []notify.Finding `json:"new,omitempty"`
	NewCount   int              `json:"newCount,omitempty"`
	Worst      []notify.Finding `json:"worst,omitempty"`
	Resolved   []notify.Finding `json:"resolved,omitempty"`
	Findings   int              `json:"findings"`
	Failing    int              `json:"failing"`
	Started    time.Time        `json:"started"`
	Took       time.Duration    `json:"took"`
}

// How much of a sweep's digest its result keeps: the organization digest
// lists at most notify.MaxDigestOpen new findings and 20 worst ones, so a
// few from each account-region is what it can use.
const (
	resultNew      = 20
	resultWorst    = 5
	resultResolved = 10
)

const (
	recordScope     = "scope"
	recordResult    = "result#"
	recordAggregate = "aggregate"
)

func resultName(it Item) string { return recordResult + it.Account + "#" + it.Region }
