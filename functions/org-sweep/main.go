// Command org-sweep runs the organization sweep's tasks for its state
// machine: list, sweep an account-region, record a failure, digest (shared/orgtasks).
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/handler"
	"github.com/selfheal/selfheal/shared/orgtasks"
)

func main() {
	cfg, err := config.FromEnv()
	if err == nil {
		deps := handler.NewDeps("org-sweep", cfg, awsapi.LambdaConfig(cfg.Region), os.Stdout, time.Now)
		var h *orgtasks.Handler
		if h, err = orgtasks.New(deps, organizations.NewFromConfig(deps.AWS)); err == nil {
			lambda.Start(h.Handle)
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
