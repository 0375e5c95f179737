package awsapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// STSAPI is the part of the STS client a member account's credentials
// come from.
type STSAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var _ STSAPI = (*sts.Client)(nil)

// Accounts gives a hub's functions the configuration to act in a member
// account of the organization: the hub's own configuration (region,
// retryer, endpoints) with the credentials of the member role, assumed on
// first use and kept, refreshed before they expire, for as long as the
// process lives. One STS call per member per credentials lifetime, however
// many events and clients. Safe for concurrent use.
type Accounts struct {
	base      aws.Config
	sts       STSAPI
	role      string // the member role's name
	session   string
	partition string
	now       func() time.Time

	mu    sync.Mutex
	creds map[string]*memberCredentials
}

// NewAccounts returns the source of member configurations built on base
// (the hub function's own), assuming roleName in each member with session
// name session (e.g. "selfheal-asg-rebalancer"), which names the function
// in the member's CloudTrail. now is the clock credentials expire on
// (time.Now in Lambda, the simulated account's clock in game days).
func NewAccounts(base aws.Config, roleName, session string, now func() time.Time) *Accounts {
	return &Accounts{
		base: base, sts: sts.NewFromConfig(base), role: roleName, session: session,
		partition: Partition(base.Region), now: now, creds: map[string]*memberCredentials{},
	}
}

// RoleARN is the member role of account.
func (a *Accounts) RoleARN(account string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", a.partition, account, a.role)
}

func (a *Accounts) credentials(account string) *memberCredentials {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.creds[account]
	if !ok {
		c = &memberCredentials{now: a.now, assume: stscreds.NewAssumeRoleProvider(a.sts, a.RoleARN(account), func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = a.session
			o.Duration = sessionDuration
		})}
		a.creds[account] = c
	}
	return c
}

// A member session lasts an hour (the default maximum a role allows) and
// is renewed five minutes before it ends, so no call starts with keys
// about to expire.
const (
	sessionDuration = time.Hour
	renewBefore     = 5 * time.Minute
)

// memberCredentials keeps one member's assumed credentials until shortly
// before they expire, on the Accounts' clock. (aws.CredentialsCache does
// the same on the wall clock, which a simulated account does not run on.)
// Concurrent callers share one AssumeRole.
type memberCredentials struct {
	now    func() time.Time
	assume aws.CredentialsProvider

	mu    sync.Mutex
	creds aws.Credentials
}

func (m *memberCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.creds.HasKeys() && m.now().Before(m.creds.Expires.Add(-renewBefore)) {
		return m.current(), nil
	}
	c, err := m.assume.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	m.creds = c
	return m.current(), nil
}

// current is what signs: its expiry is this cache's business.
func (m *memberCredentials) current() aws.Credentials {
	c := m.creds
	c.CanExpire = false
	return c
}

// Config is the configuration acting in account through its member role,
// in region. Clients built from it assume the role at their first call.
func (a *Accounts) Config(account, region string) aws.Config {
	cfg := a.base.Copy()
	cfg.Region = region
	cfg.Credentials = a.credentials(account)
	return cfg
}

// Check assumes the member role of account now (or finds its credentials
// still valid), so that a caller learns before acting whether it can. A
// refusal no retry can fix — the role does not exist, does not trust this
// function, or the account is not in the organization: AWS answers
// AccessDenied to all three — is a *NotAssumableError; anything else is
// returned as it is, to be retried.
func (a *Accounts) Check(ctx context.Context, account string) error {
	_, err := a.credentials(account).Retrieve(ctx)
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && deniedCodes[apiErr.ErrorCode()] {
		return &NotAssumableError{Account: account, RoleARN: a.RoleARN(account), Err: err}
	}
	return fmt.Errorf("assume %s: %w", a.RoleARN(account), err)
}

// STS's codes for a role that cannot be assumed.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_Errors
var deniedCodes = map[string]bool{"AccessDenied": true, "RegionDisabledException": true}

// NotAssumableError is a member account selfheal cannot act in: its role
// is missing, does not trust the hub's function, or the account is not a
// member of the organization.
type NotAssumableError struct {
	Account string
	RoleARN string
	Err     error
}

func (e *NotAssumableError) Error() string {
	return fmt.Sprintf("cannot act in account %s: %s cannot be assumed (missing, not trusting this function, or the account is outside the organization): %v",
		e.Account, e.RoleARN, e.Err)
}

func (e *NotAssumableError) Unwrap() error { return e.Err }

// Partition is the ARN partition of a region: aws-cn for China, aws-us-gov
// for GovCloud, aws otherwise.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
