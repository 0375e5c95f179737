// Command compliance-sweep audits the whole account on a schedule: overdue
// cross-region copies, vaults, plans, recovery points, PITR and Auto
// Scaling posture, with a digest per run (shared/sweep).
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/sweep"
)

func main() {
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	deps := handler.NewDeps("compliance-sweep", cfg, awsapi.LambdaConfig(cfg.Region), os.Stdout, time.Now)
	lambda.Start(deps.BoundaryFor(func(d handler.Deps) handler.Processor { return sweep.New(d) }, sweep.Kinds...).Handle)
}
