package awssim_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/awssim"
)

// ddbFixture is a sim with one ACTIVE table in us-east-1.
type ddbFixture struct {
	sim    *awssim.Sim
	client *dynamodb.Client
	table  string
}

// newDDBTable creates a table with partition key pk (S) and, when
// sortType is set, sort key sk of that type.
func newDDBTable(t testing.TB, sortType ddbtypes.ScalarAttributeType) ddbFixture {
	t.Helper()
	sim := awssim.New()
	client := dynamodb.NewFromConfig(sim.Config("us-east-1"))
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String("state"),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
	}
	if sortType != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String("sk"), AttributeType: sortType})
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange})
	}
	if _, err := client.CreateTable(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return ddbFixture{sim: sim, client: client, table: "state"}
}

func ddbS(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
func ddbN(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberN{Value: v} }

func apiErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestDynamoDBCreateTableValidatesAndRefusesDuplicates(t *testing.T) {
	sim := awssim.New()
	ctx := context.Background()
	client := dynamodb.NewFromConfig(sim.Config("us-east-1"))
	create := func(keyAttr string) error {
		_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String("ledger"),
			BillingMode:          ddbtypes.BillingModePayPerRequest,
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(keyAttr), KeyType: ddbtypes.KeyTypeHash}},
		})
		return err
	}
	if err := create("id"); apiErrorCode(err) != "ValidationException" {
		t.Errorf("key attribute without a definition: got %v, want ValidationException", err)
	}
	if err := create("pk"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("ledger"), Item: map[string]ddbtypes.AttributeValue{"pk": ddbS("a")}}); err != nil {
		t.Errorf("PutItem right after CreateTable: %v", err)
	}
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("ledger"), Item: map[string]ddbtypes.AttributeValue{"pk": ddbN("1")}})
	if apiErrorCode(err) != "ValidationException" || !strings.Contains(err.Error(), "Type mismatch for key pk") {
		t.Errorf("PutItem with a number key: got %v, want a type mismatch ValidationException", err)
	}
	var inUse *ddbtypes.ResourceInUseException
	if err := create("pk"); !errors.As(err, &inUse) {
		t.Errorf("second CreateTable: got %v, want ResourceInUseException", err)
	}
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("nope"), Item: map[string]ddbtypes.AttributeValue{"pk": ddbS("a")}})
	var notFound *ddbtypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("PutItem on a missing table: got %v, want ResourceNotFoundException", err)
	}
}

func TestDynamoDBListTablesPages(t *testing.T) {
	sim := awssim.New()
	ctx := context.Background()
	client := dynamodb.NewFromConfig(sim.Config("us-east-1"))
	want := []string{"alpha", "bravo", "charlie", "delta", "echo"}
	for _, name := range []string{"delta", "alpha", "echo", "charlie", "bravo"} {
		_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(name),
			BillingMode:          ddbtypes.BillingModePayPerRequest,
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pages := dynamodb.NewListTablesPaginator(client, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	var got []string
	var n int
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.TableNames...)
		n++
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	if n != 3 {
		t.Errorf("%d pages of at most 2 for 5 tables, want 3", n)
	}
}

func TestDynamoDBTags(t *testing.T) {
	f := newDDBTable(t, "")
	ctx := context.Background()
	desc, err := f.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(f.table)})
	if err != nil {
		t.Fatal(err)
	}
	arn := desc.Table.TableArn
	if _, err := f.client.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []ddbtypes.Tag{
		{Key: aws.String("team"), Value: aws.String("sre")}, {Key: aws.String("backup"), Value: aws.String("daily")},
	}}); err != nil {
		t.Fatal(err)
	}
	out, err := f.client.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tag := range out.Tags {
		got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if diff := cmp.Diff(map[string]string{"team": "sre", "backup": "daily"}, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	_, err = f.client.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/nope")})
	var notFound *ddbtypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("unknown ARN: got %v, want ResourceNotFoundException", err)
	}
}

