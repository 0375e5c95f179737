package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/telemetry"
)

func TestLoggerCarriesInvocationFields(t *testing.T) {
	var buf bytes.Buffer
	logger := telemetry.NewLogger(&buf, "backup-compliance", "")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	telemetry.ForEvent(ctx, logger, "evt-1", "aws.backup", "Backup Job State Change").Info("handled", "findings", 3)

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line is not JSON: %v\n%s", err, buf.String())
	}
	delete(line, "time")
	want := map[string]any{
		"level": "INFO", "msg": "handled", "function": "backup-compliance", "requestId": "req-1",
		"eventId": "evt-1", "source": "aws.backup", "detailType": "Backup Job State Change", "findings": float64(3),
	}
	if diff := cmp.Diff(want, line); diff != "" {
		t.Errorf("log line (-want +got):\n%s", diff)
	}
}

func TestLoggerLevel(t *testing.T) {
	tests := []struct {
		level     string
		wantDebug bool
		wantInfo  bool
	}{
		{"DEBUG", true, true},
		{"", false, true},
		{"INFO", false, true},
		{"WARN", false, false},
		{"error", false, false},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		l := telemetry.NewLogger(&buf, "f", tt.level)
		l.Debug("d")
		l.Info("i")
		out := buf.String()
		if got := strings.Contains(out, `"msg":"d"`); got != tt.wantDebug {
			t.Errorf("level %q: debug logged = %t, want %t", tt.level, got, tt.wantDebug)
		}
		if got := strings.Contains(out, `"msg":"i"`); got != tt.wantInfo {
			t.Errorf("level %q: info logged = %t, want %t", tt.level, got, tt.wantInfo)
		}
	}
}

// emfRecord is the EMF specification's shape.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
type emfRecord struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

func TestEMFRecordFollowsSpecification(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	m := telemetry.NewMetrics(&buf, func() time.Time { return now }, map[string]string{"Function": "asg-rebalancer"})
	m.Add("Evacuations", 1, telemetry.UnitCount)
	m.Add("HandlerDuration", 12.5, telemetry.UnitMilliseconds)
	m.Add("HandlerDuration", 7, telemetry.UnitMilliseconds)
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d records, want 1", len(lines))
	}
	var rec emfRecord
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.AWS.Timestamp != now.UnixMilli() {
		t.Errorf("Timestamp %d, want %d (epoch milliseconds)", rec.AWS.Timestamp, now.UnixMilli())
	}
	if len(rec.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("%d directives, want 1", len(rec.AWS.CloudWatchMetrics))
	}
	d := rec.AWS.CloudWatchMetrics[0]
	if d.Namespace != "selfheal" {
		t.Errorf("namespace %q", d.Namespace)
	}
	if diff := cmp.Diff([][]string{{"Function"}}, d.Dimensions); diff != "" {
		t.Errorf("dimensions (-want +got):\n%s", diff)
	}
	var top map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &top)
	if top["Function"] != "asg-rebalancer" {
		t.Errorf("dimension value at top level = %v", top["Function"])
	}
	for _, mt := range d.Metrics {
		if _, ok := top[mt.Name]; !ok {
			t.Errorf("metric %s has no top-level value", mt.Name)
		}
	}
	if diff := cmp.Diff([]any{12.5, 7.0}, top["HandlerDuration"]); diff != "" {
		t.Errorf("several values of one metric are an array (-want +got):\n%s", diff)
	}
	if top["Evacuations"] != 1.0 {
		t.Errorf("Evacuations = %v", top["Evacuations"])
	}
}

func TestEMFSplitsAtSpecificationLimits(t *testing.T) {
	var buf bytes.Buffer
	m := telemetry.NewMetrics(&buf, time.Now, map[string]string{"Function": "compliance-sweep"})
	for i := range 150 {
		m.Add("Findings", float64(i), telemetry.UnitCount)
	}
	for i := range 120 {
		m.Add("M"+strings.Repeat("x", i%5)+string(rune('a'+i/5)), 1, telemetry.UnitCount)
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	var findings int
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec emfRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if n := len(rec.AWS.CloudWatchMetrics[0].Metrics); n > 100 {
			t.Errorf("record with %d metrics, EMF allows 100", n)
		}
		var top map[string]any
		_ = json.Unmarshal([]byte(line), &top)
		switch v := top["Findings"].(type) {
		case []any:
			if len(v) > 100 {
				t.Errorf("%d values in one record, EMF allows 100", len(v))
			}
			findings += len(v)
		case float64:
			findings++
		}
	}
	if findings != 150 {
		t.Errorf("%d Findings values written, want 150", findings)
	}
	buf.Reset()
	if err := m.Flush(); err != nil || buf.Len() != 0 {
		t.Errorf("second flush wrote %q (err %v), want nothing", buf.String(), err)
	}
}
