package compliance_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/events"
	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/eventbridge"
)

// Per-event cost of the function on the simulated account: the real
// boundary, processor, SDK clients and simulated services, as one Lambda
// invocation. Each iteration delivers the event under a new id (a repeat
// would be a duplicate no-op). Reported besides ns/op and allocs/op:
//
//	calls/op  every AWS call attempt (reads, state table, SNS)
//	reads/op  the checks' reads (Backup, RDS, DynamoDB DescribeContinuousBackups)
//
// ns/op includes the SDK's middleware stack and the sim answering; the
// function's own decisions are a small part of it.

func BenchmarkHandleBackupJob(b *testing.B)     { benchKind(b, eventbridge.KindBackupJob) }
func BenchmarkHandleCopyJob(b *testing.B)       { benchKind(b, eventbridge.KindCopyJob) }
func BenchmarkHandleRecoveryPoint(b *testing.B) { benchKind(b, eventbridge.KindRecoveryPoint) }
func BenchmarkHandleBackupVault(b *testing.B)   { benchKind(b, eventbridge.KindBackupVault) }

func benchKind(b *testing.B, kind eventbridge.Kind) {
	// The sim's own events of a healthy plan: the full path with every
	// resource present.
	r := healthy().setup(b)
	for _, d := range r.h.pending() {
		ev, err := eventbridge.Decode(d.Raw)
		if err != nil {
			b.Fatal(err)
		}
		if ev.Kind != kind || !terminal(ev) {
			continue
		}
		name := "sim-" + strings.ToLower(stateOf(ev))
		b.Run(name, func(b *testing.B) { benchEvent(b, r.h, d.Raw) })
	}
	samples, err := events.Samples()
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range samples {
		if s.Source != kind.Source || s.DetailType != kind.DetailType {
			continue
		}
		name := strings.TrimSuffix(s.Path[strings.Index(s.Path, "--")+2:], ".json")
		b.Run("sample-"+name, func(b *testing.B) { benchEvent(b, sampleAccount(b, config.DefaultPolicy()), s.JSON) })
	}
}

func terminal(ev eventbridge.Event) bool {
	switch stateOf(ev) {
	case "CREATED", "RUNNING", "PENDING":
		return false
	}
	return true
}

func stateOf(ev eventbridge.Event) string {
	switch d := ev.Detail.(type) {
	case *eventbridge.BackupJobStateChange:
		return string(d.State)
	case *eventbridge.CopyJobStateChange:
		return string(d.State)
	case *eventbridge.RecoveryPointStateChange:
		return string(d.Status)
	case *eventbridge.BackupVaultStateChange:
		return string(d.State)
	}
	return ""
}

func benchEvent(b *testing.B, h *harness, raw []byte) {
	// A fixed-width id written in place: no per-iteration marshalling.
	ev, id := withID(b, raw)
	// Ids never repeat, also across the rounds the framework runs with
	// one harness: a repeat would be a duplicate no-op.
	h.seq++
	h.mustDeliver(stamp(ev, id, h.seq)) // warm the clients and the dedupe state
	start := h.sim.CallCount()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.seq++
		if err := h.deliver(stamp(ev, id, h.seq)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	calls := h.sim.CallsSince(start)
	reads := 0
	for _, c := range calls {
		if c.Service == awssim.ServiceBackup || c.Service == awssim.ServiceRDS || c.Operation == "DescribeContinuousBackups" {
			reads++
		}
	}
	b.ReportMetric(float64(len(calls))/float64(b.N), "calls/op")
	b.ReportMetric(float64(reads)/float64(b.N), "reads/op")
}

const idWidth = 36

// withID rewrites the event's id to a placeholder of fixed width and
// returns where it is.
func withID(b *testing.B, raw []byte) ([]byte, int) {
	ev, err := eventbridge.Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	old := []byte(`"` + ev.Envelope.ID + `"`)
	i := bytes.Index(raw, old)
	if i < 0 {
		b.Fatalf("id %s not found in the event", ev.Envelope.ID)
	}
	out := append(append(append([]byte(nil), raw[:i]...), []byte(`"`+strings.Repeat("0", idWidth)+`"`)...), raw[i+len(old):]...)
	return out, i + 1
}

func stamp(ev []byte, at, n int) []byte {
	copy(ev[at:at+idWidth], fmt.Sprintf("bench-%030d", n))
	return ev
}

// The function's own decision for a completed backup job: every check of
// the event on observed state, without AWS. What Lambda bills beyond this
// is waiting on AWS and the SDK's request handling.
func BenchmarkDecideCompletedBackup(b *testing.B) {
	p := config.DefaultPolicy()
	v := vault(compliant)
	rp := compliance.RecoveryPointState{ARN: rpARN, VaultName: "prod-vault", ResourceType: "DynamoDB", IsEncrypted: true, DeleteAfterDays: i64(35)}
	pl := plan(rule("daily", drVault))
	s := compliance.PITRState{ResourceARN: tableARN, ResourceType: "AWS::DynamoDB::Table", Kind: compliance.PITRDynamoDB, Enabled: true,
		WindowDays: i64(35), LatestRestorable: at(now.Add(-5 * time.Minute))}
	job := compliance.JobState{ID: "j", State: "COMPLETED", ResourceARN: tableARN, ResourceType: "DynamoDB", VaultARN: vaultARN}
	b.ReportAllocs()
	for b.Loop() {
		fs := compliance.VaultChecks(v, p.VaultLock, now)
		fs = append(fs, compliance.RecoveryPointRetention(rp, &v, p), compliance.RecoveryPointEncrypted(rp))
		fs = append(fs, compliance.PITRChecks(s, p.PITR, now)...)
		fs = append(fs, compliance.CrossRegionCopyConfigured(pl, p.CrossRegion))
		f, _ := compliance.BackupJobFailed(job)
		fs = append(fs, f)
		if len(fs) != 10 {
			b.Fatal(len(fs))
		}
	}
}
