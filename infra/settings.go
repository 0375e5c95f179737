package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/selfheal/selfheal/shared/config"
)

// contextKey is the one cdk.json context key that holds every user setting.
const contextKey = "selfheal"

// placeholderAccount is the account offline synthesis uses when neither the
// context nor the CDK CLI (CDK_DEFAULT_ACCOUNT, set when credentials are
// available) names one. A deploy with it fails before touching anything: the
// CLI refuses credentials that belong to another account.
const placeholderAccount = "123456789012"

// Defaults for the settings a user may leave out of the context.
var (
	defaultRegions          = []string{"us-east-1"}
	defaultSweepSchedule    = "rate(1 hour)"
	defaultLogRetentionDays = 30
)

// settings is the validated user configuration of one deployment.
type settings struct {
	// Account every regional stack deploys to.
	Account string
	// AccountSource says where Account came from ("context",
	// "CDK_DEFAULT_ACCOUNT" or "placeholder"), for the synth log.
	AccountSource string
	// Regions get one stack each, so events are caught where they happen.
	Regions []string
	// NotificationEmails are subscribed to the topic (each confirms by mail).
	NotificationEmails []string
	// SweepSchedule is the EventBridge schedule expression of the sweep.
	SweepSchedule string
	// LogRetention of every function's log group.
	LogRetention awslogs.RetentionDays
	// Policy is the validated policy; PolicyJSON its canonical document,
	// the value of SELFHEAL_POLICY.
	Policy     config.Policy
	PolicyJSON string
	// Organization is nil for a single account. Set, the app deploys the
	// organization shape: these stacks become the hub, and StackSets reach
	// the member accounts. OrganizationJSON is its canonical document, the
	// value of SELFHEAL_ORGANIZATION.
	Organization     *config.Organization
	OrganizationJSON string
}

// homeRegion is where region-less things live: the StackSets of an
// organization and the member role's stack instance (IAM is global). It is
// the first configured region.
func (s settings) homeRegion() string { return s.Regions[0] }

// contextKeys are the keys of the "selfheal" context value, in the order
// the README documents them.
var contextKeys = []string{"account", "regions", "notificationEmails", "sweepSchedule", "logRetentionDays", "policy", "organization"}

// problems collects every problem with the context, each prefixed by its
// path ("selfheal.regions[1]: ...").
type problems []string

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, contextKey+"."+path+": "+fmt.Sprintf(format, args...))
}

// parseSettings turns the raw "selfheal" context value into settings. raw is
// what the CDK hands over: nil when the key is absent, a decoded JSON object
// from cdk.json, or a string from `cdk synth -c selfheal='{...}'`. getenv
// reads CDK_DEFAULT_ACCOUNT.
//
// Every problem is reported in one *config.Error; the policy is validated by
// config.ParsePolicy, the same code the functions run at start.
func parseSettings(raw any, getenv func(string) string) (settings, error) {
	fields, problem := decodeContext(raw)
	if problem != "" {
		return settings{}, &config.Error{Problems: []string{contextKey + ": " + problem}}
	}
	var errs problems
	for _, k := range sortedKeys(fields) {
		if !slices.Contains(contextKeys, k) {
			errs.add(k, "unknown key (known: %s)", strings.Join(contextKeys, ", "))
		}
	}

	s := settings{
		Regions:       slices.Clone(defaultRegions),
		SweepSchedule: defaultSweepSchedule,
	}
	var account string
	retention := defaultLogRetentionDays
	// A value of the wrong JSON type is reported once and not checked further.
	ok := map[string]bool{
		"account":            decodeField(fields, "account", &account, &errs),
		"regions":            decodeField(fields, "regions", &s.Regions, &errs),
		"notificationEmails": decodeField(fields, "notificationEmails", &s.NotificationEmails, &errs),
		"sweepSchedule":      decodeField(fields, "sweepSchedule", &s.SweepSchedule, &errs),
		"logRetentionDays":   decodeField(fields, "logRetentionDays", &retention, &errs),
	}

	s.Account, s.AccountSource = resolveAccount(strings.TrimSpace(account), getenv)
	if s.AccountSource == "context" && !accountID.MatchString(s.Account) {
		errs.add("account", "%q is not a 12-digit AWS account ID", s.Account)
	}
	if ok["regions"] {
		checkRegions(s.Regions, &errs)
	}
	if ok["notificationEmails"] {
		checkEmails(s.NotificationEmails, &errs)
	}
	if msg := scheduleProblem(s.SweepSchedule); msg != "" && ok["sweepSchedule"] {
		errs.add("sweepSchedule", "%s", msg)
	}
	if r, found := logRetentions[retention]; found {
		s.LogRetention = r
	} else if ok["logRetentionDays"] {
		errs.add("logRetentionDays", "%d is not a CloudWatch Logs retention (one of %s)", retention, retentionChoices())
	}
	s.Policy, s.PolicyJSON = parsePolicy(fields["policy"], &errs)
	s.Organization, s.OrganizationJSON = parseOrganization(fields["organization"], s.Account, s.Regions, ok["regions"], &errs)

	if len(errs) > 0 {
		return settings{}, &config.Error{Problems: errs}
	}
	return s, nil
}

