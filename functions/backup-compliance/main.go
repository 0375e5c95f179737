// Command backup-compliance checks every AWS Backup job, copy job, recovery
// point and vault event against the compliance policy (shared/compliance).
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
)

func main() {
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	deps := handler.NewDeps("backup-compliance", cfg, awsapi.LambdaConfig(cfg.Region), os.Stdout, time.Now)
	lambda.Start(deps.BoundaryFor(func(d handler.Deps) handler.Processor { return compliance.New(d) }, compliance.Kinds...).Handle)
}
