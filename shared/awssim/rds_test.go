package awssim_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

func newRDS(t *testing.T) (*awssim.Sim, *rds.Client) {
	t.Helper()
	sim := awssim.New()
	return sim, rds.NewFromConfig(sim.Config("us-east-1"))
}

func createPostgres(t *testing.T, client *rds.Client, id string, retention *int32, tags ...rdstypes.Tag) {
	t.Helper()
	_, err := client.CreateDBInstance(context.Background(), &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		BackupRetentionPeriod: retention, Tags: tags, AvailabilityZone: aws.String("us-east-1b"),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func describeInstance(t *testing.T, client *rds.Client, id string) rdstypes.DBInstance {
	t.Helper()
	out, err := client.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out.DBInstances[0]
}

func TestRDSRetentionDecidesPointInTimeRestore(t *testing.T) {
	for _, tc := range []struct {
		retention    int32
		restorable   bool
		wantEarliest bool
	}{{0, false, false}, {7, true, true}} {
		t.Run(fmt.Sprintf("retention %d", tc.retention), func(t *testing.T) {
			sim, client := newRDS(t)
			ctx := context.Background()
			createPostgres(t, client, "payments", aws.Int32(tc.retention))
			if db := describeInstance(t, client, "payments"); aws.ToString(db.DBInstanceStatus) != "creating" || db.LatestRestorableTime != nil {
				t.Errorf("new instance: status %s latest %v, want creating and nothing restorable", aws.ToString(db.DBInstanceStatus), db.LatestRestorableTime)
			}
			sim.Settle(time.Hour)
			available := sim.Now()
			sim.Advance(3 * time.Hour)
			db := describeInstance(t, client, "payments")
			if aws.ToString(db.DBInstanceStatus) != "available" || aws.ToInt32(db.BackupRetentionPeriod) != tc.retention {
				t.Fatalf("status %s retention %d, want available and %d", aws.ToString(db.DBInstanceStatus), aws.ToInt32(db.BackupRetentionPeriod), tc.retention)
			}
			if got := db.LatestRestorableTime != nil; got != tc.restorable {
				t.Fatalf("LatestRestorableTime present = %v, want %v", got, tc.restorable)
			}
			if tc.restorable {
				if lag := sim.Now().Sub(*db.LatestRestorableTime); lag < 0 || lag >= 5*time.Minute {
					t.Errorf("LatestRestorableTime trails the clock by %v, want under 5m", lag)
				}
			}
			backups, err := client.DescribeDBInstanceAutomatedBackups(ctx, &rds.DescribeDBInstanceAutomatedBackupsInput{DBInstanceIdentifier: aws.String("payments")})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(backups.DBInstanceAutomatedBackups) == 1; got != tc.wantEarliest {
				t.Fatalf("automated backups listed = %v, want %v", got, tc.wantEarliest)
			}
			if tc.wantEarliest {
				if w := backups.DBInstanceAutomatedBackups[0].RestoreWindow; !w.EarliestTime.Equal(available) {
					t.Errorf("restore window starts %v, want when the instance became available, %v", w.EarliestTime, available)
				}
			}
		})
	}
}

func TestRDSRetentionChangesAcrossZeroWaitForTheMaintenanceWindow(t *testing.T) {
	sim, client := newRDS(t)
	ctx := context.Background()
	createPostgres(t, client, "payments", aws.Int32(7))
	sim.Settle(time.Hour)
	if _, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String("payments"), BackupRetentionPeriod: aws.Int32(0),
		PreferredMaintenanceWindow: aws.String("sun:05:00-sun:05:30"),
	}); err != nil {
		t.Fatal(err)
	}
	db := describeInstance(t, client, "payments")
	if aws.ToInt32(db.PendingModifiedValues.BackupRetentionPeriod) != 0 || db.PendingModifiedValues.BackupRetentionPeriod == nil || db.LatestRestorableTime == nil {
		t.Fatalf("without ApplyImmediately: pending %v latest %v, want 0 pending and backups still on", db.PendingModifiedValues.BackupRetentionPeriod, db.LatestRestorableTime)
	}
	// DefaultStart is a Monday; the window opens on Sunday.
	sim.AdvanceTo(time.Date(2026, 11, 8, 5, 10, 0, 0, time.UTC))
	db = describeInstance(t, client, "payments")
	if aws.ToInt32(db.BackupRetentionPeriod) != 0 || db.LatestRestorableTime != nil || db.PendingModifiedValues.BackupRetentionPeriod != nil {
		t.Errorf("after the window: retention %d latest %v pending %v, want 0, none, none",
			aws.ToInt32(db.BackupRetentionPeriod), db.LatestRestorableTime, db.PendingModifiedValues.BackupRetentionPeriod)
	}
	turnedOn := sim.Now()
	if _, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String("payments"), BackupRetentionPeriod: aws.Int32(7), ApplyImmediately: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	if db := describeInstance(t, client, "payments"); db.LatestRestorableTime == nil || !db.LatestRestorableTime.Equal(turnedOn) {
		t.Errorf("applied immediately: latest %v, want a first backup at %v", db.LatestRestorableTime, turnedOn)
	}
	_, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("payments"), BackupRetentionPeriod: aws.Int32(36)})
	if apiErrorCode(err) != "InvalidParameterValue" {
		t.Errorf("retention 36: got %v, want InvalidParameterValue", err)
	}
}

