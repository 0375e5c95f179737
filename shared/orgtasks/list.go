package orgtasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/selfheal/selfheal/shared/orgsweep"
)

// listed is the list task's answer: the run and its items.
type listed struct {
	Run   string `json:"run"`
	Items []Item `json:"items"`
}

// itemBudget is how many bytes of items one run carries: Step Functions'
// payload limit, less room for the rest of the state (the run's name, the
// errors the states add).
const itemBudget = orgsweep.PayloadLimit - 8*1024

// list puts the run in scope: the hub's own account and every member
// account of the configured OUs (nested OUs included, as the StackSet
// deploys to them) and accounts, each in every region swept here. ACTIVE
// accounts are swept; the others (suspended, closing) are named as
// skipped, and configured accounts or OUs the organization does not have
// as missing. The scope is recorded for the aggregate.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
func (h *Handler) list(ctx context.Context, p Payload) (any, outcome, error) {
	hub, err := hubAccount(ctx)
	if err != nil {
		return nil, outcome{}, err
	}
	if owner, err := h.owner(ctx, p); err != nil || owner != p.Run {
		if err != nil {
			return nil, outcome{}, err
		}
		doc, _ := json.Marshal(scope{DuplicateOf: owner, Items: []Item{}, Listed: h.deps.Now()})
		if err := h.deps.Store.PutRunRecord(ctx, p.Run, recordScope, doc); err != nil {
			return nil, outcome{}, err
		}
		return listed{Run: p.Run, Items: []Item{}}, outcome{duplicate: true, decision: "no-op: the scheduled event is run " + owner + "'s"}, nil
	}
	accounts, err := h.allAccounts(ctx)
	if err != nil {
		return nil, outcome{}, err
	}
	members, missing, err := h.members(ctx, accounts)
	if err != nil {
		return nil, outcome{}, err
	}
	sc := scope{Missing: missing, Listed: h.deps.Now()}
	inScope := append([]string{hub}, members...)
	slices.Sort(inScope)
	inScope = slices.Compact(inScope)
	var items []Item
	for _, id := range inScope {
		a, ok := accounts[id]
		switch {
		case !ok:
			sc.Missing = append(sc.Missing, Left{Account: id, Reason: "not an account of the organization"})
			continue
		case stateOf(a) != orgtypes.AccountStateActive:
			sc.Skipped = append(sc.Skipped, Left{Account: id, Reason: "account " + strings.ToLower(string(stateOf(a)))})
			continue
		}
		for _, r := range h.regions() {
			items = append(items, Item{Account: id, Region: r})
		}
	}
	sc.Items, sc.Missing = fit(items, sc.Missing)
	doc, err := json.Marshal(sc)
	if err != nil {
		return nil, outcome{}, fmt.Errorf("encode the run's scope: %w", err)
	}
	if err := h.deps.Store.PutRunRecord(ctx, p.Run, recordScope, doc); err != nil {
		return nil, outcome{}, err
	}
	res := outcome{
		decision: fmt.Sprintf("%d account-regions to sweep; %d skipped, %d missing", len(sc.Items), len(sc.Skipped), len(sc.Missing)),
		attrs:    []slog.Attr{slog.Int("items", len(sc.Items)), slog.Int("skipped", len(sc.Skipped)), slog.Int("missing", len(sc.Missing))},
		metrics:  map[string]float64{"AccountRegions": float64(len(sc.Items))},
	}
	return listed{Run: p.Run, Items: sc.Items}, res, nil
}

// owner is the run that sweeps for the scheduled event that started p's:
// the first run of each event id does, a run another delivery of the same
// event started does nothing.
func (h *Handler) owner(ctx context.Context, p Payload) (string, error) {
	var ev struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(p.Event, &ev) != nil || ev.ID == "" {
		return p.Run, nil // started by hand: its own run
	}
	return h.deps.Store.OwnRun(ctx, ev.ID, p.Run)
}

// fit keeps the items one run can carry; those beyond are missing.
func fit(items []Item, missing []Left) ([]Item, []Left) {
	size := 2 // []
	for i, it := range items {
		b, _ := json.Marshal(it)
		size += len(b) + 1
		if size > itemBudget {
			for _, over := range items[i:] {
				missing = append(missing, Left{Account: over.Account, Region: over.Region,
					Reason: fmt.Sprintf("beyond the %d account-regions one run carries (Step Functions' 256 KiB payload)", i)})
			}
			return items[:i], missing
		}
	}
	return items, missing
}

// regions swept from here: the function's (SELFHEAL_REGIONS) that the
// organization covers.
func (h *Handler) regions() []string {
	var out []string
	for _, r := range h.deps.Config.Regions {
		if len(h.org.Regions) == 0 || h.org.Covers(r) {
			out = append(out, r)
		}
	}
	return out
}

func stateOf(a orgtypes.Account) orgtypes.AccountState {
	if a.State != "" {
		return a.State
	}
	return orgtypes.AccountState(a.Status) //nolint:staticcheck // older organizations answer Status only
}

// allAccounts is every account of the organization, by id.
func (h *Handler) allAccounts(ctx context.Context) (map[string]orgtypes.Account, error) {
	out := map[string]orgtypes.Account{}
	p := organizations.NewListAccountsPaginator(h.orgs, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the organization's accounts: %w", err)
		}
		for _, a := range page.Accounts {
			out[aws.ToString(a.Id)] = a
		}
	}
	return out, nil
}

// members are the accounts the configuration puts in scope: under the
// member OUs (all of them under the root) and listed. An OU the
// organization does not have is missing.
func (h *Handler) members(ctx context.Context, all map[string]orgtypes.Account) ([]string, []Left, error) {
	var out []string
	var missing []Left
	for _, ou := range h.org.MemberOUs {
		if strings.HasPrefix(ou, "r-") {
			for id := range all {
				out = append(out, id)
			}
			continue
		}
		ids, err := h.accountsUnder(ctx, ou)
		var notFound *orgtypes.ParentNotFoundException
		if errors.As(err, &notFound) {
			missing = append(missing, Left{Reason: "organizational unit " + ou + " not found in the organization"})
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		out = append(out, ids...)
	}
	out = append(out, h.org.MemberAccounts...)
	return out, missing, nil
}

// accountsUnder lists the accounts of an OU and of the OUs under it.
func (h *Handler) accountsUnder(ctx context.Context, ou string) ([]string, error) {
	var out []string
	accts := organizations.NewListAccountsForParentPaginator(h.orgs, &organizations.ListAccountsForParentInput{ParentId: aws.String(ou)})
	for accts.HasMorePages() {
		page, err := accts.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the accounts of %s: %w", ou, err)
		}
		for _, a := range page.Accounts {
			out = append(out, aws.ToString(a.Id))
		}
	}
	children := organizations.NewListChildrenPaginator(h.orgs, &organizations.ListChildrenInput{
		ParentId: aws.String(ou), ChildType: orgtypes.ChildTypeOrganizationalUnit,
	})
	for children.HasMorePages() {
		page, err := children.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the OUs under %s: %w", ou, err)
		}
		for _, c := range page.Children {
			ids, err := h.accountsUnder(ctx, aws.ToString(c.Id))
			if err != nil {
				return nil, err
			}
			out = append(out, ids...)
		}
	}
	return out, nil
}
