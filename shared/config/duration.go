package config

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration written in JSON as a Go duration string
// ("15m", "24h", "90s").
//
// Unmarshalling never fails: a bad value is kept and reported by validation
// together with every other problem, instead of aborting the decode at the
// first one.
type Duration struct {
	time.Duration
	bad string // the raw JSON of a value that is not a duration
}

// Dur makes a Duration.
func Dur(d time.Duration) Duration { return Duration{Duration: d} }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		*d = Duration{bad: string(b)}
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		*d = Duration{bad: fmt.Sprintf("%q", s)}
		return nil
	}
	*d = Duration{Duration: v}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.Duration.String())
}

// problem says what is wrong with d, if anything.
func (d Duration) problem(mustBePositive bool) string {
	switch {
	case d.bad != "":
		return fmt.Sprintf("%s is not a duration (write it like \"15m\" or \"24h\")", d.bad)
	case d.Duration < 0:
		return fmt.Sprintf("%s is negative", d.Duration)
	case mustBePositive && d.Duration == 0:
		return "must be more than zero"
	}
	return ""
}
