package eventbridge_test

import (
	"encoding/json"
	"strings"
	"testing"

	eb "github.com/selfheal/selfheal/shared/eventbridge"
)

func TestPatternMatches(t *testing.T) {
	// One event with every kind of value a rule can meet.
	const event = `{
		"source": "aws.backup",
		"detail-type": "Backup Job State Change",
		"account": "123456789012",
		"resources": ["arn:aws:backup:us-east-1:123456789012:recovery-point:1", "arn:aws:rds:us-east-1:123456789012:db:payments"],
		"detail": {
			"state": "COMPLETED",
			"statusMessage": "",
			"backupSizeInBytes": 36048,
			"percentDone": 99.5,
			"isLocked": true,
			"parentJobId": null,
			"tags": ["prod", "pci"],
			"sizes": [10, 20],
			"createdBy": {"backupPlanId": "plan-1"},
			"entities": [
				{"id": "i-1", "status": "IMPAIRED"},
				{"id": "i-2", "status": "RESOLVED"}
			],
			"emptyList": [],
			"nested": [["deep"]]
		}
	}`
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"exact source", `{"source": ["aws.backup"]}`, true},
		{"exact source, other value", `{"source": ["aws.health"]}`, false},
		{"array is OR", `{"source": ["aws.health", "aws.backup"]}`, true},
		{"fields are AND", `{"source": ["aws.backup"], "detail-type": ["Copy Job State Change"]}`, false},
		{"strings are case-sensitive", `{"source": ["AWS.BACKUP"]}`, false},
		{"nested field", `{"detail": {"state": ["COMPLETED"]}}`, true},
		{"deeper nested field", `{"detail": {"createdBy": {"backupPlanId": ["plan-1"]}}}`, true},
		{"nested field, other value", `{"detail": {"state": ["FAILED"]}}`, false},
		{"missing field does not match a value", `{"detail": {"nope": ["x"]}}`, false},
		{"empty string value", `{"detail": {"statusMessage": [""]}}`, true},
		{"number", `{"detail": {"backupSizeInBytes": [36048]}}`, true},
		{"number compares by value", `{"detail": {"backupSizeInBytes": [3.6048e4]}}`, true},
		{"number is not its string", `{"detail": {"backupSizeInBytes": ["36048"]}}`, false},
		{"string is not a number", `{"source": [1]}`, false},
		{"boolean", `{"detail": {"isLocked": [true]}}`, true},
		{"boolean, other value", `{"detail": {"isLocked": [false]}}`, false},
		{"null matches null", `{"detail": {"parentJobId": [null]}}`, true},
		{"null does not match a missing field", `{"detail": {"nope": [null]}}`, false},
		{"event array: any element", `{"resources": ["arn:aws:rds:us-east-1:123456789012:db:payments"]}`, true},
		{"event array: no element", `{"detail": {"tags": ["dev"]}}`, false},
		{"event array of numbers", `{"detail": {"sizes": [20]}}`, true},
		{"nested event arrays flatten", `{"detail": {"nested": ["deep"]}}`, true},
		{"array of objects: one element matches", `{"detail": {"entities": {"id": ["i-2"]}}}`, true},
		{"array of objects: fields within one element", `{"detail": {"entities": {"id": ["i-1"], "status": ["IMPAIRED"]}}}`, true},
		{"array of objects: fields across elements do not match", `{"detail": {"entities": {"id": ["i-1"], "status": ["RESOLVED"]}}}`, false},
		{"prefix", `{"resources": [{"prefix": "arn:aws:rds:"}]}`, true},
		{"prefix, no match", `{"detail-type": [{"prefix": "Copy"}]}`, false},
		{"prefix ignores numbers", `{"detail": {"backupSizeInBytes": [{"prefix": "36"}]}}`, false},
		{"empty prefix matches any string", `{"detail": {"statusMessage": [{"prefix": ""}]}}`, true},
		{"anything-but value", `{"detail": {"state": [{"anything-but": "FAILED"}]}}`, true},
		{"anything-but the value", `{"detail": {"state": [{"anything-but": "COMPLETED"}]}}`, false},
		{"anything-but list", `{"detail": {"state": [{"anything-but": ["FAILED", "COMPLETED"]}]}}`, false},
		{"anything-but number", `{"detail": {"backupSizeInBytes": [{"anything-but": [36048]}]}}`, false},
		{"anything-but does not match a missing field", `{"detail": {"nope": [{"anything-but": "x"}]}}`, false},
		{"anything-but on an array: some other element", `{"detail": {"tags": [{"anything-but": "prod"}]}}`, true},
		{"anything-but on an array: every element excluded", `{"detail": {"tags": [{"anything-but": ["prod", "pci"]}]}}`, false},
		{"anything-but prefix", `{"source": [{"anything-but": {"prefix": "aws.health"}}]}`, true},
		{"anything-but prefix, excluded", `{"source": [{"anything-but": {"prefix": "aws."}}]}`, false},
		{"exists true", `{"detail": {"state": [{"exists": true}]}}`, true},
		{"exists true, missing", `{"detail": {"nope": [{"exists": true}]}}`, false},
		{"exists false, missing", `{"detail": {"nope": [{"exists": false}]}}`, true},
		{"exists false, present", `{"detail": {"state": [{"exists": false}]}}`, false},
		{"exists false, missing parent", `{"nope": {"deeper": [{"exists": false}]}}`, true},
		{"exists true, missing parent", `{"nope": {"deeper": [{"exists": true}]}}`, false},
		{"exists true on an object is false (leaves only)", `{"detail": {"createdBy": [{"exists": true}]}}`, false},
		{"exists false on an empty array", `{"detail": {"emptyList": [{"exists": false}]}}`, true},
		{"exists true on null", `{"detail": {"parentJobId": [{"exists": true}]}}`, true},
		{"value or absent", `{"detail": {"nope": ["x", {"exists": false}]}}`, true},
		{"numeric >", `{"detail": {"backupSizeInBytes": [{"numeric": [">", 36000]}]}}`, true},
		{"numeric <", `{"detail": {"backupSizeInBytes": [{"numeric": ["<", 36000]}]}}`, false},
		{"numeric =", `{"detail": {"backupSizeInBytes": [{"numeric": ["=", 36048]}]}}`, true},
		{"numeric <= edge", `{"detail": {"percentDone": [{"numeric": ["<=", 99.5]}]}}`, true},
		{"numeric range", `{"detail": {"percentDone": [{"numeric": [">", 0, "<", 100]}]}}`, true},
		{"numeric range, outside", `{"detail": {"percentDone": [{"numeric": [">=", 0, "<", 50]}]}}`, false},
		{"numeric on an array", `{"detail": {"sizes": [{"numeric": [">", 15]}]}}`, true},
		{"numeric ignores strings", `{"source": [{"numeric": [">", 0]}]}`, false},
		{"all rules together", `{
			"source": ["aws.backup"],
			"detail": {
				"state": [{"anything-but": ["FAILED"]}],
				"backupSizeInBytes": [{"numeric": [">", 0]}],
				"parentJobId": [null],
				"nope": [{"exists": false}],
				"createdBy": {"backupPlanId": [{"prefix": "plan-"}]}
			}
		}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := eb.CompilePattern([]byte(tt.pattern))
			if err != nil {
				t.Fatalf("CompilePattern: %v", err)
			}
			got, err := p.Matches([]byte(event))
			if err != nil {
				t.Fatalf("Matches: %v", err)
			}
			if got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
			// The decoded-map form agrees, with numbers as float64.
			var m map[string]any
			if err := json.Unmarshal([]byte(event), &m); err != nil {
				t.Fatal(err)
			}
			if got := p.MatchesMap(m); got != tt.want {
				t.Errorf("MatchesMap = %v, want %v", got, tt.want)
			}
		})
	}
}

// A pattern feature the matcher does not implement must fail to compile,
// never be silently ignored into a wrong answer.
func TestCompilePatternRejects(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		err     string
	}{
		{"suffix", `{"source": [{"suffix": ".backup"}]}`, `"suffix" matching is not supported`},
		{"equals-ignore-case", `{"source": [{"equals-ignore-case": "AWS.BACKUP"}]}`, `"equals-ignore-case" matching is not supported`},
		{"wildcard", `{"source": [{"wildcard": "aws.*"}]}`, `"wildcard" matching is not supported`},
		{"cidr", `{"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}`, `"cidr" matching is not supported`},
		{"$or", `{"$or": [{"source": ["aws.backup"]}, {"source": ["aws.health"]}]}`, "$or is not supported"},
		{"nested $or", `{"detail": {"$or": [{"a": ["1"]}]}}`, "detail.$or: $or is not supported"},
		{"prefix equals-ignore-case", `{"source": [{"prefix": {"equals-ignore-case": "aws"}}]}`, "prefix wants a string"},
		{"anything-but suffix", `{"source": [{"anything-but": {"suffix": "x"}}]}`, "anything-but supports"},
		{"anything-but wildcard", `{"source": [{"anything-but": {"wildcard": "x*"}}]}`, "anything-but supports"},
		{"anything-but equals-ignore-case", `{"source": [{"anything-but": {"equals-ignore-case": "x"}}]}`, "anything-but supports"},
		{"unknown operator", `{"source": [{"regex": "aws.*"}]}`, `unknown pattern operator "regex"`},
		{"two operators in one object", `{"source": [{"prefix": "a", "exists": true}]}`, "want a value or an object with one operator"},
		{"bare value, not in an array", `{"source": "aws.backup"}`, `source: values to match must be in an array, got "aws.backup"`},
		{"bare nested value", `{"detail": {"state": "COMPLETED"}}`, "detail.state: values to match must be in an array"},
		{"empty array", `{"source": []}`, "source: an empty array matches nothing"},
		{"empty object", `{}`, "pattern: an empty object matches nothing"},
		{"empty nested object", `{"detail": {}}`, "detail: an empty object matches nothing"},
		{"array in an array", `{"source": [["aws.backup"]]}`, "want a value or an object with one operator"},
		{"exists with a string", `{"source": [{"exists": "true"}]}`, "exists wants true or false"},
		{"numeric without a number", `{"x": [{"numeric": [">", "5"]}]}`, "numeric wants a number"},
		{"numeric with a bad operator", `{"x": [{"numeric": ["!=", 5]}]}`, "numeric operator"},
		{"numeric with three items", `{"x": [{"numeric": [">", 5, "<"]}]}`, "numeric wants [op, n]"},
		{"numeric range upside down", `{"x": [{"numeric": ["<", 5, ">", 1]}]}`, "a numeric range is"},
		{"numeric out of range", `{"x": [{"numeric": [">", 1e400]}]}`, "numeric:"},
		{"anything-but empty list", `{"x": [{"anything-but": []}]}`, "anything-but wants at least one value"},
		{"anything-but boolean", `{"x": [{"anything-but": true}]}`, "anything-but wants a string, a number or a list"},
		{"anything-but list of objects", `{"x": [{"anything-but": [{}]}]}`, "anything-but lists strings or numbers"},
		{"not an object", `["aws.backup"]`, "want a JSON object"},
		{"not JSON", `{"source": [`, "event pattern:"},
		{"trailing data", `{"source": ["a"]} {}`, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := eb.CompilePattern([]byte(tt.pattern))
			if err == nil {
				t.Fatalf("CompilePattern = %v, nil; want an error", p)
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %q does not say %q", err, tt.err)
			}
		})
	}
}

func TestMatchesRejectsNonEvents(t *testing.T) {
	p, err := eb.CompilePattern([]byte(`{"source": ["aws.backup"]}`))
	if err != nil {
		t.Fatal(err)
	}
	big := `{"source":"aws.backup","pad":"` + strings.Repeat("x", eb.MaxEventSize) + `"}`
	for name, event := range map[string]string{
		"truncated":       `{"source": "aws.backup"`,
		"an array":        `[{"source": "aws.backup"}]`,
		"empty":           ``,
		"trailing data":   `{"source": "aws.backup"} x`,
		"over 256 KiB":    big,
		"a bare string":   `"aws.backup"`,
		"two JSON values": `{} {}`,
	} {
		if got, err := p.Matches([]byte(event)); err == nil {
			t.Errorf("%s: Matches = %v, nil; want an error", name, got)
		}
	}
}
