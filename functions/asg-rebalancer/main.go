// Command asg-rebalancer is the Lambda that moves Auto Scaling capacity out
// of an impaired Availability Zone and back; see shared/rebalance.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/rebalance"
)

func main() {
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	deps := handler.NewDeps("asg-rebalancer", cfg, awsapi.LambdaConfig(cfg.Region), os.Stdout, time.Now)
	lambda.Start(deps.BoundaryFor(func(d handler.Deps) handler.Processor { return rebalance.New(d) }, rebalance.Kinds...).Handle)
}
