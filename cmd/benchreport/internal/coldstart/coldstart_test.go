package coldstart_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/benchreport/internal/coldstart"
)

// The test binary doubles as a Lambda function: started with
// COLDSTART_TEST_RUNTIME=1 it serves the Runtime API it is pointed at,
// answering each event with its "id".
func TestMain(m *testing.M) {
	if os.Getenv("COLDSTART_TEST_RUNTIME") == "1" {
		lambda.Start(func(_ context.Context, ev struct {
			ID string `json:"id"`
		}) (string, error) {
			return "handled " + ev.ID, nil
		})
		return
	}
	os.Exit(m.Run())
}

// A real aws-lambda-go runtime is started, polls, gets the event, answers,
// and the launch reports its init, round trip, response and peak memory.
func TestLaunchMeasuresARealRuntime(t *testing.T) {
	s, err := coldstart.Launch(context.Background(), []byte(`{"id":"e-1"}`),
		append(os.Environ(), "COLDSTART_TEST_RUNTIME=1"), os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := json.Unmarshal(s.Response, &got); err != nil || got != "handled e-1" {
		t.Errorf("response %q (%v), want \"handled e-1\"", s.Response, err)
	}
	if s.Init <= 0 || s.Init > 10*time.Second || s.RoundTrip <= 0 || s.RoundTrip > s.Init+10*time.Second {
		t.Errorf("init %s, round trip %s", s.Init, s.RoundTrip)
	}
	if s.PeakRSS < 1<<20 {
		t.Errorf("peak RSS %d bytes: not read", s.PeakRSS)
	}
}

// A process that exits without polling is an error naming what it said.
func TestLaunchProcessThatDies(t *testing.T) {
	_, err := coldstart.Launch(context.Background(), []byte(`{}`), nil, "/bin/sh", "-c", "echo broken config >&2; exit 1")
	if err == nil {
		t.Fatal("no error")
	}
}

// inittrace lines are read with their package, start, clock time, bytes and
// allocations, and summed per part of the program, costliest first.
func TestInitTrace(t *testing.T) {
	stderr := []byte(`init internal/bytealg @0.004 ms, 0 ms clock, 0 bytes, 0 allocs
init runtime @0.020 ms, 0.031 ms clock, 0 bytes, 0 allocs
something else
init github.com/aws/aws-sdk-go-v2/service/backup/types @1.1 ms, 0.2 ms clock, 100 bytes, 2 allocs
init github.com/aws/aws-sdk-go-v2/service/backup @1.5 ms, 2.5 ms clock, 9000 bytes, 80 allocs
init github.com/aws/aws-sdk-go-v2/service/internal/checksum @0.9 ms, 0.1 ms clock, 10 bytes, 1 allocs
init github.com/aws/smithy-go/document @0.5 ms, 0.05 ms clock, 5 bytes, 1 allocs
init github.com/selfheal/selfheal/shared/config @4.0 ms, 0.01 ms clock, 0 bytes, 0 allocs
`)
	entries := coldstart.ParseInitTrace(stderr)
	if len(entries) != 7 || entries[3].Package != "github.com/aws/aws-sdk-go-v2/service/backup" ||
		entries[3].Clock != 2500*time.Microsecond || entries[3].Bytes != 9000 || entries[3].Allocs != 80 {
		t.Fatalf("entries %+v", entries)
	}
	want := []coldstart.InitGroup{
		{Name: "SDK service backup", Packages: 2, Clock: 2700 * time.Microsecond, Bytes: 9100, Allocs: 82},
		{Name: "SDK core (aws-sdk-go-v2, smithy-go)", Packages: 2, Clock: 150 * time.Microsecond, Bytes: 15, Allocs: 2},
		{Name: "Go runtime and standard library", Packages: 2, Clock: 31 * time.Microsecond},
		{Name: "selfheal", Packages: 1, Clock: 10 * time.Microsecond},
	}
	if diff := cmp.Diff(want, coldstart.GroupInit(entries)); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{{nil, 0}, {[]time.Duration{3, 1, 2}, 2}, {[]time.Duration{4, 1, 3, 2}, 2}} {
		if got := coldstart.Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