func TestRDSStalledLogShippingLeavesLatestRestorableTimeStale(t *testing.T) {
	sim, client := newRDS(t)
	createPostgres(t, client, "payments", aws.Int32(7))
	sim.Settle(time.Hour)
	sim.Advance(time.Hour)
	if err := sim.StallRDSLogShipping("us-east-1", "payments", true); err != nil {
		t.Fatal(err)
	}
	stalled := *describeInstance(t, client, "payments").LatestRestorableTime
	sim.Advance(2 * time.Hour)
	latest := *describeInstance(t, client, "payments").LatestRestorableTime
	if !latest.Equal(stalled) {
		t.Errorf("latest restorable moved from %v to %v while log shipping was stalled", stalled, latest)
	}
	if lag := sim.Now().Sub(latest); lag < 2*time.Hour {
		t.Errorf("stalled lag %v, want at least the 2h stalled", lag)
	}
	if err := sim.StallRDSLogShipping("us-east-1", "payments", false); err != nil {
		t.Fatal(err)
	}
	sim.Advance(awssim.DefaultTick)
	if lag := sim.Now().Sub(*describeInstance(t, client, "payments").LatestRestorableTime); lag >= 5*time.Minute {
		t.Errorf("after resuming, lag %v, want the backlog shipped (under 5m)", lag)
	}
	if err := sim.StallRDSLogShipping("us-east-1", "nope", true); err == nil {
		t.Error("stalling an unknown database succeeded")
	}
}

