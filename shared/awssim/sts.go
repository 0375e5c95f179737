package awssim

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// IAM roles and STS: what it takes for one account's code to act in
// another. Each account (Sim) has its roles; AssumeRole checks the role
// exists in its account, trusts the caller and, when its trust policy
// requires it, that the caller belongs to the organization, then issues
// temporary keys that sign calls in the role's account (accounts.go).

// ServiceSTS is the SDK's service id of AWS STS.
const ServiceSTS = "STS"

// RoleTrust is a role's trust policy, as far as selfheal's roles use one:
// the principals allowed to assume it (role ARNs, or an account's root
// "arn:aws:iam::<account>:root" for any principal of that account), and
// an aws:PrincipalOrgID condition when OrgID is set.
type RoleTrust struct {
	Principals []string
	OrgID      string
	// MaxSession is the role's maximum session duration (default 1 hour,
	// 1 to 12 hours).
	MaxSession time.Duration
}

type role struct {
	name  string
	arn   string
	trust RoleTrust
}

// CreateRole creates (or replaces) an IAM role of this account and
// returns its ARN.
func (s *Sim) CreateRole(name string, trust RoleTrust) string {
	if trust.MaxSession == 0 {
		trust.MaxSession = time.Hour
	}
	r := &role{name: name, arn: fmt.Sprintf("arn:aws:iam::%s:role/%s", s.accountID, name), trust: trust}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if s.w.roles[s.accountID] == nil {
		s.w.roles[s.accountID] = map[string]*role{}
	}
	s.w.roles[s.accountID][name] = r
	return r.arn
}

// DeleteRole deletes an IAM role of this account; keys already issued for
// it keep working until they expire, as on AWS.
func (s *Sim) DeleteRole(name string) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	delete(s.w.roles[s.accountID], name)
}

func (s *Sim) roleOf(account, name string) (*role, bool) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	r, ok := s.w.roles[account][name]
	return r, ok
}

func (s *Sim) registerSTS() {
	handle(s, ServiceSTS, "AssumeRole", s.assumeRole)
	handle(s, ServiceSTS, "GetCallerIdentity", s.getCallerIdentity)
}

var (
	roleARN     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$`)
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	assumedRole = regexp.MustCompile(`^arn:aws:sts::([0-9]{12}):assumed-role/([^/]+)/`)
)

// AssumeRole returns temporary keys of a role of this account or of another
// account of the organization. Every refusal the caller can be blamed for
// is AccessDenied (a missing role included: AWS does not tell which), as
// "User: <caller> is not authorized to perform: sts:AssumeRole on
// resource: <role>".
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
func (s *Sim) assumeRole(_ *Region, in *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
	arn := aws.ToString(in.RoleArn)
	m := roleARN.FindStringSubmatch(arn)
	if m == nil {
		return nil, apiError(400, "ValidationError", fmt.Sprintf("%s is invalid", arn))
	}
	if !sessionName.MatchString(aws.ToString(in.RoleSessionName)) {
		return nil, apiError(400, "ValidationError",
			"1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
	}
	duration := time.Hour
	if in.DurationSeconds != nil {
		duration = time.Duration(*in.DurationSeconds) * time.Second
		if duration < 15*time.Minute || duration > 12*time.Hour {
			return nil, apiError(400, "ValidationError", "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200")
		}
	}
	caller := s.caller
	denied := apiError(403, "AccessDenied",
		fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.arn, arn))
	if s.accountSim(m[1]) == nil {
		return nil, denied
	}
	r, ok := s.roleOf(m[1], m[2])
	if !ok || !r.trusts(caller) || (r.trust.OrgID != "" && !s.inOrganization(r.trust.OrgID, caller.account)) {
		return nil, denied
	}
	if duration > r.trust.MaxSession {
		return nil, apiError(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	session := aws.ToString(in.RoleSessionName)
	key := s.nextID("ASIA", 16)
	expires := s.now.Add(duration)
	s.registerKey(strings.ToUpper(key), principal{account: m[1], arn: r.arn, expires: expires})
	return &sts.AssumeRoleOutput{
		Credentials: &ststypes.Credentials{
			AccessKeyId: aws.String(strings.ToUpper(key)), SecretAccessKey: aws.String(s.nextID("", 40)),
			SessionToken: aws.String(s.nextID("FwoGZXIvYXdzE", 64)), Expiration: aws.Time(expires),
		},
		AssumedRoleUser: &ststypes.AssumedRoleUser{
			Arn:           aws.String(fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", m[1], m[2], session)),
			AssumedRoleId: aws.String(s.nextID("AROA", 17) + ":" + session),
		},
	}, nil
}

// GetCallerIdentity says who signed the call.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
func (s *Sim) getCallerIdentity(_ *Region, _ *sts.GetCallerIdentityInput) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{
		Account: aws.String(s.caller.account), Arn: aws.String(s.caller.arn), UserId: aws.String("AROASIMULATED:" + s.caller.account),
	}, nil
}

// trusts reports whether the role's trust policy lets caller assume it.
func (r *role) trusts(caller principal) bool {
	callerRole := caller.arn
	// An assumed role's session acts as its role.
	if strings.HasPrefix(callerRole, "arn:aws:sts::") {
		if m := assumedRole.FindStringSubmatch(callerRole); m != nil {
			callerRole = fmt.Sprintf("arn:aws:iam::%s:role/%s", m[1], m[2])
		}
	}
	return slices.Contains(r.trust.Principals, callerRole) ||
		slices.Contains(r.trust.Principals, fmt.Sprintf("arn:aws:iam::%s:root", caller.account))
}
