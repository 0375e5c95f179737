package eventbridge_test

import (
	"strings"
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
		"asg-rebalancer--zonal-shift": {
			"aws.arc-zonal-shift/fis-experiment-autoshift-canceled.json",
			"aws.arc-zonal-shift/fis-experiment-autoshift-completed.json",
			"aws.arc-zonal-shift/fis-experiment-autoshift-in-progress.json",
			"aws.arc-zonal-shift/manual-shift-canceled.json",
			"aws.arc-zonal-shift/manual-shift-started.json",
			"aws.arc-zonal-shift/manual-shift-updated.json",
			"aws.arc-zonal-shift/practice-run-failed.json",
			"aws.arc-zonal-shift/practice-run-interrupted.json",
			"aws.arc-zonal-shift/practice-run-started.json",
			"aws.arc-zonal-shift/practice-run-succeeded.json",
		},
		"backup-compliance--jobs": {
			"aws.backup/backup-job-state-change--aborted.json",
			"aws.backup/backup-job-state-change--completed.json",
			"aws.backup/backup-job-state-change--expired.json",
			"aws.backup/backup-job-state-change--failed.json",
			"aws.backup/copy-job-state-change--completed.json",
			"aws.backup/copy-job-state-change--failed.json",
		},
		"backup-compliance--recovery-points": {
			"aws.backup/recovery-point-state-change--completed.json",
			"aws.backup/recovery-point-state-change--continuous-stopped.json",
		},
		"backup-compliance--plans": {
			"aws.backup/backup-plan-state-change--created.json",
			"aws.backup/backup-plan-state-change--deleted.json",
			"aws.backup/backup-plan-state-change--modified.json",
		},
		"backup-compliance--rds-backups": {
			"aws.rds/rds-db-instance-event--backups-disabled.json",
			"aws.rds/rds-db-instance-event--backups-enabled.json",
			// not the other RDS events: only backups turned off or on
		},
		"backup-compliance--restore-jobs": {
			"aws.backup/restore-job-state-change--aborted.json",
			"aws.backup/restore-job-state-change--completed-rds.json",
			"aws.backup/restore-job-state-change--completed.json",
			"aws.backup/restore-job-state-change--failed.json",
			// not CREATED (it says "state"), PENDING or RUNNING
		},
		"backup-compliance--vaults": {
			"aws.backup/backup-vault-state-change--created.json",
			"aws.backup/backup-vault-state-change--deleted.json",
			"aws.backup/backup-vault-state-change--modified-locked.json",
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

// AWS Backup reports a job's progress too (CREATED, RUNNING, ...); only its
// outcome is worth a check, so progress never invokes the function.
func TestBackupProgressIsNotDelivered(t *testing.T) {
	patterns, err := events.Patterns()
	if err != nil {
		t.Fatal(err)
	}
	progress := []struct{ sample, from, to string }{
		{"aws.backup/backup-job-state-change--completed.json", `"state": "COMPLETED"`, `"state": "RUNNING"`},
		{"aws.backup/backup-job-state-change--completed.json", `"state": "COMPLETED"`, `"state": "CREATED"`},
		{"aws.backup/copy-job-state-change--completed.json", `"state": "COMPLETED"`, `"state": "RUNNING"`},
		{"aws.backup/recovery-point-state-change--completed.json", `"status": "COMPLETED"`, `"status": "DELETING"`},
	}
	for _, p := range progress {
		raw, err := events.Sample(p.sample)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), p.from) {
			t.Fatalf("%s does not contain %s", p.sample, p.from)
		}
		ev := []byte(strings.Replace(string(raw), p.from, p.to, 1))
		for _, pat := range patterns {
			c, err := eb.CompilePattern(pat.JSON)
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := c.Matches(ev); ok {
				t.Errorf("%s with %s reaches %s", p.sample, p.to, pat.Name)
			}
		}
	}
}
