package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every selfheal metric.
const Namespace = "selfheal"

// Unit is a CloudWatch metric unit.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html
type Unit string

// The units selfheal uses.
const (
	UnitCount        Unit = "Count"
	UnitMilliseconds Unit = "Milliseconds"
	UnitSeconds      Unit = "Seconds"
	UnitNone         Unit = "None"
)

// Metrics collects metric values for one invocation and writes them as one
// EMF record. Dimensions are fixed at creation (e.g. Function): every metric
// of the record shares them, which is what EMF's one-directive form means.
// It is safe for concurrent use.
type Metrics struct {
	mu     sync.Mutex
	w      io.Writer
	now    func() time.Time
	dims   map[string]string
	values map[string][]float64
	units  map[string]Unit
}

// NewMetrics returns a collector writing to w, with the given dimensions
// (name → value) and clock.
func NewMetrics(w io.Writer, now func() time.Time, dimensions map[string]string) *Metrics {
	d := make(map[string]string, len(dimensions))
	for k, v := range dimensions {
		d[k] = v
	}
	return &Metrics{w: w, now: now, dims: d, values: map[string][]float64{}, units: map[string]Unit{}}
}

// Add records one value of a metric. EMF allows up to 100 values per metric
// in one record; Flush writes more records when needed.
func (m *Metrics) Add(name string, value float64, unit Unit) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[name] = append(m.values[name], value)
	m.units[name] = unit
}

// EMF limits: 100 metrics per directive, 100 values per metric, 30
// dimensions. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
const (
	maxMetricsPerRecord = 100
	maxValuesPerMetric  = 100
)

type emfMetric struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit,omitempty"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Flush writes what was added as EMF records (one JSON object per line) and
// forgets it. Nothing is written when nothing was added.
func (m *Metrics) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.values))
	for n := range m.values {
		names = append(names, n)
	}
	sort.Strings(names)
	dimKeys := make([]string, 0, len(m.dims))
	for k := range m.dims {
		dimKeys = append(dimKeys, k)
	}
	sort.Strings(dimKeys)
	ts := m.now().UnixMilli()

	// Split into records of at most 100 metrics with at most 100 values each.
	pending := map[string][]float64{}
	for k, v := range m.values {
		pending[k] = v
	}
	for len(pending) > 0 {
		record := map[string]any{}
		for k, v := range m.dims {
			record[k] = v
		}
		var metrics []emfMetric
		for _, n := range names {
			vals, ok := pending[n]
			if !ok || len(metrics) == maxMetricsPerRecord {
				continue
			}
			take := min(len(vals), maxValuesPerMetric)
			if take == 1 {
				record[n] = vals[0]
			} else {
				record[n] = vals[:take]
			}
			if rest := vals[take:]; len(rest) > 0 {
				pending[n] = rest
			} else {
				delete(pending, n)
			}
			metrics = append(metrics, emfMetric{Name: n, Unit: m.units[n]})
		}
		record["_aws"] = emfMeta{Timestamp: ts, CloudWatchMetrics: []emfDirective{{
			Namespace: Namespace, Dimensions: [][]string{dimKeys}, Metrics: metrics,
		}}}
		b, err := json.Marshal(record)
		if err != nil {
			return fmt.Errorf("encode metrics: %w", err)
		}
		if _, err := m.w.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("write metrics: %w", err)
		}
	}
	m.values = map[string][]float64{}
	m.units = map[string]Unit{}
	return nil
}
