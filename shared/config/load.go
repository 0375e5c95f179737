package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/selfheal/selfheal/shared/awsapi"
)

// Environment variables a deployment sets. The CDK app writes exactly these.
const (
	EnvPolicy    = "SELFHEAL_POLICY"    // the policy as one JSON document; empty means defaults
	EnvTopicARN  = "SELFHEAL_TOPIC_ARN" // SNS topic for findings and actions
	EnvTableName = "SELFHEAL_TABLE"     // DynamoDB state table
	EnvQueueURL  = "SELFHEAL_DLQ_URL"   // SQS dead-letter / quarantine queue
	EnvRegions   = "SELFHEAL_REGIONS"   // comma-separated regions the sweep covers; default the function's own
	EnvRegion    = "AWS_REGION"         // set by Lambda
	// EnvReservedConcurrency is the function's reserved concurrency, when
	// it has one: 1 means no two invocations ever run at once.
	EnvReservedConcurrency = "SELFHEAL_RESERVED_CONCURRENCY"
)

// Config is what a function needs at start: where it runs, where it reports,
// and the user's policy.
type Config struct {
	Region    string
	Regions   []string
	TopicARN  string
	TableName string
	QueueURL  string
	Policy    Policy
	// ReservedConcurrency is the function's reserved concurrency; 0 when
	// it has none.
	ReservedConcurrency int
	// Organization is the organization a hub deployment covers; nil for a
	// single account.
	Organization *Organization
}

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }

// Load reads the configuration through getenv and reports every problem at
// once.
func Load(getenv func(string) string) (Config, error) {
	var errs problems
	c := Config{
		Region:    strings.TrimSpace(getenv(EnvRegion)),
		TopicARN:  strings.TrimSpace(getenv(EnvTopicARN)),
		TableName: strings.TrimSpace(getenv(EnvTableName)),
		QueueURL:  strings.TrimSpace(getenv(EnvQueueURL)),
	}
	switch {
	case c.Region == "":
		errs.add(EnvRegion, "must be set")
	case !ValidRegion(c.Region):
		errs.add(EnvRegion, "%q is not an AWS region name", c.Region)
	}
	if !strings.HasPrefix(c.TopicARN, "arn:") || strings.Count(c.TopicARN, ":") != 5 {
		errs.add(EnvTopicARN, "%q is not an SNS topic ARN", c.TopicARN)
	}
	if c.TableName == "" {
		errs.add(EnvTableName, "must be set")
	}
	if !validQueueURL(c.QueueURL) {
		errs.add(EnvQueueURL, "%q is not an SQS queue URL", c.QueueURL)
	}
	if _, err := awsapi.IgnoreConfiguredEndpoints(getenv); err != nil {
		errs.add(awsapi.EnvIgnoreConfiguredEndpoints, "%q: need true or false", getenv(awsapi.EnvIgnoreConfiguredEndpoints))
	}
	c.Regions = []string{c.Region}
	if raw := strings.TrimSpace(getenv(EnvRegions)); raw != "" {
		c.Regions = nil
		for _, r := range strings.Split(raw, ",") {
			r = strings.TrimSpace(r)
			if !ValidRegion(r) {
				errs.add(EnvRegions, "%q is not an AWS region name", r)
				continue
			}
			c.Regions = append(c.Regions, r)
		}
	}
	if raw := strings.TrimSpace(getenv(EnvReservedConcurrency)); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			errs.add(EnvReservedConcurrency, "%q is not a number of concurrent executions", raw)
		}
		c.ReservedConcurrency = n
	}
	if raw := strings.TrimSpace(getenv(EnvOrganization)); raw != "" {
		o := decodeOrganization([]byte(raw), EnvOrganization+".", &errs)
		c.Organization = &o
	}
	c.Policy = DefaultPolicy()
	if raw := strings.TrimSpace(getenv(EnvPolicy)); raw != "" {
		c.Policy = decodePolicy([]byte(raw), EnvPolicy+".", &errs)
	} else {
		c.Policy.validate(&errs)
	}
	if err := errs.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// validQueueURL accepts an https URL, as SQS serves, and an http one on a
