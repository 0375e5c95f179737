package handler

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/selfheal/selfheal/shared/awsapi"
	"github.com/selfheal/selfheal/shared/eventbridge"
	"github.com/selfheal/selfheal/shared/notify"
)

// CheckMemberRole is the finding about a member account selfheal can or
// cannot act in: its member role assumable by the hub's functions.
const CheckMemberRole = "MEMBER_ROLE_ASSUMABLE"

// Members makes, for each member account of the organization, the
// function's processor acting in that account, and keeps it for the life
// of the process (its clients, with their credentials cache, are reused).
// Safe for concurrent use.
type Members struct {
	deps  Deps
	build func(Deps) Processor

	mu         sync.Mutex
	processors map[string]Processor
}

// Processor is the processor acting in account. The first time, it
// assumes the member role, so that a member selfheal cannot act in is
// known before anything is decided: that is an *awsapi.NotAssumableError,
// and any other error is transient. It reports whether the processor was
// new (the role was just assumed).
func (m *Members) Processor(ctx context.Context, account string) (Processor, bool, error) {
	m.mu.Lock()
	p, ok := m.processors[account]
	m.mu.Unlock()
	if ok {
		return p, false, nil
	}
	if err := m.deps.Accounts.Check(ctx, account); err != nil {
		return nil, false, err
	}
	p = m.build(m.deps.ForAccount(account))
	m.mu.Lock()
	defer m.mu.Unlock()
	if q, ok := m.processors[account]; ok {
		return q, false, nil
	}
	m.processors[account] = p
	return p, true, nil
}

// memberRoleFinding says whether selfheal can act in a member account.
func (m *Members) memberRoleFinding(account, region string, err error) notify.Finding {
	return MemberRoleFinding(m.deps.Accounts.RoleARN(account), account, region, err)
}

// MemberRoleFinding says whether selfheal can act in a member account
// through its member role arn: err is what assuming it answered (nil when
// it could be assumed).
func MemberRoleFinding(arn, account, region string, err error) notify.Finding {
	f := notify.Finding{
		Check: CheckMemberRole, Status: notify.StatusPass, Severity: notify.SeverityInfo,
		Resource: arn, ResourceType: "AWS::IAM::Role", Account: account, Region: region,
		Summary:  "selfheal acts in this account through its member role",
		Observed: map[string]string{"role": arn},
	}
	if err != nil {
		var na *awsapi.NotAssumableError
		cause := err
		if errors.As(err, &na) {
			cause = na.Err
		}
		f.Status, f.Severity = notify.StatusFail, notify.SeverityHigh
		f.Summary = "member role cannot be assumed: selfheal does nothing in this account"
		f.Observed["error"] = fmt.Sprint(cause)
		f.Remediation = fmt.Sprintf("deploy the selfheal member stack to account %s (add it to a member OU: the StackSet deploys there by itself), or check that %s exists and trusts the hub's selfheal roles", account, arn)
	}
	return f
}

// reportMemberRole notifies whether the member role of account can be
// assumed, through the dedupe: a failure once (then reminders), a
// recovery once.
func (b *Boundary) reportMemberRole(ctx context.Context, ev eventbridge.Event, err error) error {
	f := b.Members.memberRoleFinding(ev.Envelope.AccountID, ev.Envelope.Region, err)
	_, rerr := b.Notifier.Report(ctx, notify.Message{
		Kind: notify.KindFindings, Function: b.Function, EventType: ev.Envelope.DetailType, EventID: ev.Envelope.ID,
		Account: ev.Envelope.AccountID, Region: ev.Envelope.Region, Time: b.Now(), Findings: []notify.Finding{f},
	})
	if rerr != nil {
		return fmt.Errorf("report the member role of %s: %w", ev.Envelope.AccountID, rerr)
	}
	return nil
}
