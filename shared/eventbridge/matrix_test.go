package eventbridge_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/events"
	eb "github.com/selfheal/selfheal/shared/eventbridge"
)

// Every deployed pattern matches exactly the samples its rule is meant for:
// a rule that misses one drops real events, a rule that catches another
// invokes the wrong function.
func TestPatternSampleMatrix(t *testing.T) {
	intended := map[string][]string{
		"asg-rebalancer--health": {
			"aws.health/aws-health-event--ec2-issue-account.json",
			"aws.health/aws-health-event--ec2-issue-closed.json",
			"aws.health/aws-health-event--ec2-issue-public.json",
			// not the scheduled change: a retirement is not an AZ issue
		},
		"asg-rebalancer--alarm": {
			"aws.cloudwatch/cloudwatch-alarm-state-change--az-alarm.json",
			"aws.cloudwatch/cloudwatch-alarm-state-change--az-ok.json",
			"aws.cloudwatch/cloudwatch-alarm-state-change--composite.json",
			"aws.cloudwatch/cloudwatch-alarm-state-change--metric-math.json",
			// not INSUFFICIENT_DATA
		},
		"asg-rebalancer--launch-failure": {
			"aws.autoscaling/ec2-instance-launch-unsuccessful--insufficient-capacity.json",
			"aws.autoscaling/ec2-instance-launch-unsuccessful--security-group-missing.json",
		},
		"asg-rebalancer--autoshift": {
			"aws.arc-zonal-shift/autoshift-completed.json",
			"aws.arc-zonal-shift/autoshift-in-progress--observer.json",
			"aws.arc-zonal-shift/autoshift-in-progress.json",
		},
		"backup-compliance--backup": {
			"aws.backup/backup-job-state-change--aborted.json",
			"aws.backup/backup-job-state-change--completed.json",
			"aws.backup/backup-job-state-change--expired.json",
			"aws.backup/backup-job-state-change--failed.json",
			"aws.backup/backup-vault-state-change--created.json",
			"aws.backup/backup-vault-state-change--deleted.json",
			"aws.backup/backup-vault-state-change--modified-locked.json",
			"aws.backup/copy-job-state-change--completed.json",
			"aws.backup/copy-job-state-change--failed.json",
			"aws.backup/recovery-point-state-change--completed.json",
			"aws.backup/recovery-point-state-change--continuous-stopped.json",
		},
	}
	patterns, err := events.Patterns()
	if err != nil {
		t.Fatal(err)
	}
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range patterns {
		t.Run(p.Name, func(t *testing.T) {
			want, ok := intended[p.Name]
			if !ok {
				t.Fatal("no intended samples declared for this pattern")
			}
			compiled, err := eb.CompilePattern(p.JSON)
			if err != nil {
				t.Fatalf("the deployed pattern does not compile: %v", err)
			}
			var got []string
			for _, s := range samples {
				ok, err := compiled.Matches(s.JSON)
				if err != nil {
					t.Fatalf("%s: %v", s.Path, err)
				}
				if ok {
					got = append(got, s.Path)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("matched samples (-intended +matched):\n%s", diff)
			}
		})
	}
	if len(patterns) != len(intended) {
		t.Errorf("%d patterns in the catalogue, %d declared here", len(patterns), len(intended))
	}
}
