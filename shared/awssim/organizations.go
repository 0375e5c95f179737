package awssim

import (
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// AWS Organizations: the organization the hub's Sim manages (its
// management account), with a root, organizational units, and the linked
// accounts (AddMember) as members. The read API selfheal's organization
// sweep uses is modelled, answered to the management account and to
// delegated administrators only, paginated as AWS does (at most 20 per
// page).
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Operations.html

// ServiceOrganizations is the SDK's service id of AWS Organizations.
const ServiceOrganizations = "Organizations"

type organization struct {
	id, rootID string
	management string
	delegated  map[string]bool
	ous        map[string]*orgUnit
	accounts   map[string]*orgAccount
	order      []string // account ids, by the time they joined
	nextOU     int
}

type orgUnit struct{ id, name, parent string }

type orgAccount struct {
	id, parent string
	state      orgtypes.AccountState
	joined     time.Time
}

// CreateOrganization makes this account the management account of an
// organization with id (o-…), every linked account a member under its
// root, and returns the root's id.
func (s *Sim) CreateOrganization(id string) string {
	if s.w.hub != s {
		panic("awssim: the organization is created by its hub")
	}
	now := s.Now()
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	o := &organization{id: id, rootID: "r-" + id[2:6], management: s.accountID, delegated: map[string]bool{},
		ous: map[string]*orgUnit{}, accounts: map[string]*orgAccount{}}
	s.w.org = o
	o.join(s.accountID, o.rootID, now)
	for _, m := range sortedKeys(s.w.members) {
		o.join(m, o.rootID, now)
	}
	return o.rootID
}

func (o *organization) join(account, parent string, at time.Time) {
	o.accounts[account] = &orgAccount{id: account, parent: parent, state: orgtypes.AccountStateActive, joined: at}
	o.order = append(o.order, account)
}

// CreateOU adds an organizational unit under parent (the root or another
// OU) and returns its id.
func (s *Sim) CreateOU(parent, name string) (string, error) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	o := s.w.org
	if o == nil {
		return "", fmt.Errorf("awssim: no organization")
	}
	if parent != o.rootID && o.ous[parent] == nil {
		return "", fmt.Errorf("awssim: no parent %s", parent)
	}
	o.nextOU++
	id := fmt.Sprintf("ou-%s-%08d", o.rootID[2:], o.nextOU)
	o.ous[id] = &orgUnit{id: id, name: name, parent: parent}
	return id, nil
}

// MoveAccount puts an account of the organization under parent.
func (s *Sim) MoveAccount(account, parent string) error {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	o := s.w.org
	if o == nil || o.accounts[account] == nil || (parent != o.rootID && o.ous[parent] == nil) {
		return fmt.Errorf("awssim: cannot move %s under %s", account, parent)
	}
	o.accounts[account].parent = parent
	return nil
}

// SetAccountState sets an account's state in the organization (ACTIVE,
// SUSPENDED, PENDING_CLOSURE, CLOSED): a suspended account stays listed.
func (s *Sim) SetAccountState(account string, state orgtypes.AccountState) error {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if s.w.org == nil || s.w.org.accounts[account] == nil {
		return fmt.Errorf("awssim: no account %s in the organization", account)
	}
	s.w.org.accounts[account].state = state
	return nil
}

// RegisterDelegatedAdministrator lets a member account read the
// organization, as the management account can.
func (s *Sim) RegisterDelegatedAdministrator(account string) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if s.w.org != nil {
		s.w.org.delegated[account] = true
	}
}

// inOrganization reports whether account belongs to the organization id
// (an aws:PrincipalOrgID condition).
func (s *Sim) inOrganization(id, account string) bool {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	o := s.w.org
	return o != nil && o.id == id && o.accounts[account] != nil
}

func (s *Sim) registerOrganizations() {
	handle(s, ServiceOrganizations, "DescribeOrganization", s.describeOrganization)
	handle(s, ServiceOrganizations, "ListRoots", s.listRoots)
	handle(s, ServiceOrganizations, "ListAccounts", s.listAccounts)
	handle(s, ServiceOrganizations, "ListAccountsForParent", s.listAccountsForParent)
	handle(s, ServiceOrganizations, "ListChildren", s.listChildren)
	handle(s, ServiceOrganizations, "ListParents", s.listParents)
	handle(s, ServiceOrganizations, "DescribeAccount", s.describeAccount)
}

