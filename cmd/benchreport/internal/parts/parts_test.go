package parts_test

import (
	"testing"

	"github.com/selfheal/selfheal/cmd/benchreport/internal/parts"
)

func TestOf(t *testing.T) {
	for pkg, want := range map[string]string{
		"runtime":                      parts.GoStd,
		"net/http":                     parts.GoStd,
		"crypto/internal/fips140/drbg": parts.GoStd,
		"github.com/aws/aws-sdk-go-v2/service/ec2":               "SDK service ec2",
		"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas":  "SDK service dynamodb",
		"github.com/aws/aws-sdk-go-v2/service/internal/checksum": parts.SDKCore,
		"github.com/aws/aws-sdk-go-v2/aws/retry":                 parts.SDKCore,
		"github.com/aws/smithy-go/middleware":                    parts.SDKCore,
		"github.com/aws/aws-lambda-go/lambda":                    parts.Lambda,
		"github.com/selfheal/selfheal/shared/rebalance":          parts.Own,
		"github.com/google/go-cmp/cmp":                           parts.Other,
	} {
		if got := parts.Of(pkg); got != want {
			t.Errorf("Of(%q) = %q, want %q", pkg, got, want)
		}
	}
}

func TestOfSymbol(t *testing.T) {
	for sym, want := range map[string]string{
		"github.com/aws/aws-sdk-go-v2/service/ec2.(*Client).DescribeInstances": "SDK service ec2",
		"type:*github.com/aws/aws-sdk-go-v2/service/sns.Client":                "SDK service sns",
		"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas.init.0":         "SDK service dynamodb",
		"type:[]github.com/selfheal/selfheal/shared/notify.Finding":            parts.Own,
		"go:func.*":             parts.GoStd,
		"runtime.pclntab":       parts.GoStd,
		"net/http.(*Client).Do": parts.GoStd,
		"main.main":             parts.Own,
	} {
		if got := parts.OfSymbol(sym); got != want {
			t.Errorf("OfSymbol(%q) = %q, want %q", sym, got, want)
		}
	}
}