// decodeField decodes fields[key] into dst when present, and reports whether
// the value (or its default) is of the right type.
func decodeField(fields map[string]json.RawMessage, key string, dst any, errs *problems) bool {
	raw, present := fields[key]
	if !present {
		return true
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		errs.add(key, "%s", typeProblem(err))
		return false
	}
	return true
}

// resolveAccount: the context's account, else the one of the CLI's
// credentials, else the offline placeholder.
func resolveAccount(fromContext string, getenv func(string) string) (account, source string) {
	switch {
	case fromContext != "":
		return fromContext, "context"
	case getenv("CDK_DEFAULT_ACCOUNT") != "":
		return getenv("CDK_DEFAULT_ACCOUNT"), "CDK_DEFAULT_ACCOUNT"
	}
	return placeholderAccount, "placeholder"
}

func checkRegions(regions []string, errs *problems) {
	if len(regions) == 0 {
		errs.add("regions", "must name at least one region to deploy to")
	}
	seen := map[string]bool{}
	for i, r := range regions {
		switch {
		case !config.ValidRegion(r):
			errs.add(fmt.Sprintf("regions[%d]", i), "%q is not an AWS region name", r)
		case seen[r]:
			errs.add(fmt.Sprintf("regions[%d]", i), "%q is listed twice", r)
		}
		seen[r] = true
	}
}

// checkEmails accepts plain addresses (ops@example.com): SNS takes the
// endpoint as written, so a display name would be part of the address.
func checkEmails(emails []string, errs *problems) {
	seen := map[string]bool{}
	for i, e := range emails {
		path := fmt.Sprintf("notificationEmails[%d]", i)
		addr, err := mail.ParseAddress(e)
		_, domain, _ := strings.Cut(e, "@")
		switch {
		case err != nil || addr.Name != "" || addr.Address != e || !strings.Contains(domain, "."):
			errs.add(path, "%q is not an e-mail address like ops@example.com", e)
		case seen[strings.ToLower(e)]:
			errs.add(path, "%q is listed twice", e)
		}
		seen[strings.ToLower(e)] = true
	}
}

// parsePolicy hands the policy document to config.ParsePolicy as written,
// so its unknown keys and bad values are reported exactly as the functions
// would report them, and returns it with its canonical JSON.
func parsePolicy(doc json.RawMessage, errs *problems) (config.Policy, string) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || string(doc) == "null" {
		doc = []byte("{}")
	}
	policy, err := config.ParsePolicy(doc)
	var perr *config.Error
	switch {
	case errors.As(err, &perr):
		for _, p := range perr.Problems {
			*errs = append(*errs, contextKey+".policy."+p)
		}
		return config.Policy{}, ""
	case err != nil:
		errs.add("policy", "%v", err)
		return config.Policy{}, ""
	}
	canonical, err := policy.JSON()
	if err != nil {
		errs.add("policy", "%v", err)
		return config.Policy{}, ""
	}
	if _, err := config.ParsePolicy([]byte(canonical)); err != nil {
		// The functions would fail at start: stop here instead.
		errs.add("policy", "the canonical document %s does not load back: %v", canonical, err)
	}
	return policy, canonical
}