// A conditional put on attribute_not_exists is how the state ledger claims
// an event exactly once: the second claim must fail and can show who won.
func TestDynamoDBConditionalPutIsIdempotent(t *testing.T) {
	f := newDDBTable(t, "")
	ctx := context.Background()
	claim := func(owner string) (*dynamodb.PutItemOutput, error) {
		return f.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                           aws.String(f.table),
			Item:                                map[string]ddbtypes.AttributeValue{"pk": ddbS("event#42"), "owner": ddbS(owner)},
			ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
			ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld,
		})
	}
	if _, err := claim("first"); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	_, err := claim("second")
	var failed *ddbtypes.ConditionalCheckFailedException
	if !errors.As(err, &failed) {
		t.Fatalf("second claim: got %v, want ConditionalCheckFailedException", err)
	}
	want := map[string]ddbtypes.AttributeValue{"pk": ddbS("event#42"), "owner": ddbS("first")}
	if diff := cmp.Diff(want, failed.Item, ddbCmp); diff != "" {
		t.Errorf("item returned with the failure (-want +got):\n%s", diff)
	}
	got, err := f.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: map[string]ddbtypes.AttributeValue{"pk": ddbS("event#42")}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if owner := got.Item["owner"].(*ddbtypes.AttributeValueMemberS).Value; owner != "first" {
		t.Errorf("owner after the refused claim is %q, want first", owner)
	}
}

func TestDynamoDBEventuallyConsistentReadsLag(t *testing.T) {
	f := newDDBTable(t, "")
	ctx := context.Background()
	f.sim.SetDynamoDBReadLag(time.Second)
	key := map[string]ddbtypes.AttributeValue{"pk": ddbS("k")}
	if _, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: map[string]ddbtypes.AttributeValue{"pk": ddbS("k"), "v": ddbS("1")}}); err != nil {
		t.Fatal(err)
	}
	get := func(consistent bool) map[string]ddbtypes.AttributeValue {
		out, err := f.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: key, ConsistentRead: aws.Bool(consistent)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	if item := get(false); item != nil {
		t.Errorf("eventually consistent read right after the write saw %v, want the item not yet visible", item)
	}
	if item := get(true); item == nil {
		t.Error("strongly consistent read right after the write saw nothing")
	}
	f.sim.Advance(time.Second)
	if item := get(false); item == nil {
		t.Error("eventually consistent read a second after the write saw nothing")
	}
}

