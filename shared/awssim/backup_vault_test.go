package awssim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

const backupRole = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"

// backupFixture is a sim with a DynamoDB table "orders" in us-east-1 and
// Backup clients for us-east-1 and us-west-2.
type backupFixture struct {
	sim        *awssim.Sim
	east, west *backup.Client
	tableArn   string
}

func newBackupFixture(t testing.TB) backupFixture {
	t.Helper()
	sim := awssim.New()
	ctx := context.Background()
	ddb := dynamodb.NewFromConfig(sim.Config("us-east-1"))
	out, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("orders"),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		Tags:                 []ddbtypes.Tag{{Key: aws.String("backup"), Value: aws.String("daily")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return backupFixture{
		sim: sim, tableArn: aws.ToString(out.TableDescription.TableArn),
		east: backup.NewFromConfig(sim.Config("us-east-1")), west: backup.NewFromConfig(sim.Config("us-west-2")),
	}
}

func (f backupFixture) vault(t testing.TB, client *backup.Client, name string) string {
	t.Helper()
	out, err := client.CreateBackupVault(context.Background(), &backup.CreateBackupVaultInput{BackupVaultName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.BackupVaultArn)
}

func (f backupFixture) lock(client *backup.Client, name string, min, max, changeable *int64) error {
	_, err := client.PutBackupVaultLockConfiguration(context.Background(), &backup.PutBackupVaultLockConfigurationInput{
		BackupVaultName: aws.String(name), MinRetentionDays: min, MaxRetentionDays: max, ChangeableForDays: changeable,
	})
	return err
}

func (f backupFixture) describeVault(t testing.TB, client *backup.Client, name string) *backup.DescribeBackupVaultOutput {
	t.Helper()
	out, err := client.DescribeBackupVault(context.Background(), &backup.DescribeBackupVaultInput{BackupVaultName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVaultLockModes pins what DescribeBackupVault reports for each lock
// mode: Locked is true for any lock, governance or compliance, in grace
// time or not; only LockDate tells them apart.
func TestVaultLockModes(t *testing.T) {
	for _, tc := range []struct {
		name         string
		changeable   *int64
		wantLocked   bool
		wantLockDate time.Duration // from now; 0 means no LockDate
	}{
		{name: "governance", changeable: nil, wantLocked: true},
		{name: "compliance", changeable: aws.Int64(3), wantLocked: true, wantLockDate: 72 * time.Hour},
		{name: "compliance, long grace", changeable: aws.Int64(30), wantLocked: true, wantLockDate: 30 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newBackupFixture(t)
			f.vault(t, f.east, "prod-vault")
			if d := f.describeVault(t, f.east, "prod-vault"); aws.ToBool(d.Locked) || d.LockDate != nil {
				t.Fatalf("unlocked vault: Locked %v LockDate %v", aws.ToBool(d.Locked), d.LockDate)
			}
			now := f.sim.Now()
			if err := f.lock(f.east, "prod-vault", aws.Int64(7), aws.Int64(35), tc.changeable); err != nil {
				t.Fatal(err)
			}
			d := f.describeVault(t, f.east, "prod-vault")
			if aws.ToBool(d.Locked) != tc.wantLocked || aws.ToInt64(d.MinRetentionDays) != 7 || aws.ToInt64(d.MaxRetentionDays) != 35 {
				t.Errorf("Locked %v min %d max %d, want %v, 7, 35", aws.ToBool(d.Locked), aws.ToInt64(d.MinRetentionDays), aws.ToInt64(d.MaxRetentionDays), tc.wantLocked)
			}
			switch {
			case tc.wantLockDate == 0 && d.LockDate != nil:
				t.Errorf("governance lock has LockDate %v", d.LockDate)
			case tc.wantLockDate != 0 && (d.LockDate == nil || !d.LockDate.Equal(now.Add(tc.wantLockDate))):
				t.Errorf("LockDate %v, want %v", d.LockDate, now.Add(tc.wantLockDate))
			}
			list, err := f.east.ListBackupVaults(context.Background(), &backup.ListBackupVaultsInput{})
			if err != nil {
				t.Fatal(err)
			}
			if m := list.BackupVaultList[0]; aws.ToBool(m.Locked) != tc.wantLocked || !cmp.Equal(m.LockDate, d.LockDate) {
				t.Errorf("ListBackupVaults: Locked %v LockDate %v, want what DescribeBackupVault says", aws.ToBool(m.Locked), m.LockDate)
			}
		})
	}
}

func TestVaultLockChangeableForDaysIsAtLeastThree(t *testing.T) {
	f := newBackupFixture(t)
	f.vault(t, f.east, "prod-vault")
	for _, tc := range []struct {
		name                 string
		min, max, changeable *int64
	}{
		{"two days of grace", aws.Int64(7), nil, aws.Int64(2)},
		{"min above max", aws.Int64(30), aws.Int64(7), nil},
		{"zero minimum", aws.Int64(0), nil, nil},
	} {
		err := f.lock(f.east, "prod-vault", tc.min, tc.max, tc.changeable)
		var invalid *backuptypes.InvalidParameterValueException
		if !errors.As(err, &invalid) {
			t.Errorf("%s: got %v, want InvalidParameterValueException", tc.name, err)
		}
	}
	if d := f.describeVault(t, f.east, "prod-vault"); aws.ToBool(d.Locked) {
		t.Error("a refused lock configuration locked the vault")
	}
}

// During the grace time a compliance lock can be changed or removed; on and
// after its LockDate both are refused, for good.
func TestVaultLockGraceTimeThenImmutable(t *testing.T) {
	f := newBackupFixture(t)
	ctx := context.Background()
	f.vault(t, f.east, "prod-vault")
	if err := f.lock(f.east, "prod-vault", aws.Int64(7), nil, aws.Int64(3)); err != nil {
		t.Fatal(err)
	}
	lockDate := *f.describeVault(t, f.east, "prod-vault").LockDate

	f.sim.AdvanceTo(lockDate.Add(-time.Minute))
	if err := f.lock(f.east, "prod-vault", aws.Int64(14), nil, aws.Int64(3)); err != nil {
		t.Fatalf("changing the lock during grace time: %v", err)
	}
	if _, err := f.east.DeleteBackupVaultLockConfiguration(ctx, &backup.DeleteBackupVaultLockConfigurationInput{BackupVaultName: aws.String("prod-vault")}); err != nil {
		t.Fatalf("removing the lock during grace time: %v", err)
	}
	if aws.ToBool(f.describeVault(t, f.east, "prod-vault").Locked) {
		t.Fatal("vault still locked after the lock was removed in grace time")
	}

	if err := f.lock(f.east, "prod-vault", aws.Int64(7), aws.Int64(35), aws.Int64(3)); err != nil {
		t.Fatal(err)
	}
	lockDate = *f.describeVault(t, f.east, "prod-vault").LockDate
	f.sim.AdvanceTo(lockDate)
	var refused *backuptypes.InvalidRequestException
	if err := f.lock(f.east, "prod-vault", aws.Int64(1), nil, nil); !errors.As(err, &refused) {
		t.Errorf("changing the lock on its LockDate: got %v, want InvalidRequestException", err)
	}
	_, err := f.east.DeleteBackupVaultLockConfiguration(ctx, &backup.DeleteBackupVaultLockConfigurationInput{BackupVaultName: aws.String("prod-vault")})
	if !errors.As(err, &refused) {
		t.Errorf("removing the lock after its LockDate: got %v, want InvalidRequestException", err)
	}
	if d := f.describeVault(t, f.east, "prod-vault"); !aws.ToBool(d.Locked) || aws.ToInt64(d.MinRetentionDays) != 7 {
		t.Errorf("after refused changes: Locked %v min %d, want the lock unchanged", aws.ToBool(d.Locked), aws.ToInt64(d.MinRetentionDays))
	}
}

func (f backupFixture) onDemand(t *testing.T, vault string, deleteAfter *int64) string {
	t.Helper()
	in := &backup.StartBackupJobInput{BackupVaultName: aws.String(vault), ResourceArn: aws.String(f.tableArn), IamRoleArn: aws.String(backupRole)}
	if deleteAfter != nil {
		in.Lifecycle = &backuptypes.Lifecycle{DeleteAfterDays: deleteAfter}
	}
	out, err := f.east.StartBackupJob(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.BackupJobId)
}

func (f backupFixture) job(t *testing.T, id string) *backup.DescribeBackupJobOutput {
	t.Helper()
	out, err := f.east.DescribeBackupJob(context.Background(), &backup.DescribeBackupJobInput{BackupJobId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A lock's retention bounds apply to every job into the vault: one whose
// lifecycle keeps the recovery point shorter than the minimum, longer
// than the maximum or forever (no DeleteAfterDays, with a maximum) fails.
func TestVaultLockFailsJobsOutsideItsRetention(t *testing.T) {
	f := newBackupFixture(t)
	f.vault(t, f.east, "prod-vault")
	if err := f.lock(f.east, "prod-vault", aws.Int64(7), aws.Int64(35), aws.Int64(3)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		deleteAfter *int64
		wantState   backuptypes.BackupJobState
		wantMessage string
	}{
		{"below the minimum", aws.Int64(1), backuptypes.BackupJobStateFailed, "shorter than the minimum retention period"},
		{"above the maximum", aws.Int64(100), backuptypes.BackupJobStateFailed, "longer than the maximum retention period"},
		{"forever", nil, backuptypes.BackupJobStateFailed, "longer than the maximum retention period"},
		{"inside", aws.Int64(14), backuptypes.BackupJobStateCompleted, ""},
	}
	ids := make([]string, len(cases))
	for i, tc := range cases {
		ids[i] = f.onDemand(t, "prod-vault", tc.deleteAfter)
		f.sim.Settle(time.Hour) // one job per resource at a time
	}
	for i, tc := range cases {
		j := f.job(t, ids[i])
		if j.State != tc.wantState || !strings.Contains(aws.ToString(j.StatusMessage), tc.wantMessage) {
			t.Errorf("%s: state %s message %q, want %s with %q", tc.name, j.State, aws.ToString(j.StatusMessage), tc.wantState, tc.wantMessage)
		}
	}
	points, err := f.east.ListRecoveryPointsByBackupVault(context.Background(), &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String("prod-vault")})
	if err != nil {
		t.Fatal(err)
	}
	if len(points.RecoveryPoints) != 1 || aws.ToInt64(points.RecoveryPoints[0].Lifecycle.DeleteAfterDays) != 14 {
		t.Errorf("recovery points in the vault: %d, want only the 14-day one", len(points.RecoveryPoints))
	}
}

// A locked vault refuses to delete its recovery points, a vault with
// recovery points cannot be deleted, and an empty vault can, lock or not.
func TestLockedVaultProtectsItsRecoveryPoints(t *testing.T) {
	f := newBackupFixture(t)
	ctx := context.Background()
	f.vault(t, f.east, "prod-vault")
	id := f.onDemand(t, "prod-vault", aws.Int64(14))
	f.sim.Settle(time.Hour)
	rp := aws.ToString(f.job(t, id).RecoveryPointArn)
	if err := f.lock(f.east, "prod-vault", aws.Int64(7), nil, nil); err != nil {
		t.Fatal(err)
	}
	var refused *backuptypes.InvalidRequestException
	_, err := f.east.DeleteRecoveryPoint(ctx, &backup.DeleteRecoveryPointInput{BackupVaultName: aws.String("prod-vault"), RecoveryPointArn: aws.String(rp)})
	if !errors.As(err, &refused) {
		t.Errorf("deleting a recovery point in a locked vault: got %v, want InvalidRequestException", err)
	}
	_, err = f.east.DeleteBackupVault(ctx, &backup.DeleteBackupVaultInput{BackupVaultName: aws.String("prod-vault")})
	if !errors.As(err, &refused) {
		t.Errorf("deleting a vault with a recovery point: got %v, want InvalidRequestException", err)
	}

	f.vault(t, f.east, "empty-vault")
	if err := f.lock(f.east, "empty-vault", aws.Int64(7), nil, aws.Int64(3)); err != nil {
		t.Fatal(err)
	}
	f.sim.Advance(4 * 24 * time.Hour)
	f.sim.DrainEvents()
	if _, err := f.east.DeleteBackupVault(ctx, &backup.DeleteBackupVaultInput{BackupVaultName: aws.String("empty-vault")}); err != nil {
		t.Errorf("deleting an empty vault past its lock date: %v", err)
	}
	var got []string
	for _, e := range f.sim.DrainEvents() {
		var env struct {
			Detail struct{ BackupVaultName, State string } `json:"detail"`
		}
		if err := json.Unmarshal(e.JSON, &env); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s", e.DetailType, env.Detail.BackupVaultName, env.Detail.State))
	}
	if diff := cmp.Diff([]string{"Backup Vault State Change empty-vault DELETED"}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	_, err = f.east.DescribeBackupVault(ctx, &backup.DescribeBackupVaultInput{BackupVaultName: aws.String("empty-vault")})
	var notFound *backuptypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("describing a deleted vault: got %v, want ResourceNotFoundException", err)
	}
}

func TestCreateBackupVaultIsIdempotentByRequestID(t *testing.T) {
	f := newBackupFixture(t)
	ctx := context.Background()
	create := func(requestID string) (*backup.CreateBackupVaultOutput, error) {
		return f.east.CreateBackupVault(ctx, &backup.CreateBackupVaultInput{BackupVaultName: aws.String("prod-vault"), CreatorRequestId: aws.String(requestID)})
	}
	first, err := create("req-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := create("req-1")
	if err != nil || aws.ToString(again.BackupVaultArn) != aws.ToString(first.BackupVaultArn) {
		t.Errorf("retry with the same CreatorRequestId: %v, %v; want the same vault", again, err)
	}
	_, err = create("req-2")
	var exists *backuptypes.AlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("another request for the same name: got %v, want AlreadyExistsException", err)
	}
	for i := range 4 {
		f.vault(t, f.east, fmt.Sprintf("vault-%d", i))
	}
	pages := backup.NewListBackupVaultsPaginator(f.east, &backup.ListBackupVaultsInput{MaxResults: aws.Int32(2)})
	var names []string
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.BackupVaultList {
			names = append(names, aws.ToString(v.BackupVaultName))
		}
	}
	if diff := cmp.Diff([]string{"prod-vault", "vault-0", "vault-1", "vault-2", "vault-3"}, names); diff != "" {
		t.Errorf("vaults over pages (-want +got):\n%s", diff)
	}
}
