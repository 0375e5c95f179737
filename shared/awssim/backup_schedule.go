package awssim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// backupSchedule is a backup rule's cron schedule. AWS Backup schedules are
// six-field cron expressions, cron(Minutes Hours Day-of-month Month
// Day-of-week Year), e.g. cron(0 5 ? * * *), run at least an hour apart.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html#backup-plan-cron
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html#eb-cron-expressions
//
// The sim runs the part of that language backup plans use: one minute;
// hours as values, ranges, lists, * or increments (0/4, */6); days of the
// week as * ? or values, names and ranges; and * or ? elsewhere. Anything
// else (days of the month, months, years, L W #) is refused by name
// rather than run wrong.
type backupSchedule struct {
	minute int
	hours  []int          // sorted
	days   map[int]bool   // time.Weekday; nil means every day
	loc    *time.Location // ScheduleExpressionTimezone, UTC by default
}

// defaultBackupSchedule is what a rule without ScheduleExpression runs:
// daily at 05:00 UTC, the AWS Backup default.
const defaultBackupSchedule = "cron(0 5 ? * * *)"

func parseBackupSchedule(expr, timezone string) (*backupSchedule, error) {
	bad := func(format string, args ...any) error {
		return backupErrInvalidParam("Invalid ScheduleExpression %q: %s", expr, fmt.Sprintf(format, args...))
	}
	body, ok := strings.CutPrefix(strings.TrimSpace(expr), "cron(")
	if !ok || !strings.HasSuffix(body, ")") {
		return nil, bad("AWS Backup schedules are cron(...) expressions")
	}
	f := strings.Fields(strings.TrimSuffix(body, ")"))
	if len(f) != 6 {
		return nil, bad("a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	sched := &backupSchedule{loc: time.UTC}
	if timezone != "" {
		loc, err := time.LoadLocation(timezone)
		if err != nil {
			return nil, backupErrInvalidParam("Invalid ScheduleExpressionTimezone %q", timezone)
		}
		sched.loc = loc
	}
	minute, err := strconv.Atoi(f[0])
	if err != nil || minute < 0 || minute > 59 {
		// More than one minute an hour would run more often than hourly.
		return nil, bad("minutes must be one value from 0 to 59 (backups run at most hourly), got %q", f[0])
	}
	sched.minute = minute
	if sched.hours, err = parseCronField(f[1], 0, 23, nil); err != nil {
		return nil, bad("hours: %v", err)
	}
	dom, month, dow, year := f[2], f[3], f[4], f[5]
	if (dom == "?") == (dow == "?") {
		return nil, bad("exactly one of day-of-month and day-of-week must be ?")
	}
	if dom != "?" && dom != "*" {
		return nil, bad("the simulated account does not model day-of-month values (%q)", dom)
	}
	if month != "*" {
		return nil, bad("the simulated account does not model month values (%q)", month)
	}
	if year != "*" {
		return nil, bad("the simulated account does not model year values (%q)", year)
	}
	if dow != "?" && dow != "*" {
		// In AWS cron, 1 is Sunday and 7 Saturday.
		names := map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
		days, err := parseCronField(strings.ToUpper(dow), 1, 7, names)
		if err != nil {
			return nil, bad("day-of-week: %v", err)
		}
		sched.days = map[int]bool{}
		for _, d := range days {
			sched.days[d-1] = true
		}
	}
	return sched, nil
}

// parseCronField parses a comma list of value, a-b, *, */n and a/n.
func parseCronField(field string, lo, hi int, names map[string]int) ([]int, error) {
	value := func(s string) (int, error) {
		if v, ok := names[s]; ok {
			return v, nil
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < lo || v > hi {
			return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
		}
		return v, nil
	}
	set := map[int]bool{}
	for _, part := range strings.Split(field, ",") {
		start, end, step := lo, hi, 1
		base, stepStr, hasStep := strings.Cut(part, "/")
		if hasStep {
			s, err := strconv.Atoi(stepStr)
			if err != nil || s < 1 {
				return nil, fmt.Errorf("bad increment %q", part)
			}
			step = s
		}
		switch {
		case base == "*":
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
			if strings.ContainsAny(base, "LW#?") {
				return nil, fmt.Errorf("the simulated account does not model %q", base)
			}
			v, err := value(base)
			if err != nil {
				return nil, err
			}
			start = v
			if !hasStep {
				end = v
			}
		}
		for v := start; v <= end; v += step {
			set[v] = true
		}
	}
	out := make([]int, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// next is the first run strictly after t.
func (s *backupSchedule) next(t time.Time) time.Time {
	local := t.In(s.loc)
	for d := 0; d <= 8; d++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, s.loc)
		if s.days != nil && !s.days[int(day.Weekday())] {
			continue
		}
		for _, h := range s.hours {
			run := time.Date(day.Year(), day.Month(), day.Day(), h, s.minute, 0, 0, s.loc)
			if run.After(t) {
				return run.UTC()
			}
		}
	}
	// Unreachable for a parsed schedule: some day of any week matches.
	return t.Add(7 * 24 * time.Hour)
}
