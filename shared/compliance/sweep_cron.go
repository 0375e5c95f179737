package compliance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AWS Backup schedules are six-field cron expressions in the rule's
// ScheduleExpressionTimezone (UTC by default):
// cron(Minutes Hours Day-of-month Month Day-of-week Year), one of
// day-of-month and day-of-week being "?". Days of the week run 1 (SUN) to
// 7 (SAT).
// https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html#backup-plan-cron
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html#eb-cron-expressions
//
// The sweep needs one number from a schedule: the longest time between two
// runs. It evaluates values, lists, ranges, names and increments in every
// field; L, W and # (last, nearest weekday, nth weekday) run at most
// weekly, so they are refused by name rather than guessed.

// DefaultBackupSchedule is what AWS Backup runs for a rule without a
// ScheduleExpression: daily at 05:00 UTC.
const DefaultBackupSchedule = "cron(0 5 ? * * *)"

// scheduleHorizon is how far ahead a schedule is evaluated: a year covers
// every monthly and yearly pattern.
const scheduleHorizon = 366 * 24 * time.Hour

type cronSchedule struct {
	minutes, hours []int
	dom            [32]bool // 1..31; unused when byWeekday
	months         [13]bool // 1..12
	dow            [7]bool  // time.Weekday; used when byWeekday
	byWeekday      bool
	years          map[int]bool // nil: every year
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
		"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(expr string) (cronSchedule, error) {
	var c cronSchedule
	body, ok := strings.CutPrefix(strings.TrimSpace(expr), "cron(")
	if !ok || !strings.HasSuffix(body, ")") {
		return c, fmt.Errorf("%q is not a cron(...) expression", expr)
	}
	f := strings.Fields(strings.TrimSuffix(body, ")"))
	if len(f) != 6 {
		return c, fmt.Errorf("%q has %d fields, a cron expression has 6", expr, len(f))
	}
	var err error
	if c.minutes, err = cronField(f[0], 0, 59, nil); err != nil {
		return c, fmt.Errorf("%q minutes: %w", expr, err)
	}
	if c.hours, err = cronField(f[1], 0, 23, nil); err != nil {
		return c, fmt.Errorf("%q hours: %w", expr, err)
	}
	months, err := cronField(f[3], 1, 12, monthNames)
	if err != nil {
		return c, fmt.Errorf("%q months: %w", expr, err)
	}
	for _, m := range months {
		c.months[m] = true
	}
	dom, dow := f[2], f[4]
	switch {
	case dom == "?" && dow == "?", dom != "?" && dow != "?":
		return c, fmt.Errorf("%q: exactly one of day-of-month and day-of-week must be ?", expr)
	case dom == "?":
		c.byWeekday = true
		days, err := cronField(strings.ToUpper(dow), 1, 7, dayNames)
		if err != nil {
			return c, fmt.Errorf("%q day-of-week: %w", expr, err)
		}
		for _, d := range days {
			c.dow[d-1] = true
		}
	default:
		days, err := cronField(dom, 1, 31, nil)
		if err != nil {
			return c, fmt.Errorf("%q day-of-month: %w", expr, err)
		}
		for _, d := range days {
			c.dom[d] = true
		}
	}
	if f[5] != "*" {
		years, err := cronField(f[5], 1970, 2199, nil)
		if err != nil {
			return c, fmt.Errorf("%q year: %w", expr, err)
		}
		c.years = map[int]bool{}
		for _, y := range years {
			c.years[y] = true
		}
	}
	return c, nil
}

// cronField parses a comma list of *, ?, a value, a-b, and any of those
// with /n, into the sorted values it names.
func cronField(field string, lo, hi int, names map[string]int) ([]int, error) {
	value := func(s string) (int, error) {
		if v, ok := names[strings.ToUpper(s)]; ok {
			return v, nil
		}
		v, err := strconv.Atoi(s)
		if err != nil && strings.ContainsAny(s, "LW#") {
			return 0, fmt.Errorf("%q: L, W and # are not evaluated by the sweep", s)
		}
		if err != nil || v < lo || v > hi {
			return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
		}
		return v, nil
	}
	var set [2200]bool
	for _, part := range strings.Split(field, ",") {
		base, stepText, stepped := strings.Cut(part, "/")
		step := 1
		if stepped {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad increment %q", part)
			}
			step = n
		}
		start, end := lo, hi
		switch {
		case base == "*" || base == "?":
		case strings.Contains(base, "-"):
			a, b, _ := strings.Cut(base, "-")
			var err error
			if start, err = value(a); err != nil {
				return nil, err
			}
			if end, err = value(b); err != nil {
				return nil, err
			}
			if start > end {
				return nil, fmt.Errorf("range %q runs backwards", base)
			}
		default:
			v, err := value(base)
			if err != nil {
				return nil, err
			}
			start = v
			if !stepped {
				end = v
			}
		}
		for v := start; v <= end; v += step {
			set[v] = true
		}
	}
	var out []int
	for v := lo; v <= hi; v++ {
		if set[v] {
			out = append(out, v)
		}
	}
	return out, nil
}

func (c cronSchedule) runsOn(day time.Time) bool {
	if c.years != nil && !c.years[day.Year()] {
		return false
	}
	if !c.months[int(day.Month())] {
		return false
	}
	if c.byWeekday {
		return c.dow[int(day.Weekday())]
	}
	return c.dom[day.Day()]
}

// ScheduleGap is the longest time between two consecutive runs of a backup
// rule's schedule in the year after from, in timezone (UTC when empty).
// runs is how many times it runs in that year; with fewer than two the gap
// is the whole year. An expression the sweep cannot evaluate is an error.
func ScheduleGap(expr, timezone string, from time.Time) (gap time.Duration, runs int, err error) {
	if expr == "" {
		expr = DefaultBackupSchedule
	}
	c, err := parseCron(expr)
	if err != nil {
		return 0, 0, err
	}
	loc := time.UTC
	if timezone != "" {
		if loc, err = time.LoadLocation(timezone); err != nil {
			return 0, 0, fmt.Errorf("timezone %q: %w", timezone, err)
		}
	}
	start := from.In(loc)
	end := start.Add(scheduleHorizon)
	var prev time.Time
	for d := 0; ; d++ {
		day := time.Date(start.Year(), start.Month(), start.Day()+d, 0, 0, 0, 0, loc)
		if day.After(end) {
			break
		}
		if !c.runsOn(day) {
			continue
		}
		for _, h := range c.hours {
			for _, m := range c.minutes {
				run := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc)
				if run.Before(start) || run.After(end) {
					continue
				}
				if runs > 0 {
					gap = max(gap, run.Sub(prev))
				}
				prev = run
				runs++
			}
		}
	}
	if runs < 2 {
		return scheduleHorizon, runs, nil
	}
	return gap, runs, nil
}
