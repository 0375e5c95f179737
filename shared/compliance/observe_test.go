package compliance_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
)

// createTable makes a DynamoDB table through the SDK, with PITR on for
// window days (off when window is 0).
func createTable(t testing.TB, sim *awssim.Sim, name string, window int32) string {
	t.Helper()
	ctx := context.Background()
	db := dynamodb.NewFromConfig(sim.Config(region))
	out, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	if window > 0 {
		_, err = db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
			TableName: aws.String(name),
			PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(window),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return aws.ToString(out.TableDescription.TableArn)
}

// createDB makes an RDS instance (or, with engine aurora-*, an Aurora
// cluster) through the SDK, with automated backups kept retention days.
func createDB(t testing.TB, sim *awssim.Sim, id, engine string, retention int32) string {
	t.Helper()
	ctx := context.Background()
	client := rds.NewFromConfig(sim.Config(region))
	if engine == "aurora-postgresql" {
		out, err := client.CreateDBCluster(ctx, &rds.CreateDBClusterInput{
			DBClusterIdentifier: aws.String(id), Engine: aws.String(engine), BackupRetentionPeriod: aws.Int32(retention),
			MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("correct-horse-battery"),
		})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.DBCluster.DBClusterArn)
	}
	out, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), Engine: aws.String(engine), DBInstanceClass: aws.String("db.t4g.micro"),
		AllocatedStorage: aws.Int32(20), BackupRetentionPeriod: aws.Int32(retention),
		MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("correct-horse-battery"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.DBInstance.DBInstanceArn)
}

func pitrStatuses(s compliance.PITRState, now time.Time) [3]notify.Status {
	var out [3]notify.Status
	for i, f := range compliance.PITRChecks(s, config.DefaultPolicy().PITR, now) {
		out[i] = f.Status
	}
	return out
}

// The observer reads PITR from the service that provides it, through the
// real SDK clients, and the checks judge what it read.
func TestObserverPITR(t *testing.T) {
	P, F, N := notify.StatusPass, notify.StatusFail, notify.StatusNotApplicable
	type setup func(t *testing.T, sim *awssim.Sim) (resourceARN, backupType string)
	tests := []struct {
		name  string
		setup setup
		want  [3]notify.Status
	}{
		{"DynamoDB table with 7 days of PITR passes", func(t *testing.T, sim *awssim.Sim) (string, string) {
			return createTable(t, sim, "orders", 7), "DynamoDB"
		}, [3]notify.Status{P, P, P}},
		{"DynamoDB table without PITR fails", func(t *testing.T, sim *awssim.Sim) (string, string) {
			return createTable(t, sim, "orders", 0), "DynamoDB"
		}, [3]notify.Status{F, N, N}},
		{"stalled DynamoDB PITR fails freshness", func(t *testing.T, sim *awssim.Sim) (string, string) {
			arn := createTable(t, sim, "orders", 35)
			if err := sim.StallDynamoDBPITR(region, "orders", true); err != nil {
				t.Fatal(err)
			}
			sim.Advance(30 * time.Minute)
			return arn, "DynamoDB"
		}, [3]notify.Status{P, P, F}},
		{"deleted DynamoDB table is not applicable", func(t *testing.T, sim *awssim.Sim) (string, string) {
			return tableARN, "DynamoDB"
		}, [3]notify.Status{N, N, N}},
		{"RDS instance with backup retention 0 fails", func(t *testing.T, sim *awssim.Sim) (string, string) {
			arn := createDB(t, sim, "payments", "postgres", 0)
			sim.Settle(time.Hour)
			return arn, "RDS"
		}, [3]notify.Status{F, N, N}},
		{"RDS instance with 7 days passes", func(t *testing.T, sim *awssim.Sim) (string, string) {
			arn := createDB(t, sim, "payments", "postgres", 7)
			sim.Advance(10 * time.Minute)
			return arn, "RDS"
		}, [3]notify.Status{P, P, P}},
		{"RDS instance whose logs stopped shipping fails freshness", func(t *testing.T, sim *awssim.Sim) (string, string) {
			arn := createDB(t, sim, "payments", "postgres", 7)
			sim.Advance(10 * time.Minute)
			if err := sim.StallRDSLogShipping(region, "payments", true); err != nil {
				t.Fatal(err)
			}
			sim.Advance(time.Hour)
			return arn, "RDS"
		}, [3]notify.Status{P, P, F}},
		{"deleted RDS instance is not applicable", func(t *testing.T, sim *awssim.Sim) (string, string) {
			return dbARN, "RDS"
		}, [3]notify.Status{N, N, N}},
		{"Aurora cluster keeping 1 day fails the window", func(t *testing.T, sim *awssim.Sim) (string, string) {
			arn := createDB(t, sim, "ledger", "aurora-postgresql", 1)
			sim.Advance(10 * time.Minute)
			return arn, "Aurora"
		}, [3]notify.Status{P, F, P}},
		{"an EBS volume has no PITR to check and costs no call", func(t *testing.T, sim *awssim.Sim) (string, string) {
			return "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc", "EBS"
		}, [3]notify.Status{N, N, N}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := awssim.New()
			arn, typ := tt.setup(t, sim)
			before := sim.CallCount()
			s, err := compliance.NewObserver(sim.Config(region)).PITR(context.Background(), arn, typ, region)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, pitrStatuses(s, sim.Now())); diff != "" {
				t.Errorf("PITR_ENABLED, PITR_WINDOW, PITR_FRESHNESS (-want +got):\n%s\nstate: %+v", diff, s)
			}
			calls := sim.CallsSince(before)
			wantCalls := 1
			if s.Kind == compliance.PITRNotSupported {
				wantCalls = 0
			}
			if len(calls) != wantCalls {
				t.Errorf("%d calls, want %d", len(calls), wantCalls)
			}
		})
	}
}

// An S3 bucket's PITR is its AWS Backup continuous recovery point, found
// among the bucket's recovery points (one list page) and described for its
// retention: two reads.
func TestObserverS3PITR(t *testing.T) {
	P, F, N := notify.StatusPass, notify.StatusFail, notify.StatusNotApplicable
	for _, continuous := range []bool{true, false} {
		h := newHarness(t, config.DefaultPolicy(), awssim.WithTick(time.Minute))
		bucket := "arn:aws:s3:::media"
		h.vault("us-east-1", "prod-vault", unlocked)
		h.plan(planSpec{vault: "prod-vault", continuous: continuous, resources: []string{bucket}, retention: 14})
		h.runBackups()
		before := h.sim.CallCount()
		s, err := compliance.NewObserver(h.sim.Config(region)).PITR(h.ctx, bucket, "S3", region)
		if err != nil {
			t.Fatal(err)
		}
		want, calls := [3]notify.Status{P, P, N}, 2
		if !continuous {
			want, calls = [3]notify.Status{F, N, N}, 1
		}
		if diff := cmp.Diff(want, pitrStatuses(s, h.sim.Now())); diff != "" {
			t.Errorf("continuous %v: PITR_ENABLED, PITR_WINDOW, PITR_FRESHNESS (-want +got):\n%s", continuous, diff)
		}
		if continuous && (s.WindowDays == nil || *s.WindowDays != 14) {
			t.Errorf("window %v, want the continuous recovery point's 14 days", s.WindowDays)
		}
		if n := len(h.sim.CallsSince(before)); n != calls {
			t.Errorf("continuous %v: %d calls, want %d", continuous, n, calls)
		}
	}
}