// parseOrganization hands the organization document to shared/config, as
// parsePolicy does the policy, and checks what only the deployment knows:
// every member region has a hub stack, whose bus its members forward to.
// Member regions default to the hub's regions. Absent (or null), the
// deployment is a single account: nil.
func parseOrganization(doc json.RawMessage, hub string, hubRegions []string, regionsOK bool, errs *problems) (*config.Organization, string) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || string(doc) == "null" {
		return nil, ""
	}
	org, err := config.ParseOrganization(doc)
	var oerr *config.Error
	switch {
	case errors.As(err, &oerr):
		for _, p := range oerr.Problems {
			*errs = append(*errs, contextKey+".organization."+p)
		}
		return nil, ""
	case err != nil:
		errs.add("organization", "%v", err)
		return nil, ""
	}
	if len(org.Regions) == 0 {
		org.Regions = slices.Clone(hubRegions)
	}
	if len(org.MemberOUs) == 0 && len(org.MemberAccounts) == 0 {
		errs.add("organization", "names no member: set memberOUs (auto-deployed to every account in them) or memberAccounts")
	}
	for i, a := range org.MemberAccounts {
		if a == hub {
			errs.add(fmt.Sprintf("organization.memberAccounts[%d]", i),
				"%s is the hub account: its own stacks handle its events and sweep it", a)
		}
	}
	if len(org.MemberAccounts) > 0 && org.RootID == "" {
		// A StackSet resource reaches single accounts only through an OU:
		// the root, intersected with the list.
		errs.add("organization.rootId", "must be set with memberAccounts: the organization's root id (r-...), from `aws organizations list-roots`")
	}
	for i, r := range org.Regions {
		if regionsOK && !slices.Contains(hubRegions, r) {
			errs.add(fmt.Sprintf("organization.regions[%d]", i),
				"%q has no hub stack: add it to selfheal.regions (members forward their events to the hub bus of the same region)", r)
		}
	}
	canonical, err := org.JSON()
	if err != nil {
		errs.add("organization", "%v", err)
		return nil, ""
	}
	if _, err := config.ParseOrganization([]byte(canonical)); err != nil {
		// The functions would fail at start: stop here instead.
		errs.add("organization", "the canonical document %s does not load back: %v", canonical, err)
	}
	return &org, canonical
}

// decodeContext reads the raw context value into its top-level keys.
func decodeContext(raw any) (map[string]json.RawMessage, string) {
	var b []byte
	switch v := raw.(type) {
	case nil:
		return map[string]json.RawMessage{}, ""
	case string:
		// `cdk synth -c selfheal='{"regions":["eu-west-1"]}'` passes a string.
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, fmt.Sprintf("cannot read the context value: %v", err)
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil || fields == nil {
		return nil, "must be a JSON object like {\"regions\": [\"us-east-1\"]}"
	}
	return fields, ""
}

// typeProblem words a JSON type mismatch for a user.
func typeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("must be %s, not a JSON %s", goTypeWords(te.Type.String()), te.Value)
	}
	return err.Error()
}

func goTypeWords(t string) string {
	switch t {
	case "string":
		return "a string"
	case "[]string":
		return "an array of strings"
	case "int":
		return "a whole number"
	}
	return t
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// EventBridge schedule expressions: rate(value unit) or cron(six fields).
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
var (
	rateExpr = regexp.MustCompile(`^rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)$`)
	cronExpr = regexp.MustCompile(`^cron\((.*)\)$`)
)

// minSweepMinutes keeps sweeps from overlapping: one run may take up to the
// function timeout (15 minutes).
const minSweepMinutes = 15

// scheduleProblem says what is wrong with an EventBridge schedule
// expression, or "".
func scheduleProblem(expr string) string {
	if m := rateExpr.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return fmt.Sprintf("%q: the rate must be a positive whole number", expr)
		}
		// EventBridge wants the singular unit for 1 and the plural otherwise.
		if singular := !strings.HasSuffix(m[2], "s"); singular != (n == 1) {
			return fmt.Sprintf("%q: write %q with a singular unit only for 1 (rate(1 hour), rate(2 hours))", expr, m[2])
		}
		minutes := n
		switch strings.TrimSuffix(m[2], "s") {
		case "hour":
			minutes = n * 60
		case "day":
			minutes = n * 24 * 60
		}
		if minutes < minSweepMinutes {
			return fmt.Sprintf("%q runs more often than every %d minutes, the sweep's longest run; runs would overlap", expr, minSweepMinutes)
		}
		return ""
	}
	if m := cronExpr.FindStringSubmatch(expr); m != nil {
		f := strings.Fields(m[1])
		if len(f) != 6 {
			return fmt.Sprintf("%q: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not %d", expr, len(f))
		}
		if (f[2] == "?") == (f[4] == "?") {
			return fmt.Sprintf("%q: exactly one of day-of-month and day-of-week must be \"?\"", expr)
		}
		return ""
	}
	return fmt.Sprintf("%q is not an EventBridge schedule like \"rate(1 hour)\" or \"cron(0 * * * ? *)\"", expr)
}

// logRetentions are the retention periods CloudWatch Logs accepts.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
var logRetentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

func retentionChoices() string {
	days := make([]int, 0, len(logRetentions))
	for d := range logRetentions {
		days = append(days, d)
	}
	sort.Ints(days)
	s := make([]string, len(days))
	for i, d := range days {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
