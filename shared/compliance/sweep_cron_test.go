package compliance_test

import (
	"testing"
	"time"

	"github.com/selfheal/selfheal/shared/compliance"
)

// A Wednesday, far from any DST change in either hemisphere's spring.
var swFrom = time.Date(2026, 6, 3, 12, 0, 0, 0, time.UTC)

// The longest time between two backups is what a plan promises about data
// loss; it must be read from the cron expression as AWS Backup runs it.
func TestScheduleGap(t *testing.T) {
	tests := []struct {
		name, expr, tz string
		want           time.Duration
	}{
		{"daily", "cron(0 5 ? * * *)", "", 24 * time.Hour},
		{"default when empty", "", "", 24 * time.Hour},
		{"twice a day by increment", "cron(0 0/12 ? * * *)", "", 12 * time.Hour},
		{"hourly", "cron(15 * ? * * *)", "", time.Hour},
		{"hour list with uneven gaps", "cron(0 1,7,19 ? * * *)", "", 12 * time.Hour},
		{"weekly by name", "cron(0 5 ? * SUN *)", "", 7 * 24 * time.Hour},
		{"names with W and L in them are names", "cron(0 5 ? JUN,JUL WED *)", "", 308 * 24 * time.Hour}, // Jul 29 → Jun 2
		{"weekdays: the weekend is the gap", "cron(0 5 ? * MON-FRI *)", "", 72 * time.Hour},
		{"weekdays by number (2-6 is MON-FRI)", "cron(30 22 ? * 2-6 *)", "", 72 * time.Hour},
		{"monthly: the longest month", "cron(0 5 1 * ? *)", "", 31 * 24 * time.Hour},
		{"every day of the month is daily", "cron(0 5 * * ? *)", "", 24 * time.Hour},
		{"some months only", "cron(0 5 ? JAN,JUL * *)", "", 154 * 24 * time.Hour}, // Jul 31 → Jan 1
		{"daylight saving in the rule's timezone stretches a day to 25h", "cron(0 1 ? * * *)", "America/New_York", 25 * time.Hour},
		{"a year in the past never runs again", "cron(0 5 ? * * 2020)", "", 366 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := compliance.ScheduleGap(tt.expr, tt.tz, swFrom)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ScheduleGap(%q, %q) = %s, want %s", tt.expr, tt.tz, got, tt.want)
			}
		})
	}
}

// Expressions the sweep cannot evaluate are refused, never guessed.
func TestScheduleGapRefuses(t *testing.T) {
	for _, expr := range []string{
		"rate(1 day)",            // AWS Backup takes cron only
		"cron(0 5 * * *)",        // five fields
		"cron(0 5 ? * ? *)",      // both days ?
		"cron(0 5 1 * MON *)",    // neither day ?
		"cron(0 5 L * ? *)",      // last day of the month
		"cron(0 5 ? * 6#3 *)",    // third Friday
		"cron(0 5 15W * ? *)",    // nearest weekday
		"cron(0 24 ? * * *)",     // no hour 24
		"cron(0 5 ? * FUNDAY *)", // no such day
		"cron(0 7-3 ? * * *)",    // backwards range
		"cron(0 0/0 ? * * *)",    // zero increment
	} {
		if gap, _, err := compliance.ScheduleGap(expr, "", swFrom); err == nil {
			t.Errorf("ScheduleGap(%q) = %s, want an error", expr, gap)
		}
	}
	if _, _, err := compliance.ScheduleGap("cron(0 5 ? * * *)", "Mars/Olympus_Mons", swFrom); err == nil {
		t.Error("an unknown timezone was accepted")
	}
}
