package awssim_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

func (f ddbFixture) get(t *testing.T, pk string) ddbItem {
	t.Helper()
	out, err := f.client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: ddbItem{"pk": ddbS(pk)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// All or nothing: one failed condition cancels every action, and the
// reasons say which, in request order, with the old item when asked.
func TestDynamoDBTransactWriteItemsIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	f := newDDBTable(t, "")
	f.putItems(t, f.table, ddbItem{"pk": ddbS("a"), "v": ddbN("1")}, ddbItem{"pk": ddbS("gone"), "v": ddbN("9")})
	tx := func(wantV string) *dynamodb.TransactWriteItemsInput {
		return &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
			{Put: &ddbtypes.Put{TableName: aws.String(f.table), Item: ddbItem{"pk": ddbS("b"), "v": ddbN("2")}}},
			{Update: &ddbtypes.Update{TableName: aws.String(f.table), Key: ddbItem{"pk": ddbS("a")},
				UpdateExpression: aws.String("SET v = :new"), ConditionExpression: aws.String("v = :want"),
				ExpressionAttributeValues:           map[string]ddbtypes.AttributeValue{":new": ddbN("3"), ":want": ddbN(wantV)},
				ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld}},
			{Delete: &ddbtypes.Delete{TableName: aws.String(f.table), Key: ddbItem{"pk": ddbS("gone")}}},
			{ConditionCheck: &ddbtypes.ConditionCheck{TableName: aws.String(f.table), Key: ddbItem{"pk": ddbS("c")},
				ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		}}
	}
	_, err := f.client.TransactWriteItems(ctx, tx("7"))
	var cancelled *ddbtypes.TransactionCanceledException
	if !errors.As(err, &cancelled) {
		t.Fatalf("failed condition: %v, want TransactionCanceledException", err)
	}
	var codes []string
	for _, r := range cancelled.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if diff := cmp.Diff([]string{"None", "ConditionalCheckFailed", "None", "None"}, codes); diff != "" {
		t.Errorf("cancellation reasons (-want +got):\n%s", diff)
	}
	if old := cancelled.CancellationReasons[1].Item; old["v"].(*ddbtypes.AttributeValueMemberN).Value != "1" {
		t.Errorf("the failed action's old item: %v", old)
	}
	if f.get(t, "b") != nil || f.get(t, "gone") == nil || f.get(t, "a")["v"].(*ddbtypes.AttributeValueMemberN).Value != "1" {
		t.Fatal("a cancelled transaction wrote something")
	}
	if _, err := f.client.TransactWriteItems(ctx, tx("1")); err != nil {
		t.Fatalf("transaction whose conditions hold: %v", err)
	}
	if f.get(t, "b") == nil || f.get(t, "gone") != nil || f.get(t, "a")["v"].(*ddbtypes.AttributeValueMemberN).Value != "3" || f.get(t, "c") != nil {
		t.Error("a committed transaction did not apply every action (and only them)")
	}
}

func TestDynamoDBTransactWriteItemsRefusesMalformedRequests(t *testing.T) {
	ctx := context.Background()
	f := newDDBTable(t, "")
	put := func(pk string) ddbtypes.TransactWriteItem {
		return ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(f.table), Item: ddbItem{"pk": ddbS(pk)}}}
	}
	many := make([]ddbtypes.TransactWriteItem, 101)
	for i := range many {
		many[i] = put(strings.Repeat("x", i+1))
	}
	tests := []struct {
		name  string
		items []ddbtypes.TransactWriteItem
		want  string
	}{
		{"two actions on one item", []ddbtypes.TransactWriteItem{put("a"), {Delete: &ddbtypes.Delete{TableName: aws.String(f.table), Key: ddbItem{"pk": ddbS("a")}}}}, "multiple operations on one item"},
		{"over 100 actions", many, "less than or equal to 100"},
		{"two kinds in one action", []ddbtypes.TransactWriteItem{{Put: put("a").Put, Delete: &ddbtypes.Delete{TableName: aws.String(f.table), Key: ddbItem{"pk": ddbS("a")}}}}, "only contain one of"},
		{"unused value", []ddbtypes.TransactWriteItem{{Put: &ddbtypes.Put{TableName: aws.String(f.table), Item: ddbItem{"pk": ddbS("a")},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":x": ddbS("x")}}}}, "ExpressionAttributeValues"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tt.items})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a ValidationException saying %q", err, tt.want)
			}
			if f.get(t, "a") != nil {
				t.Error("a refused transaction wrote an item")
			}
		})
	}
}