func TestDynamoDBQueryPagination(t *testing.T) {
	f := newDDBTable(t, ddbtypes.ScalarAttributeTypeN)
	ctx := context.Background()
	for i := 1; i <= 25; i++ {
		for _, pk := range []string{"a", "b"} {
			if pk == "b" && i > 5 {
				continue
			}
			_, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: map[string]ddbtypes.AttributeValue{
				"pk": ddbS(pk), "sk": ddbN(fmt.Sprint(i)), "odd": &ddbtypes.AttributeValueMemberBOOL{Value: i%2 == 1},
			}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	query := func(in *dynamodb.QueryInput) (sks []string, pages int) {
		t.Helper()
		p := dynamodb.NewQueryPaginator(f.client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, item := range out.Items {
				sks = append(sks, item["sk"].(*ddbtypes.AttributeValueMemberN).Value)
			}
		}
		return sks, pages
	}
	between := func(forward bool, filter *string) *dynamodb.QueryInput {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(f.table),
			KeyConditionExpression:    aws.String("pk = :p AND sk BETWEEN :lo AND :hi"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":p": ddbS("a"), ":lo": ddbN("3"), ":hi": ddbN("22")},
			Limit:                     aws.Int32(7),
			ScanIndexForward:          aws.Bool(forward),
			FilterExpression:          filter,
		}
		if filter != nil {
			in.ExpressionAttributeValues[":t"] = &ddbtypes.AttributeValueMemberBOOL{Value: true}
		}
		return in
	}
	var want []string
	for i := 3; i <= 22; i++ {
		want = append(want, fmt.Sprint(i))
	}

	got, pages := query(between(true, nil))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sort keys ascending, numeric order (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("%d pages of Limit 7 for 20 items, want 3", pages)
	}

	got, _ = query(between(false, nil))
	for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
		want[i], want[j] = want[j], want[i]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sort keys with ScanIndexForward=false (-want +got):\n%s", diff)
	}

	// Limit counts items read, before the filter: a filtered page holds
	// fewer items than Limit, and the pages still cover everything.
	first, err := f.client.Query(ctx, between(true, aws.String("odd = :t")))
	if err != nil {
		t.Fatal(err)
	}
	if first.ScannedCount != 7 || first.Count != 4 || first.LastEvaluatedKey == nil {
		t.Errorf("first filtered page: ScannedCount %d Count %d LastEvaluatedKey %v, want 7, 4 (3, 5, 7, 9) and a key", first.ScannedCount, first.Count, first.LastEvaluatedKey)
	}
	got, _ = query(between(true, aws.String("odd = :t")))
	var odd []string
	for i := 3; i <= 22; i++ {
		if i%2 == 1 {
			odd = append(odd, fmt.Sprint(i))
		}
	}
	if diff := cmp.Diff(odd, got); diff != "" {
		t.Errorf("filtered query over all pages (-want +got):\n%s", diff)
	}

	_, err = f.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(f.table),
		KeyConditionExpression:    aws.String("sk = :v"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": ddbN("1")},
	})
	if code := apiErrorCode(err); code != "ValidationException" || !strings.Contains(err.Error(), "missed key schema element: pk") {
		t.Errorf("query without the partition key: got %v, want ValidationException naming pk", err)
	}
}

func TestDynamoDBPointInTimeRecovery(t *testing.T) {
	f := newDDBTable(t, "")
	ctx := context.Background()
	describe := func() *ddbtypes.PointInTimeRecoveryDescription {
		t.Helper()
		out, err := f.client.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(f.table)})
		if err != nil {
			t.Fatal(err)
		}
		return out.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	}
	if d := describe(); d.PointInTimeRecoveryStatus != ddbtypes.PointInTimeRecoveryStatusDisabled || d.LatestRestorableDateTime != nil {
		t.Errorf("new table: status %s latest %v, want DISABLED and no restorable time", d.PointInTimeRecoveryStatus, d.LatestRestorableDateTime)
	}

	enabledAt := f.sim.Now()
	if _, err := f.client.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
		TableName:                        aws.String(f.table),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)},
	}); err != nil {
		t.Fatal(err)
	}
	f.sim.Advance(2 * time.Hour)
	d := describe()
	now := f.sim.Now()
	if d.PointInTimeRecoveryStatus != ddbtypes.PointInTimeRecoveryStatusEnabled || aws.ToInt32(d.RecoveryPeriodInDays) != 35 {
		t.Errorf("enabled: status %s period %d, want ENABLED and the default 35 days", d.PointInTimeRecoveryStatus, aws.ToInt32(d.RecoveryPeriodInDays))
	}
	if !d.EarliestRestorableDateTime.Equal(enabledAt) {
		t.Errorf("earliest restorable %v, want when PITR was enabled, %v", d.EarliestRestorableDateTime, enabledAt)
	}
	if lag := now.Sub(*d.LatestRestorableDateTime); lag != 5*time.Minute {
		t.Errorf("latest restorable trails the clock by %v, want 5m", lag)
	}

	// The window is at most RecoveryPeriodInDays long.
	if _, err := f.client.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
		TableName:                        aws.String(f.table),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(1)},
	}); err != nil {
		t.Fatal(err)
	}
	f.sim.AdvanceTo(f.sim.Now().Add(48 * time.Hour))
	d = describe()
	if got := f.sim.Now().Sub(*d.EarliestRestorableDateTime); got != 24*time.Hour {
		t.Errorf("window with RecoveryPeriodInDays 1 is %v, want 24h", got)
	}

	// A stall freezes the latest restorable time while the clock runs on.
	if err := f.sim.StallDynamoDBPITR("us-east-1", f.table, true); err != nil {
		t.Fatal(err)
	}
	frozen := *describe().LatestRestorableDateTime
	f.sim.Advance(time.Hour)
	if got := *describe().LatestRestorableDateTime; !got.Equal(frozen) {
		t.Errorf("stalled latest restorable moved from %v to %v", frozen, got)
	}
	if lag := f.sim.Now().Sub(frozen); lag < time.Hour {
		t.Errorf("stalled lag %v, want over an hour", lag)
	}

	for _, days := range []int32{0, 36} {
		_, err := f.client.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
			TableName:                        aws.String(f.table),
			PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(days)},
		})
		if apiErrorCode(err) != "ValidationException" {
			t.Errorf("RecoveryPeriodInDays %d: got %v, want ValidationException", days, err)
		}
	}

	if _, err := f.client.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
		TableName:                        aws.String(f.table),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(false)},
	}); err != nil {
		t.Fatal(err)
	}
	if d := describe(); d.PointInTimeRecoveryStatus != ddbtypes.PointInTimeRecoveryStatusDisabled || d.EarliestRestorableDateTime != nil {
		t.Errorf("disabled: status %s earliest %v, want DISABLED and no window", d.PointInTimeRecoveryStatus, d.EarliestRestorableDateTime)
	}
}

