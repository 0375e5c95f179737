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
