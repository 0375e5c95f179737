package notify_test

import (
	"testing"
	"time"

	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

func TestDecide(t *testing.T) {
	window := 24 * time.Hour
	now := at
	notified := func(st notify.Status, ago time.Duration) state.CheckState {
		return state.CheckState{Status: string(st), Since: now.Add(-48 * time.Hour), NotifiedAt: now.Add(-ago)}
	}
	recorded := func(st notify.Status) state.CheckState {
		return state.CheckState{Status: string(st), Since: now.Add(-48 * time.Hour)}
	}
	tests := []struct {
		name       string
		prev       state.CheckState
		known      bool
		cur        notify.Status
		notifyPass bool
		want       notify.Verdict
	}{
		{"first FAIL", state.CheckState{}, false, notify.StatusFail, false, notify.Send},
		{"first WARN", state.CheckState{}, false, notify.StatusWarn, false, notify.Send},
		{"first PASS", state.CheckState{}, false, notify.StatusPass, false, notify.Record},
		{"first PASS, notifyPass", state.CheckState{}, false, notify.StatusPass, true, notify.Send},
		{"same FAIL within window", notified(notify.StatusFail, time.Hour), true, notify.StatusFail, false, notify.Suppress},
		{"same FAIL exactly at window", notified(notify.StatusFail, window), true, notify.StatusFail, false, notify.Send},
		{"same FAIL after window: reminder", notified(notify.StatusFail, 25*time.Hour), true, notify.StatusFail, false, notify.Send},
		{"FAIL never notified (publish failed)", recorded(notify.StatusFail), true, notify.StatusFail, false, notify.Send},
		{"WARN turns FAIL", notified(notify.StatusWarn, time.Hour), true, notify.StatusFail, false, notify.Send},
		{"FAIL turns WARN", notified(notify.StatusFail, time.Hour), true, notify.StatusWarn, false, notify.Send},
		{"FAIL turns PASS", notified(notify.StatusFail, time.Hour), true, notify.StatusPass, false, notify.Resolve},
		{"WARN turns NOT_APPLICABLE", notified(notify.StatusWarn, time.Hour), true, notify.StatusNotApplicable, false, notify.Resolve},
		{"FAIL never notified turns PASS", recorded(notify.StatusFail), true, notify.StatusPass, false, notify.Record},
		{"PASS stays PASS", recorded(notify.StatusPass), true, notify.StatusPass, false, notify.Record},
		{"PASS stays PASS, notifyPass, sent recently", notified(notify.StatusPass, time.Hour), true, notify.StatusPass, true, notify.Record},
		{"ERROR is news", notified(notify.StatusPass, time.Hour), true, notify.StatusError, false, notify.Send},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notify.Decide(tt.prev, tt.known, tt.cur, now, window, tt.notifyPass); got != tt.want {
				t.Errorf("Decide = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestNextKeepsSinceAndNotifiedAt(t *testing.T) {
	prev := state.CheckState{Status: "FAIL", Since: at.Add(-time.Hour), NotifiedAt: at.Add(-time.Hour)}
	got := notify.Next(prev, true, notify.Finding{Status: notify.StatusFail}, notify.Suppress, at)
	if !got.Since.Equal(prev.Since) || !got.NotifiedAt.Equal(prev.NotifiedAt) {
		t.Errorf("suppressed repeat changed the record: %+v", got)
	}
	got = notify.Next(prev, true, notify.Finding{Status: notify.StatusPass}, notify.Resolve, at)
	if got.Status != "PASS" || !got.Since.Equal(at) || !got.NotifiedAt.Equal(at) {
		t.Errorf("resolved record %+v", got)
	}
}
