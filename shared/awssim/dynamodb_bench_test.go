package awssim_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BenchmarkDynamoDBConditionalPut is one idempotency claim through the
// real SDK client: serialization, signing, the sim's expression parser and
// the conditional write.
func BenchmarkDynamoDBConditionalPut(b *testing.B) {
	f := newDDBTable(b, "")
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                 aws.String(f.table),
			Item:                      map[string]ddbtypes.AttributeValue{"pk": ddbS(fmt.Sprint("event#", i)), "status": ddbS("IN_PROGRESS")},
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR (#s = :done AND attribute_exists(pk))"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":done": ddbS("DONE")},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDynamoDBQueryPage reads one page of 100 items out of a
// 1,000-item partition.
func BenchmarkDynamoDBQueryPage(b *testing.B) {
	f := newDDBTable(b, ddbtypes.ScalarAttributeTypeN)
	ctx := context.Background()
	for i := range 1000 {
		if _, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: map[string]ddbtypes.AttributeValue{
			"pk": ddbS("p"), "sk": ddbN(fmt.Sprint(i)),
		}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		_, err := f.client.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(f.table), KeyConditionExpression: aws.String("pk = :p AND sk >= :lo"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":p": ddbS("p"), ":lo": ddbN("450")},
			Limit:                     aws.Int32(100),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
