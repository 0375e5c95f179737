package orgtasks

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// OrganizationsAPI is the part of the AWS Organizations client the list
// task reads the organization with (from its management account or a
// delegated administrator).
type OrganizationsAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListChildren(ctx context.Context, in *organizations.ListChildrenInput, optFns ...func(*organizations.Options)) (*organizations.ListChildrenOutput, error)
}

var _ OrganizationsAPI = (*organizations.Client)(nil)
