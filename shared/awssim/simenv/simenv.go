package simenv

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/state"
)

// Names of the deployment's own resources, as the CDK app names them.
const (
	TableName = "selfheal-state"
	TopicName = "selfheal-notifications"
	QueueName = "selfheal-dead-letter"
)

// Env is one regional selfheal deployment on a simulated account.
type Env struct {
	Sim    *awssim.Sim
	Region string
	Config config.Config
}

// New creates the deployment's table, topic and queue in region and
// returns its configuration with policy. regions are the regions the sweep
// covers (region alone when empty).
func New(ctx context.Context, sim *awssim.Sim, region string, policy config.Policy, regions ...string) (*Env, error) {
	cfg := sim.Config(region)
	_, err := dynamodb.NewFromConfig(cfg).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(TableName),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange},
		},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		return nil, fmt.Errorf("create state table: %w", err)
	}
	_, err = dynamodb.NewFromConfig(cfg).UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(TableName),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
			AttributeName: aws.String(state.TTLAttribute), Enabled: aws.Bool(true),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("enable TTL on the state table: %w", err)
	}
	// The CDK app keeps the table restorable to any second (infra/stack.go);
	// without it the sweep would rightly report selfheal's own table.
	_, err = dynamodb.NewFromConfig(cfg).UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
		TableName:                        aws.String(TableName),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("enable PITR on the state table: %w", err)
	}
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(TopicName)})
	if err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	queue, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(QueueName)})
	if err != nil {
		return nil, fmt.Errorf("create queue: %w", err)
	}
	if len(regions) == 0 {
		regions = []string{region}
	}
	return &Env{
		Sim:    sim,
		Region: region,
		Config: config.Config{
			Region:    region,
			Regions:   regions,
			TopicARN:  aws.ToString(topic.TopicArn),
			TableName: TableName,
			QueueURL:  aws.ToString(queue.QueueUrl),
			Policy:    policy,
		},
	}, nil
}

// Deps builds a function's dependencies on the sim, exactly as its Lambda
// main does on AWS: same config, real SDK clients, the sim's clock.
// out receives the function's log line and EMF records.
func (e *Env) Deps(function string, out io.Writer) handler.Deps {
	return handler.NewDeps(function, e.Config, e.Sim.Config(e.Region), out, e.Sim.Now, handler.WithSleep(e.Sim.Sleep))
}