func TestAuroraClusterKeepsBackupsForItsMembers(t *testing.T) {
	sim, client := newRDS(t)
	ctx := context.Background()
	if _, err := client.CreateDBCluster(ctx, &rds.CreateDBClusterInput{
		DBClusterIdentifier: aws.String("Orders-Cluster"), Engine: aws.String("aurora-postgresql"), BackupRetentionPeriod: aws.Int32(14),
		StorageEncrypted: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	for i, az := range []string{"us-east-1a", "us-east-1c"} {
		if _, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
			DBInstanceIdentifier: aws.String(fmt.Sprintf("orders-%d", i+1)), DBInstanceClass: aws.String("db.r7g.large"),
			Engine: aws.String("aurora-postgresql"), DBClusterIdentifier: aws.String("orders-cluster"), AvailabilityZone: aws.String(az),
		}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("orders-3"), DBInstanceClass: aws.String("db.r7g.large"),
		Engine: aws.String("aurora-postgresql"), DBClusterIdentifier: aws.String("orders-cluster"), BackupRetentionPeriod: aws.Int32(7),
	})
	if apiErrorCode(err) != "InvalidParameterCombination" {
		t.Errorf("retention on an Aurora member: got %v, want InvalidParameterCombination", err)
	}
	sim.Settle(time.Hour)
	sim.Advance(30 * time.Minute)

	out, err := client.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("orders-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.DBClusters[0]
	var members []string
	for _, m := range c.DBClusterMembers {
		members = append(members, aws.ToString(m.DBInstanceIdentifier))
	}
	if diff := cmp.Diff([]string{"orders-1", "orders-2"}, members); diff != "" {
		t.Errorf("members (identifiers are lower case) (-want +got):\n%s", diff)
	}
	if !aws.ToBool(c.MultiAZ) || aws.ToInt32(c.BackupRetentionPeriod) != 14 || c.EarliestRestorableTime == nil || c.LatestRestorableTime == nil {
		t.Errorf("cluster: MultiAZ %v retention %d earliest %v latest %v, want Multi-AZ, 14 and a restore window",
			aws.ToBool(c.MultiAZ), aws.ToInt32(c.BackupRetentionPeriod), c.EarliestRestorableTime, c.LatestRestorableTime)
	}
	member := describeInstance(t, client, "orders-1")
	if aws.ToString(member.DBClusterIdentifier) != "orders-cluster" || aws.ToInt32(member.BackupRetentionPeriod) != 14 || member.LatestRestorableTime != nil {
		t.Errorf("member: cluster %s retention %d latest %v, want the cluster's retention and no restore time of its own",
			aws.ToString(member.DBClusterIdentifier), aws.ToInt32(member.BackupRetentionPeriod), member.LatestRestorableTime)
	}
	_, err = client.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("orders-cluster"), BackupRetentionPeriod: aws.Int32(0)})
	if apiErrorCode(err) != "InvalidParameterValue" {
		t.Errorf("Aurora retention 0: got %v, want InvalidParameterValue", err)
	}
	if err := sim.StallRDSLogShipping("us-east-1", "orders-cluster", true); err != nil {
		t.Fatal(err)
	}
}

func TestRDSDescribeFiltersPagesAndTags(t *testing.T) {
	_, client := newRDS(t)
	ctx := context.Background()
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("db-%02d", i)
		want = append(want, id)
		createPostgres(t, client, id, nil, rdstypes.Tag{Key: aws.String("team"), Value: aws.String(fmt.Sprint(i % 2))})
	}
	if _, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("legacy"), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("mysql"),
	}); err != nil {
		t.Fatal(err)
	}
	pages := rds.NewDescribeDBInstancesPaginator(client, &rds.DescribeDBInstancesInput{
		MaxRecords: aws.Int32(20),
		Filters:    []rdstypes.Filter{{Name: aws.String("engine"), Values: []string{"postgres"}}},
	})
	var got []string
	var n int
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, db := range out.DBInstances {
			got = append(got, aws.ToString(db.DBInstanceIdentifier))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("postgres instances (-want +got):\n%s", diff)
	}
	if n != 2 {
		t.Errorf("%d pages of 20 for 25 instances, want 2", n)
	}

	arn := "arn:aws:rds:us-east-1:123456789012:db:db-03"
	out, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{Filters: []rdstypes.Filter{{Name: aws.String("db-instance-id"), Values: []string{arn}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DBInstances) != 1 || aws.ToString(out.DBInstances[0].DBInstanceArn) != arn {
		t.Errorf("filter by ARN: got %d instances, want db-03", len(out.DBInstances))
	}
	tags, err := client.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"team=1"}, tagStrings(tags.TagList)); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"team=1"}, tagStrings(out.DBInstances[0].TagList)); diff != "" {
		t.Errorf("TagList (-want +got):\n%s", diff)
	}

	for name, in := range map[string]*rds.DescribeDBInstancesInput{
		"unknown filter": {Filters: []rdstypes.Filter{{Name: aws.String("color"), Values: []string{"blue"}}}},
		"MaxRecords 10":  {MaxRecords: aws.Int32(10)},
	} {
		if _, err := client.DescribeDBInstances(ctx, in); apiErrorCode(err) != "InvalidParameterValue" {
			t.Errorf("%s: got %v, want InvalidParameterValue", name, err)
		}
	}
	_, err = client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("nope")})
	var notFound *rdstypes.DBInstanceNotFoundFault
	if !errors.As(err, &notFound) {
		t.Errorf("unknown instance: got %v, want DBInstanceNotFoundFault", err)
	}
}

func tagStrings(tags []rdstypes.Tag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return out
}
