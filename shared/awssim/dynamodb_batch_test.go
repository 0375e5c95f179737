package awssim_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/shared/awssim"
)

type ddbItem = map[string]ddbtypes.AttributeValue

// putItems writes items to the fixture's table.
func (f ddbFixture) putItems(t *testing.T, table string, items ...ddbItem) {
	t.Helper()
	for _, it := range items {
		if _, err := f.client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
}

// pkKeys are keys of a pk-only table.
func pkKeys(pks ...string) []ddbItem {
	out := make([]ddbItem, len(pks))
	for i, pk := range pks {
		out[i] = ddbItem{"pk": ddbS(pk)}
	}
	return out
}

// pks lists the pk of items, sorted: BatchGetItem answers in no order.
func pks(items []ddbItem) []string {
	out := []string{}
	for _, it := range items {
		if s, ok := it["pk"].(*ddbtypes.AttributeValueMemberS); ok {
			out = append(out, s.Value)
		}
	}
	sort.Strings(out)
	return out
}

func TestDynamoDBBatchGetItemReadsSeveralTables(t *testing.T) {
	ctx := context.Background()
	f := newDDBTable(t, "")
	_, err := f.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String("ledger"),
		BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeN},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.putItems(t, "state",
		ddbItem{"pk": ddbS("a"), "status": ddbS("FAIL"), "owner": ddbS("ops")},
		ddbItem{"pk": ddbS("b"), "status": ddbS("PASS"), "owner": ddbS("dev")},
	)
	f.putItems(t, "ledger", ddbItem{"pk": ddbS("g"), "sk": ddbN("2"), "az": ddbS("use1-az1")})

	out, err := f.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{
		// Asked in reverse, with a key that has no item.
		"state": {
			Keys:                     pkKeys("missing", "b", "a"),
			ProjectionExpression:     aws.String("pk, #s"),
			ExpressionAttributeNames: map[string]string{"#s": "status"},
			ConsistentRead:           aws.Bool(true),
		},
		"ledger": {Keys: []ddbItem{{"pk": ddbS("g"), "sk": ddbN("2")}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out.Responses["state"], func(i, j int) bool {
		return out.Responses["state"][i]["pk"].(*ddbtypes.AttributeValueMemberS).Value < out.Responses["state"][j]["pk"].(*ddbtypes.AttributeValueMemberS).Value
	})
	want := map[string][]ddbItem{
		"state": {
			{"pk": ddbS("a"), "status": ddbS("FAIL")},
			{"pk": ddbS("b"), "status": ddbS("PASS")},
		},
		"ledger": {{"pk": ddbS("g"), "sk": ddbN("2"), "az": ddbS("use1-az1")}},
	}
	if diff := cmp.Diff(want, out.Responses, cmpopts.IgnoreUnexported(ddbtypes.AttributeValueMemberS{}, ddbtypes.AttributeValueMemberN{})); diff != "" {
		t.Errorf("responses (-want +got):\n%s", diff)
	}
	if out.UnprocessedKeys == nil || len(out.UnprocessedKeys) != 0 {
		t.Errorf("unprocessed keys %v, want an empty map", out.UnprocessedKeys)
	}
}

func TestDynamoDBBatchGetItemRefusesInvalidRequests(t *testing.T) {
	ctx := context.Background()
	f := newDDBTable(t, "")
	arn := fmt.Sprintf("arn:aws:dynamodb:us-east-1:%s:table/state", awssim.DefaultAccountID)
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("k%03d", i)
	}
	tests := []struct {
		name     string
		req      map[string]ddbtypes.KeysAndAttributes
		code     string
		contains string
	}{
		{"more than 100 keys", map[string]ddbtypes.KeysAndAttributes{"state": {Keys: pkKeys(many...)}},
			"ValidationException", "Too many items requested for the BatchGetItem call"},
		{"more than 100 keys over two tables", map[string]ddbtypes.KeysAndAttributes{
			"state": {Keys: pkKeys(many[:60]...)}, "other": {Keys: pkKeys(many[60:]...)}},
			"ValidationException", "Too many items requested"},
		{"a key twice", map[string]ddbtypes.KeysAndAttributes{"state": {Keys: pkKeys("a", "b", "a")}},
			"ValidationException", "Provided list of item keys contains duplicates"},
		{"a table by name and by ARN", map[string]ddbtypes.KeysAndAttributes{"state": {Keys: pkKeys("a")}, arn: {Keys: pkKeys("b")}},
			"ValidationException", "duplicates"},
		{"a key of the wrong shape", map[string]ddbtypes.KeysAndAttributes{"state": {Keys: []ddbItem{{"pk": ddbS("a"), "sk": ddbS("x")}}}},
			"ValidationException", "The provided key element does not match the schema"},
		{"a name placeholder nobody uses", map[string]ddbtypes.KeysAndAttributes{"state": {
			Keys: pkKeys("a"), ProjectionExpression: aws.String("pk"), ExpressionAttributeNames: map[string]string{"#s": "status"}}},
			"ValidationException", "unused in expressions"},
		{"names without a projection", map[string]ddbtypes.KeysAndAttributes{"state": {
			Keys: pkKeys("a"), ExpressionAttributeNames: map[string]string{"#s": "status"}}},
			"ValidationException", "ExpressionAttributeNames can only be specified when using expressions"},
		{"the legacy AttributesToGet", map[string]ddbtypes.KeysAndAttributes{"state": {Keys: pkKeys("a"), AttributesToGet: []string{"pk"}}},
			"ValidationException", "AttributesToGet"},
		{"no tables", map[string]ddbtypes.KeysAndAttributes{},
			"ValidationException", "requestItems"},
		{"a table that does not exist", map[string]ddbtypes.KeysAndAttributes{"nope": {Keys: pkKeys("a")}},
			"ResourceNotFoundException", "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: tt.req})
			if apiErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("got %v, want %s containing %q", err, tt.code, tt.contains)
			}
		})
	}
}

