//go:build e2e

package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/selfheal/selfheal/e2e/motoserver"
	"github.com/selfheal/selfheal/internal/lambdarie"
)

// The suite's account and region: the account moto serves and the
// emulator names in function ARNs; the region the emulator names too.
const (
	account = motoserver.Account
	region  = "us-east-1"
)

// Each caller signs with its own access key id (20 characters, as moto
// expects), so the proxy's log says who made each call.
const (
	keyHarness   = "AKIASELFHEALE2ETESTS"
	keyFunctions = "AKIASELFHEALFUNCTION"
	keyCDK       = "AKIASELFHEALCDKCLI00"
	fakeSecret   = "e2e/not-a-secret/wJalrXUtnFEMIK7MDENG"
)

var moto *motoserver.Server

// root is the repository's root (tests run in e2e/).
var root = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Dir(wd)
}()

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	start := time.Now()
	srv, err := motoserver.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer srv.Stop()
	moto = srv
	code := m.Run()
	stopFunctions()
	report.print(os.Stdout, srv.Log(), time.Since(start))
	if code != 0 {
		fmt.Fprintf(os.Stderr, "e2e: moto_server's log ends:\n%s\n", lambdarie.Tail([]byte(srv.Stderr()), 40))
	}
	return code
}

// harness is the test harness's own AWS configuration: moto through the
// proxy, static fake credentials, the SDK's standard retryer with a short
// backoff (moto does not throttle).
func harness() aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(moto.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(keyHarness, fakeSecret, ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = retry.BackoffDelayerFunc(shortBackoff) })
		},
	}
}

func shortBackoff(int, error) (time.Duration, error) { return 10 * time.Millisecond, nil }