// loopback host only: an AWS-compatible emulator on the same machine (moto,
// LocalStack, reached through AWS_ENDPOINT_URL) serves http queue URLs,
// and a loopback address can never name a queue in AWS, so a deployed
// function's URL is held to https as before.
func validQueueURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return true
		}
		ip, err := netip.ParseAddr(host)
		return err == nil && ip.IsLoopback()
	}
	return false
}

// ParsePolicy reads a policy document: omitted keys keep their defaults,
// unknown keys and bad values are reported all together.
func ParsePolicy(doc []byte) (Policy, error) {
	var errs problems
	p := decodePolicy(doc, "", &errs)
	if err := errs.err(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// decodePolicy overlays doc on the defaults. The document's shape is checked
// first (unknown keys, wrong JSON types, every one of them), because
// encoding/json stops at or reports only the first such problem.
func decodePolicy(doc []byte, prefix string, errs *problems) Policy {
	p := DefaultPolicy()
	var tree any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		errs.add(strings.TrimSuffix(prefix, "."), "not valid JSON: %v", err)
		return p
	}
	if dec.More() {
		errs.add(strings.TrimSuffix(prefix, "."), "holds more than one JSON document")
		return p
	}
	before := len(*errs)
	checkShape(tree, reflect.TypeFor[Policy](), strings.TrimSuffix(prefix, "."), "policy", errs)
	if len(*errs) > before {
		return p
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		errs.add(strings.TrimSuffix(prefix, "."), "%v", err)
		return p
	}
	var own problems
	p.validate(&own)
	for _, msg := range own {
		*errs = append(*errs, prefix+msg)
	}
	return p
}

var durationType = reflect.TypeFor[Duration]()

// checkShape compares a decoded JSON value with the Go type it will be
// decoded into and reports unknown keys and mismatched JSON types; root
// names the document in problems about the whole of it.
func checkShape(v any, t reflect.Type, path, root string, errs *problems) {
	where := path
	if where == "" {
		where = root
	}
	if t == durationType {
		if _, ok := v.(string); !ok {
			errs.add(where, "must be a duration string like \"15m\", not %s", DescribeJSON(v))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			errs.add(where, "must be an object, not %s", DescribeJSON(v))
			return
		}
		fields := map[string]reflect.Type{}
		var known []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
			known = append(known, name)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			ft, ok := fields[k]
			if !ok {
				errs.add(sub, "unknown key (known: %s)", strings.Join(known, ", "))
				continue
			}
			checkShape(obj[k], ft, sub, root, errs)
		}
	case reflect.Slice:
		if v == nil {
			return // null is an empty list, as encoding/json writes a nil slice
		}
		arr, ok := v.([]any)
		if !ok {
			errs.add(where, "must be an array, not %s", DescribeJSON(v))
			return
		}
		for i, e := range arr {
			checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), root, errs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			errs.add(where, "must be a string, not %s", DescribeJSON(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			errs.add(where, "must be true or false, not %s", DescribeJSON(v))
		}
	case reflect.Int:
		n, ok := v.(json.Number)
		if !ok {
			errs.add(where, "must be a whole number, not %s", DescribeJSON(v))
			return
		}
		if _, err := n.Int64(); err != nil {
			errs.add(where, "%s is not a whole number", n)
		}
	}
}

// DescribeJSON names a decoded JSON value (from encoding/json with
// UseNumber) for people: "the string \"2\"", "the number 1.5", "an array".
// Configuration and scenario readers say what they got with it.
func DescribeJSON(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case json.Number:
		return "the number " + x.String()
	case bool:
		return fmt.Sprintf("%t", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// JSON is the policy as the canonical document a deployment passes in
// SELFHEAL_POLICY.
func (p Policy) JSON() (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode policy: %w", err)
	}
	return string(b), nil
}
