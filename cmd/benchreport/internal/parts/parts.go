package parts

import "strings"

const sdk = "github.com/aws/aws-sdk-go-v2/"

// Names of the parts that are not per service.
const (
	GoStd   = "Go runtime and standard library"
	SDKCore = "SDK core (aws-sdk-go-v2, smithy-go)"
	Lambda  = "aws-lambda-go"
	Own     = "selfheal"
	Other   = "other modules"
)

// Of returns the part of an import path.
func Of(pkg string) string {
	switch {
	case strings.HasPrefix(pkg, sdk+"service/internal/"):
		return SDKCore
	case strings.HasPrefix(pkg, sdk+"service/"):
		svc, _, _ := strings.Cut(strings.TrimPrefix(pkg, sdk+"service/"), "/")
		return "SDK service " + svc
	case strings.HasPrefix(pkg, sdk), strings.HasPrefix(pkg, "github.com/aws/smithy-go"):
		return SDKCore
	case strings.HasPrefix(pkg, "github.com/aws/aws-lambda-go"):
		return Lambda
	case strings.HasPrefix(pkg, "github.com/selfheal/selfheal"), pkg == "main":
		return Own
	case !strings.Contains(strings.SplitN(pkg, "/", 2)[0], "."):
		return GoStd
	}
	return Other
}

// OfSymbol returns the part of a linker symbol ("type:*net/http.Client",
// "github.com/aws/aws-sdk-go-v2/service/ec2.(*Client).DescribeInstances",
// "go:func.*"): the package is the name up to the first dot after its last
// slash.
func OfSymbol(sym string) string {
	sym = strings.TrimPrefix(sym, "type:")
	sym = strings.TrimLeft(sym, "*[]")
	if strings.HasPrefix(sym, "go:") || strings.HasPrefix(sym, "runtime.") {
		return GoStd
	}
	slash := strings.LastIndex(sym, "/")
	dot := strings.Index(sym[slash+1:], ".")
	if dot < 0 {
		return GoStd
	}
	return Of(sym[:slash+1+dot])
}