// drain asks for keys until DynamoDB has answered them all, as a caller
// must, and returns every item read and how many calls it took.
func drain(t *testing.T, client *dynamodb.Client, req map[string]ddbtypes.KeysAndAttributes) ([]ddbItem, []*dynamodb.BatchGetItemOutput) {
	t.Helper()
	var items []ddbItem
	var outs []*dynamodb.BatchGetItemOutput
	for len(req) > 0 {
		if len(outs) == 50 {
			t.Fatalf("keys still unprocessed after %d calls", len(outs))
		}
		out, err := client.BatchGetItem(context.Background(), &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
		items = append(items, out.Responses["state"]...)
		req = out.UnprocessedKeys
	}
	return items, outs
}

// A response carries at most 16 MB; the keys beyond come back unprocessed
// and a second call reads them.
func TestDynamoDBBatchGetItemStopsAt16MB(t *testing.T) {
	f := newDDBTable(t, "")
	var keys []string
	for i := range 100 {
		k := fmt.Sprintf("big-%03d", i)
		keys = append(keys, k)
		f.putItems(t, "state", ddbItem{"pk": ddbS(k), "blob": ddbS(strings.Repeat("x", 300*1024))})
	}
	items, outs := drain(t, f.client, map[string]ddbtypes.KeysAndAttributes{"state": {Keys: pkKeys(keys...)}})
	first := outs[0]
	if len(outs) < 2 || len(first.UnprocessedKeys["state"].Keys) == 0 {
		t.Fatalf("100 items of 300 KB came back in %d call(s); a response stops at 16 MB", len(outs))
	}
	if got := len(first.Responses["state"]) + len(first.UnprocessedKeys["state"].Keys); got != 100 {
		t.Errorf("first response: %d read + %d unprocessed, want 100 in all", len(first.Responses["state"]), len(first.UnprocessedKeys["state"].Keys))
	}
	if n := len(first.Responses["state"]); n*300*1024 > 16<<20 {
		t.Errorf("first response carries %d items of 300 KB, more than 16 MB", n)
	}
	if diff := cmp.Diff(keys, pks(items)); diff != "" {
		t.Errorf("items read over all calls (-want +got):\n%s", diff)
	}
}

// Keys left unprocessed come back in the form of the request, projection
// and consistency included, so that resubmitting them reads each item
// once; a call of which nothing could be processed fails as throttled.
func TestDynamoDBBatchGetItemUnprocessedKeys(t *testing.T) {
	f := newDDBTable(t, "")
	var keys []string
	for i := range 100 {
		k := fmt.Sprintf("k%03d", i)
		keys = append(keys, k)
		f.putItems(t, "state", ddbItem{"pk": ddbS(k), "status": ddbS("PASS"), "other": ddbS("x")})
	}
	f.sim.SetDynamoDBUnprocessedKeys(0.4)
	req := ddbtypes.KeysAndAttributes{
		Keys: pkKeys(keys...), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("pk, #s"), ExpressionAttributeNames: map[string]string{"#s": "status"},
	}
	items, outs := drain(t, f.client, map[string]ddbtypes.KeysAndAttributes{"state": req})
	left := outs[0].UnprocessedKeys["state"]
	if len(outs) < 2 || len(left.Keys) == 0 {
		t.Fatalf("every key processed at once in %d call(s) with 40%% unprocessed", len(outs))
	}
	if !aws.ToBool(left.ConsistentRead) || aws.ToString(left.ProjectionExpression) != "pk, #s" || left.ExpressionAttributeNames["#s"] != "status" {
		t.Errorf("unprocessed keys lost the request's form: %+v", left)
	}
	if diff := cmp.Diff(keys, pks(items)); diff != "" {
		t.Errorf("items read over all calls (-want +got):\n%s", diff)
	}
	for _, it := range items {
		if _, ok := it["other"]; ok {
			t.Fatalf("a resubmitted key lost its projection: %v", it)
		}
	}

	f.sim.SetDynamoDBUnprocessedKeys(1)
	_, err := f.client.BatchGetItem(context.Background(), &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{"state": {Keys: pkKeys("k001")}}})
	var pte *ddbtypes.ProvisionedThroughputExceededException
	if !errors.As(err, &pte) {
		t.Errorf("nothing processable: got %v, want ProvisionedThroughputExceededException", err)
	}
	if got := len(f.sim.Calls()); f.sim.Calls()[got-1].Attempt != awssim.MaxAttempts {
		t.Errorf("the SDK gave up after attempt %d, want %d: the error is throttling, retried", f.sim.Calls()[got-1].Attempt, awssim.MaxAttempts)
	}
}

// An eventually consistent batch read may miss a recent write, as GetItem
// may; a strongly consistent one may not.
func TestDynamoDBBatchGetItemConsistency(t *testing.T) {
	f := newDDBTable(t, "")
	f.sim.SetDynamoDBReadLag(time.Second)
	f.putItems(t, "state", ddbItem{"pk": ddbS("a"), "v": ddbN("1")})
	f.sim.Advance(time.Second)
	f.putItems(t, "state", ddbItem{"pk": ddbS("a"), "v": ddbN("2")})
	read := func(consistent bool) string {
		out, err := f.client.BatchGetItem(context.Background(), &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{
			"state": {Keys: pkKeys("a"), ConsistentRead: aws.Bool(consistent)}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Responses["state"][0]["v"].(*ddbtypes.AttributeValueMemberN).Value
	}
	if got := read(false); got != "1" {
		t.Errorf("eventually consistent read right after the write saw v=%s, want the previous 1", got)
	}
	if got := read(true); got != "2" {
		t.Errorf("strongly consistent read saw v=%s, want 2", got)
	}
}
