package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// EnvOrganization is the organization a hub deployment covers, as one JSON
// document (Organization); empty for a single-account deployment.
const EnvOrganization = "SELFHEAL_ORGANIZATION"

// Organization is the AWS Organization a hub deployment covers: which member
// accounts and regions, how their sweep fans out, and the role the hub's
// functions assume in them. Omitted keys take the defaults of
// DefaultOrganization; unknown keys are errors.
type Organization struct {
	// ID is the organization's id, "o-" and 10 to 32 lowercase letters or
	// digits.
	ID string `json:"id"`
	// MemberOUs are organizational units (or the root, "r-…") whose
	// accounts are members, those added later included (the StackSet's
	// auto-deployment).
	MemberOUs []string `json:"memberOUs"`
	// MemberAccounts are single member accounts (12 digits), besides or
	// instead of OUs.
	MemberAccounts []string `json:"memberAccounts"`
	// RootID is the organization's root ("r-…"): a StackSet reaches single
	// accounts only through an OU, the root intersected with the list.
	RootID string `json:"rootId"`
	// Regions of the members the deployment covers; empty means the hub's
	// own regions.
	Regions []string `json:"regions"`
	// MemberRoleName is the role the hub's functions assume in a member.
	MemberRoleName string `json:"memberRoleName"`
	// DelegatedAdmin says the hub is a delegated administrator for
	// StackSets, not the management account.
	DelegatedAdmin bool `json:"delegatedAdmin"`
	// SweepConcurrency is how many account-region sweeps run at once
	// (the Distributed Map's MaxConcurrency).
	SweepConcurrency int `json:"sweepConcurrency"`
	// ToleratedFailurePercentage of account-region sweeps may fail (after
	// their retries) before the map itself fails; the digest names every
	// one that failed either way.
	ToleratedFailurePercentage int `json:"toleratedFailurePercentage"`
}

// DefaultMemberRoleName is the member role's name unless set.
const DefaultMemberRoleName = "selfheal-member"

// DefaultOrganization is what an organization document's omitted keys
// take.
func DefaultOrganization() Organization {
	return Organization{MemberRoleName: DefaultMemberRoleName, SweepConcurrency: 20, ToleratedFailurePercentage: 10}
}

// Bounds of the sweep's fan-out. Step Functions allows a Distributed Map
// up to 10,000 concurrent child executions; selfheal keeps to 1,000 so
// that the member accounts' API rate limits, not the map, bound a sweep.
// https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
const maxSweepConcurrency = 1000

// Shapes of the ids AWS Organizations and IAM use.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Root.html
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
var (
	organizationID = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	ouID           = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	rootID         = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	accountID      = regexp.MustCompile(`^[0-9]{12}$`)
	roleName       = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// ValidAccountID reports whether s is shaped like an AWS account id.
func ValidAccountID(s string) bool { return accountID.MatchString(s) }

// ParseOrganization reads an organization document: omitted keys keep their
// defaults, unknown keys and bad values are reported all together in an
// *Error whose paths are relative to the document.
func ParseOrganization(doc []byte) (Organization, error) {
	var errs problems
	o := decodeOrganization(doc, "", &errs)
	if err := errs.err(); err != nil {
		return Organization{}, err
	}
	return o, nil
}

func decodeOrganization(doc []byte, prefix string, errs *problems) Organization {
	o := DefaultOrganization()
	root := strings.TrimSuffix(prefix, ".")
	if root == "" {
		root = "organization"
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		errs.add(root, "not valid JSON: %v", err)
		return o
	}
	if dec.More() {
		errs.add(root, "holds more than one JSON document")
		return o
	}
	before := len(*errs)
	checkShape(tree, reflect.TypeFor[Organization](), strings.TrimSuffix(prefix, "."), root, errs)
	if len(*errs) > before {
		return o
	}
	if err := json.Unmarshal(doc, &o); err != nil {
		errs.add(root, "%v", err)
		return o
	}
	var own problems
	o.validate(&own)
	for _, msg := range own {
		*errs = append(*errs, prefix+msg)
	}
	return o
}

func (o Organization) validate(errs *problems) {
	if !organizationID.MatchString(o.ID) {
		errs.add("id", "%q is not an organization id (o- and 10 to 32 lowercase letters or digits)", o.ID)
	}
	ids(errs, "memberOUs", o.MemberOUs, "an organizational unit or root id (ou-… or r-…)", func(s string) bool {
		return ouID.MatchString(s) || rootID.MatchString(s)
	})
	ids(errs, "memberAccounts", o.MemberAccounts, "a 12-digit account id", ValidAccountID)
	ids(errs, "regions", o.Regions, "an AWS region name", ValidRegion)
	if o.RootID != "" && !rootID.MatchString(o.RootID) {
		errs.add("rootId", "%q is not a root id (r- and 4 to 32 lowercase letters or digits)", o.RootID)
	}
	if !roleName.MatchString(o.MemberRoleName) {
		errs.add("memberRoleName", "%q is not an IAM role name (1 to 64 of letters, digits and +=,.@_-)", o.MemberRoleName)
	}
	if o.SweepConcurrency < 1 || o.SweepConcurrency > maxSweepConcurrency {
		errs.add("sweepConcurrency", "%d is not between 1 and %d", o.SweepConcurrency, maxSweepConcurrency)
	}
	if o.ToleratedFailurePercentage < 0 || o.ToleratedFailurePercentage > 100 {
		errs.add("toleratedFailurePercentage", "%d is not a percentage (0 to 100)", o.ToleratedFailurePercentage)
	}
}

// ids checks a list of ids: each well formed, none twice.
func ids(errs *problems, key string, list []string, what string, ok func(string) bool) {
	for i, s := range list {
		switch {
		case !ok(s):
			errs.add(fmt.Sprintf("%s[%d]", key, i), "%q is not %s", s, what)
		case slices.Index(list, s) < i:
			errs.add(fmt.Sprintf("%s[%d]", key, i), "%q is listed twice", s)
		}
	}
}

// JSON is the organization as the canonical document a deployment passes
// in SELFHEAL_ORGANIZATION.
func (o Organization) JSON() (string, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return "", fmt.Errorf("encode organization: %w", err)
	}
	return string(b), nil
}

// Covers reports whether region is one of the member regions the
// organization covers.
func (o Organization) Covers(region string) bool { return slices.Contains(o.Regions, region) }
