package eventbridge_test

import (
	"testing"

	"github.com/selfheal/selfheal/events"
	eb "github.com/selfheal/selfheal/shared/eventbridge"
)

// BenchmarkDecode decodes one sample of each of the heaviest kinds.
func BenchmarkDecode(b *testing.B) {
	for _, path := range []string{
		"aws.health/aws-health-event--ec2-issue-account.json",
		"aws.cloudwatch/cloudwatch-alarm-state-change--metric-math.json",
		"aws.backup/backup-job-state-change--completed.json",
	} {
		raw := sample(b, path)
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := eb.Decode(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoute is what the local bus does per event: match it against
// every deployed pattern.
func BenchmarkRoute(b *testing.B) {
	ps, err := events.Patterns()
	if err != nil {
		b.Fatal(err)
	}
	var compiled []*eb.Pattern
	for _, p := range ps {
		c, err := eb.CompilePattern(p.JSON)
		if err != nil {
			b.Fatal(err)
		}
		compiled = append(compiled, c)
	}
	raw := sample(b, "aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json")
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range compiled {
			if _, err := p.Matches(raw); err != nil {
				b.Fatal(err)
			}
		}
	}
}
