package eventbridge_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/selfheal/selfheal/events"
	eb "github.com/selfheal/selfheal/shared/eventbridge"
)

// detailTypes is the detail type each kind decodes to.
var detailTypes = map[eb.Kind]reflect.Type{
	eb.KindHealth:             reflect.TypeFor[*eb.HealthEvent](),
	eb.KindAlarmStateChange:   reflect.TypeFor[*eb.AlarmStateChange](),
	eb.KindBackupJob:          reflect.TypeFor[*eb.BackupJobStateChange](),
	eb.KindCopyJob:            reflect.TypeFor[*eb.CopyJobStateChange](),
	eb.KindRecoveryPoint:      reflect.TypeFor[*eb.RecoveryPointStateChange](),
	eb.KindBackupVault:        reflect.TypeFor[*eb.BackupVaultStateChange](),
	eb.KindBackupPlan:         reflect.TypeFor[*eb.BackupPlanStateChange](),
	eb.KindRestoreJob:         reflect.TypeFor[*eb.RestoreJobStateChange](),
	eb.KindRDSInstance:        reflect.TypeFor[*eb.RDSInstanceEvent](),
	eb.KindLaunchUnsuccessful: reflect.TypeFor[*eb.LaunchUnsuccessful](),
	eb.KindAutoshiftStarted:   reflect.TypeFor[*eb.AutoshiftEvent](),
	eb.KindAutoshiftCompleted: reflect.TypeFor[*eb.AutoshiftEvent](),
	eb.KindScheduled:          reflect.TypeFor[*eb.ScheduledEvent](),

	eb.KindManualShiftStarted:     reflect.TypeFor[*eb.ManualShiftEvent](),
	eb.KindManualShiftUpdated:     reflect.TypeFor[*eb.ManualShiftEvent](),
	eb.KindManualShiftCanceled:    reflect.TypeFor[*eb.ManualShiftEvent](),
	eb.KindPracticeRunStarted:     reflect.TypeFor[*eb.PracticeRunEvent](),
	eb.KindPracticeRunSucceeded:   reflect.TypeFor[*eb.PracticeRunEvent](),
	eb.KindPracticeRunFailed:      reflect.TypeFor[*eb.PracticeRunEvent](),
	eb.KindPracticeRunInterrupted: reflect.TypeFor[*eb.PracticeRunEvent](),
	eb.KindFISAutoshiftStarted:    reflect.TypeFor[*eb.FISAutoshiftEvent](),
	eb.KindFISAutoshiftCompleted:  reflect.TypeFor[*eb.FISAutoshiftEvent](),
	eb.KindFISAutoshiftCanceled:   reflect.TypeFor[*eb.FISAutoshiftEvent](),
}

func seedSamples(f *testing.F) []events.SampleEvent {
	f.Helper()
	samples, err := events.Samples()
	if err != nil {
		f.Fatal(err)
	}
	return samples
}

// FuzzDecode: whatever the bytes, Decode does not panic, and it either
// succeeds with the detail type of the event's kind or fails with exactly
// one of the two error kinds.
func FuzzDecode(f *testing.F) {
	for _, s := range seedSamples(f) {
		f.Add(s.JSON)
	}
	if direct, err := os.ReadFile("testdata/cloudwatch-alarm-lambda-action.json"); err == nil {
		f.Add(direct)
	}
	f.Add([]byte(`{"source":"aws.backup","detail-type":"Backup Job State Change","id":"1","account":"1","region":"r","time":"2026-01-01T00:00:00Z","detail":{"backupJobId":"j","state":"X","backupSizeInBytes":"1e3"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := eb.Decode(raw)
		switch {
		case err == nil:
			want, ok := detailTypes[ev.Kind]
			if !ok || reflect.TypeOf(ev.Detail) != want || reflect.ValueOf(ev.Detail).IsNil() {
				t.Fatalf("kind %v decoded to %T", ev.Kind, ev.Detail)
			}
		case errors.Is(err, eb.ErrMalformed) == errors.Is(err, eb.ErrUnknownKind):
			t.Fatalf("error %v (%T) is not exactly one of ErrMalformed, ErrUnknownKind", err, err)
		case ev.Detail != nil:
			t.Fatalf("error %v with a detail %T", err, ev.Detail)
		}
	})
}

// FuzzMatch: whatever the pattern and the event, CompilePattern and Matches
// do not panic, and Matches agrees with MatchesMap on what it accepts.
func FuzzMatch(f *testing.F) {
	patterns, err := events.Patterns()
	if err != nil {
		f.Fatal(err)
	}
	samples := seedSamples(f)
	for i, s := range samples {
		f.Add(patterns[i%len(patterns)].JSON, s.JSON)
	}
	f.Add([]byte(`{"detail":{"x":[{"numeric":[">",0,"<=",5]},{"anything-but":{"prefix":"a"}},{"exists":false},null,true,1.5]}}`),
		[]byte(`{"detail":{"x":[1,"b",[null,{"y":2}]]}}`))
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		p, err := eb.CompilePattern(pattern)
		if err != nil {
			return
		}
		got, err := p.Matches(event)
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(event, &m) != nil {
			return // e.g. a number beyond float64, which Matches keeps exact
		}
		if again := p.MatchesMap(m); again != got {
			t.Fatalf("Matches = %v, MatchesMap = %v", got, again)
		}
	})
}
