package builds_test

import (
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/cmd/benchreport/internal/builds"
)

// The floor program is valid Go that imports exactly aws-lambda-go and the
// given services (and what the handler's signature needs).
func TestFloorSource(t *testing.T) {
	src, err := builds.FloorSource([]string{"backup", "dynamodb"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", src, parser.ImportsOnly)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	var imports []string
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		imports = append(imports, p)
	}
	want := []string{"context", "encoding/json", "github.com/aws/aws-lambda-go/lambda",
		"github.com/aws/aws-sdk-go-v2/service/backup", "github.com/aws/aws-sdk-go-v2/service/dynamodb"}
	if diff := cmp.Diff(want, imports); diff != "" {
		t.Errorf("imports (-want +got):\n%s", diff)
	}
}

// The boto3 script builds one client per service, in the region.
func TestBotoScript(t *testing.T) {
	s := builds.BotoScript([]string{"autoscaling", "sns"}, "us-east-1")
	for _, want := range []string{`region_name="us-east-1"`, `("autoscaling", "sns",)`, "AWS_LAMBDA_RUNTIME_API", "/response"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %s:\n%s", want, s)
		}
	}
}

// Only symbols stored in the file count: code, read-only data, data.
func TestParseNM(t *testing.T) {
	out := `  b35760   33554432 B crypto/internal/fips140/drbg.memory
  8926d8     679976 r go:func.*
  319560     102896 T github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas.init.0
  ab7060      88064 D crypto/internal/fips140/nistec.p256PrecomputedEmbed
           0 U _cgo_init
  3ca840      79264 t type:*github.com/aws/aws-sdk-go-v2/service/sns.Client
`
	want := []builds.Symbol{
		{Name: "go:func.*", Size: 679976},
		{Name: "github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas.init.0", Size: 102896},
		{Name: "crypto/internal/fips140/nistec.p256PrecomputedEmbed", Size: 88064},
		{Name: "type:*github.com/aws/aws-sdk-go-v2/service/sns.Client", Size: 79264},
	}
	if diff := cmp.Diff(want, builds.ParseNM(out)); diff != "" {
		t.Errorf("ParseNM (-want +got):\n%s", diff)
	}
}