// orgRead runs fn on the organization for a caller allowed to read it: the
// management account or a delegated administrator.
func orgRead[T any](s *Sim, fn func(o *organization) (*T, error)) (*T, error) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	o := s.w.org
	if o == nil || o.accounts[s.accountID] == nil {
		return nil, &orgtypes.AWSOrganizationsNotInUseException{Message: aws.String("Your account is not a member of an organization.")}
	}
	if s.accountID != o.management && !o.delegated[s.accountID] {
		return nil, &orgtypes.AccessDeniedException{Message: aws.String("You don't have permissions to access this resource.")}
	}
	return fn(o)
}

// At most 20 results a page for the list operations.
const orgMaxResults = 20

func (o *organization) accountAPI(a *orgAccount) orgtypes.Account {
	status := orgtypes.AccountStatus(a.state)
	if a.state == orgtypes.AccountStateClosed || a.state == orgtypes.AccountStatePendingActivation {
		status = orgtypes.AccountStatusSuspended
	}
	return orgtypes.Account{
		Id:              aws.String(a.id),
		Arn:             aws.String(fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.management, o.id, a.id)),
		Name:            aws.String("account-" + a.id),
		Email:           aws.String(a.id + "@example.com"),
		JoinedMethod:    orgtypes.AccountJoinedMethodInvited,
		JoinedTimestamp: aws.Time(a.joined),
		State:           a.state,
		Status:          status,
	}
}

func (o *organization) validParent(id string) bool { return id == o.rootID || o.ous[id] != nil }

// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html
func (s *Sim) describeOrganization(_ *Region, _ *organizations.DescribeOrganizationInput) (*organizations.DescribeOrganizationOutput, error) {
	return orgRead(s, func(o *organization) (*organizations.DescribeOrganizationOutput, error) {
		return &organizations.DescribeOrganizationOutput{Organization: &orgtypes.Organization{
			Id: aws.String(o.id), Arn: aws.String(fmt.Sprintf("arn:aws:organizations::%s:organization/%s", o.management, o.id)),
			MasterAccountId: aws.String(o.management), FeatureSet: orgtypes.OrganizationFeatureSetAll,
		}}, nil
	})
}

// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListRoots.html
func (s *Sim) listRoots(_ *Region, in *organizations.ListRootsInput) (*organizations.ListRootsOutput, error) {
	return orgRead(s, func(o *organization) (*organizations.ListRootsOutput, error) {
		return &organizations.ListRootsOutput{Roots: []orgtypes.Root{{
			Id: aws.String(o.rootID), Name: aws.String("Root"),
			Arn: aws.String(fmt.Sprintf("arn:aws:organizations::%s:root/%s/%s", o.management, o.id, o.rootID)),
		}}}, nil
	})
}

// ListAccounts lists every account of the organization, suspended and
// closed ones included: callers filter on State.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
func (s *Sim) listAccounts(_ *Region, in *organizations.ListAccountsInput) (*organizations.ListAccountsOutput, error) {
	return orgRead(s, func(o *organization) (*organizations.ListAccountsOutput, error) {
		all := make([]orgtypes.Account, 0, len(o.order))
		for _, id := range o.order {
			all = append(all, o.accountAPI(o.accounts[id]))
		}
		pg, next, err := page(all, in.MaxResults, in.NextToken, orgMaxResults, orgMaxResults, "InvalidInputException")
		if err != nil {
			return nil, err
		}
		return &organizations.ListAccountsOutput{Accounts: pg, NextToken: next}, nil
	})
}

// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html
func (s *Sim) listAccountsForParent(_ *Region, in *organizations.ListAccountsForParentInput) (*organizations.ListAccountsForParentOutput, error) {
	return orgRead(s, func(o *organization) (*organizations.ListAccountsForParentOutput, error) {
		parent := aws.ToString(in.ParentId)
		if !o.validParent(parent) {
			return nil, &orgtypes.ParentNotFoundException{Message: aws.String("We can't find a root or OU with the ParentId that you specified.")}
		}
		var list []orgtypes.Account
		for _, id := range o.order {
			if a := o.accounts[id]; a.parent == parent {
				list = append(list, o.accountAPI(a))
			}
		}
		pg, next, err := page(list, in.MaxResults, in.NextToken, orgMaxResults, orgMaxResults, "InvalidInputException")
		if err != nil {
			return nil, err
		}
		return &organizations.ListAccountsForParentOutput{Accounts: pg, NextToken: next}, nil
	})
}

// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListChildren.html
func (s *Sim) listChildren(_ *Region, in *organizations.ListChildrenInput) (*organizations.ListChildrenOutput, error) {
	return orgRead(s, func(o *organization) (*organizations.ListChildrenOutput, error) {
		parent := aws.ToString(in.ParentId)
		if !o.validParent(parent) {
			return nil, &orgtypes.ParentNotFoundException{Message: aws.String("We can't find a root or OU with the ParentId that you specified.")}
		}
		var list []orgtypes.Child
		switch in.ChildType {
		case orgtypes.ChildTypeAccount:
			for _, id := range o.order {
				if o.accounts[id].parent == parent {
					list = append(list, orgtypes.Child{Id: aws.String(id), Type: orgtypes.ChildTypeAccount})
				}
			}
		case orgtypes.ChildTypeOrganizationalUnit:
			for _, id := range sortedKeys(o.ous) {
				if o.ous[id].parent == parent {
					list = append(list, orgtypes.Child{Id: aws.String(id), Type: orgtypes.ChildTypeOrganizationalUnit})
				}
			}
		default:
			return nil, &orgtypes.InvalidInputException{Message: aws.String("ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT"), Reason: orgtypes.InvalidInputExceptionReasonInvalidEnum}
		}
		pg, next, err := page(list, in.MaxResults, in.NextToken, orgMaxResults, orgMaxResults, "InvalidInputException")
		if err != nil {
			return nil, err
		}
		return &organizations.ListChildrenOutput{Children: pg, NextToken: next}, nil
	})
}

// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html
func (s *Sim) listParents(_ *Region, in *organizations.ListParentsInput) (*organizations.ListParentsOutput, error) {
	return orgRead(s, func(o *organization) (*organizations.ListParentsOutput, error) {
		child := aws.ToString(in.ChildId)
		parent := ""
		switch {
		case o.accounts[child] != nil:
			parent = o.accounts[child].parent
		case o.ous[child] != nil:
			parent = o.ous[child].parent
		default:
			return nil, &orgtypes.ChildNotFoundException{Message: aws.String("We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")}
		}
		typ := orgtypes.ParentTypeOrganizationalUnit
		if parent == o.rootID {
			typ = orgtypes.ParentTypeRoot
		}
		return &organizations.ListParentsOutput{Parents: []orgtypes.Parent{{Id: aws.String(parent), Type: typ}}}, nil
	})
}

// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeAccount.html
func (s *Sim) describeAccount(_ *Region, in *organizations.DescribeAccountInput) (*organizations.DescribeAccountOutput, error) {
	return orgRead(s, func(o *organization) (*organizations.DescribeAccountOutput, error) {
		a := o.accounts[aws.ToString(in.AccountId)]
		if a == nil {
			return nil, &orgtypes.AccountNotFoundException{Message: aws.String("You specified an account that doesn't exist.")}
		}
		acct := o.accountAPI(a)
		return &organizations.DescribeAccountOutput{Account: &acct}, nil
	})
}

// AccountsIn lists the ids of the organization's accounts under parent,
// at any depth, in the order they joined: what a test expects a sweep of
// that OU to cover.
func (s *Sim) AccountsIn(parent string) []string {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	o := s.w.org
	if o == nil {
		return nil
	}
	var out []string
	for _, id := range o.order {
		for p := o.accounts[id].parent; p != ""; {
			if p == parent {
				out = append(out, id)
				break
			}
			if ou := o.ous[p]; ou != nil {
				p = ou.parent
			} else {
				p = ""
			}
		}
	}
	return slices.Clip(out)
}
