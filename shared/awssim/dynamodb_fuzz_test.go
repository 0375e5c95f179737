package awssim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FuzzDynamoDBExpressions feeds arbitrary condition and update expressions
// to the sim: each must succeed, fail its condition, or be refused with a
// ValidationException, and never crash the sim.
func FuzzDynamoDBExpressions(f *testing.F) {
	for _, seed := range [][2]string{
		{"attribute_not_exists(pk)", "SET a = :v"},
		{"(#n = :v OR size(l) > :v) AND NOT begins_with(s, :v)", "SET c = if_not_exists(c, :v) + :v REMOVE l[0]"},
		{"n BETWEEN :v AND :v", "ADD n :v DELETE ss :v"},
		{"l[1].x.y IN (:v, :v)", "SET l = list_append(l, l), m.k = :v"},
		{"contains(ss, :v) AND attribute_type(n, :v)", "SET #n = #n - :v"},
	} {
		f.Add(seed[0], seed[1])
	}
	fx := newDDBTable(f, "")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, condition, update string) {
		item := map[string]ddbtypes.AttributeValue{
			"pk": ddbS("k"), "n": ddbN("1"), "s": ddbS("x"),
			"l":  &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{ddbN("1"), &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"x": ddbS("y")}}}},
			"ss": &ddbtypes.AttributeValueMemberSS{Value: []string{"a"}},
			"m":  &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{}},
		}
		if _, err := fx.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(fx.table), Item: item}); err != nil {
			t.Fatal(err)
		}
		_, err := fx.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(fx.table), Key: map[string]ddbtypes.AttributeValue{"pk": ddbS("k")},
			ConditionExpression: aws.String(condition), UpdateExpression: aws.String(update),
			ExpressionAttributeNames:  map[string]string{"#n": "n"},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": ddbN("1")},
		})
		var failed *ddbtypes.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &failed) && apiErrorCode(err) != "ValidationException" {
			t.Errorf("condition %q update %q: %v", condition, update, err)
		}
	})
}
