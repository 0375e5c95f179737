package compliance

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/selfheal/selfheal/shared/notify"
)

// Error codes that mean "this does not exist", per service:
// Backup and DynamoDB ResourceNotFoundException, DynamoDB
// TableNotFoundException, RDS DBInstanceNotFound and DBClusterNotFoundFault.
var notFoundCodes = map[string]bool{
	"ResourceNotFoundException": true,
	"TableNotFoundException":    true,
	"DBInstanceNotFound":        true,
	"DBInstanceNotFoundFault":   true,
	"DBClusterNotFoundFault":    true,
}

// Error codes that mean "you may not ask": retrying does not help, so the
// check answers ERROR and the others go on. UnrecognizedClientException is
// what a region the account has not opted in to answers.
var deniedCodes = map[string]bool{
	"AccessDenied":                true,
	"AccessDeniedException":       true,
	"UnauthorizedOperation":       true,
	"UnauthorizedException":       true,
	"UnrecognizedClientException": true,
	"InvalidClientTokenId":        true,
	"OptInRequired":               true,
}

// Error codes that mean "what you named cannot exist": the request is
// wrong, not the moment, so retrying cannot help.
var invalidCodes = map[string]bool{
	"InvalidParameterValueException": true,
	"InvalidParameterValue":          true,
	"InvalidParameterCombination":    true,
	"ValidationException":            true,
	"MissingParameterValueException": true,
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// IsNotFound reports whether AWS answered that the resource does not exist.
func IsNotFound(err error) bool { return notFoundCodes[errorCode(err)] }

// IsDenied reports whether AWS refused to answer for lack of permission
// (or of an enabled region): a permanent answer for this check, not a
// reason to retry the event.
func IsDenied(err error) bool { return deniedCodes[errorCode(err)] }

// IsInvalid reports whether a read can never succeed as asked: AWS
// rejected its parameters, or the SDK refused to send them.
func IsInvalid(err error) bool {
	var params smithy.InvalidParamsError
	return invalidCodes[errorCode(err)] || errors.As(err, &params)
}

// iamPrefix maps SDK service ids to IAM action prefixes.
var iamPrefix = map[string]string{"Backup": "backup", "DynamoDB": "dynamodb", "RDS": "rds"}

// Unanswered is the ERROR finding of a check AWS would not answer: the
// reason, and the permission to grant.
func Unanswered(check, resource, resourceType string, err error) notify.Finding {
	action := "the read it needs"
	var op *smithy.OperationError
	if errors.As(err, &op) {
		prefix := iamPrefix[op.ServiceID]
		if prefix == "" {
			prefix = strings.ToLower(op.ServiceID)
		}
		action = prefix + ":" + op.OperationName
	}
	code := errorCode(err)
	obs := map[string]string{"errorCode": code, "error": err.Error()}
	return finding(check, notify.StatusError, resource, resourceType,
		fmt.Sprintf("AWS would not answer (%s): check not evaluated", orPlaceholder(code, "error")), obs,
		fmt.Sprintf("allow %s on %s to the function's IAM role (or enable the region)", action, resource))
}
