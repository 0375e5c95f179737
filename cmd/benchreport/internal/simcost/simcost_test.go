package simcost_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
)

// BenchmarkCallOnSim: one call through a real SDK client answered by the
// sim — a state-table read (DynamoDB GetItem, the commonest call of the
// handlers) and a notification (SNS Publish, the largest request).
func BenchmarkCallOnSim(b *testing.B) {
	ctx := context.Background()
	sim := awssim.New()
	env, err := simenv.New(ctx, sim, "us-east-1", config.DefaultPolicy())
	if err != nil {
		b.Fatal(err)
	}
	cfg := sim.Config("us-east-1")
	db, topic := dynamodb.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	key := map[string]ddbtypes.AttributeValue{
		"pk": &ddbtypes.AttributeValueMemberS{Value: "event#asg-rebalancer#0f0e0d0c-0000-4000-8000-000000000001"},
		"sk": &ddbtypes.AttributeValueMemberS{Value: "claim"},
	}
	b.Run("dynamodb-GetItem", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(env.Config.TableName), Key: key, ConsistentRead: aws.Bool(true)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	msg := aws.String(`{"default":"{\"kind\":\"findings\",\"findings\":[{\"check\":\"VAULT_LOCK_PRESENT\",\"status\":\"FAIL\"}]}","email":"FAIL: backup vault nightly: Vault Lock missing"}`)
	b.Run("sns-Publish", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := topic.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(env.Config.TopicARN), Subject: aws.String("[selfheal] FAIL backup vault nightly"),
				Message: msg, MessageStructure: aws.String("json")}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