func TestDynamoDBTTLExpiresItems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
	}{{"deleted at expiry", 0}, {"deleted after a delay", 2 * time.Hour}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newDDBTable(t, "")
			ctx := context.Background()
			f.sim.SetDynamoDBTTLDelay(tc.delay)
			if _, err := f.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
				TableName:               aws.String(f.table),
				TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)},
			}); err != nil {
				t.Fatal(err)
			}
			now := f.sim.Now()
			items := map[string]string{
				"soon":         fmt.Sprint(now.Add(time.Minute).Unix()),
				"later":        fmt.Sprint(now.Add(24 * time.Hour).Unix()),
				"ancient":      fmt.Sprint(now.AddDate(-6, 0, 0).Unix()), // over five years: ignored by TTL
				"not-a-number": "",
			}
			for pk, ttl := range items {
				item := map[string]ddbtypes.AttributeValue{"pk": ddbS(pk)}
				if ttl != "" {
					item["expiresAt"] = ddbN(ttl)
				} else {
					item["expiresAt"] = ddbS("tomorrow")
				}
				if _, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: item}); err != nil {
					t.Fatal(err)
				}
			}
			exists := func(pk string) bool {
				out, err := f.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: map[string]ddbtypes.AttributeValue{"pk": ddbS(pk)}, ConsistentRead: aws.Bool(true)})
				if err != nil {
					t.Fatal(err)
				}
				return out.Item != nil
			}
			f.sim.Advance(2 * time.Minute)
			if got := exists("soon"); got != (tc.delay > 0) {
				t.Errorf("expired item readable = %v a minute after expiry with delay %v", got, tc.delay)
			}
			f.sim.Advance(tc.delay)
			for pk, want := range map[string]bool{"soon": false, "later": true, "ancient": true, "not-a-number": true} {
				if got := exists(pk); got != want {
					t.Errorf("%s exists = %v after expiry and delay, want %v", pk, got, want)
				}
			}
			_, err := f.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
				TableName:               aws.String(f.table),
				TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(false)},
			})
			if tc.delay < time.Hour && apiErrorCode(err) != "ValidationException" {
				t.Errorf("second TTL change within an hour: got %v, want ValidationException", err)
			}
		})
	}
}
