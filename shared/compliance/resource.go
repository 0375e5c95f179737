package compliance

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/selfheal/selfheal/shared/notify"
)

// CloudFormation-style types of the resources findings are about.
const (
	TypeBackupVault       = "AWS::Backup::BackupVault"
	TypeRecoveryPoint     = "AWS::Backup::RecoveryPoint"
	TypeBackupPlan        = "AWS::Backup::BackupPlan"
	TypeProtectedResource = "AWS::Backup::ProtectedResource" // a type AWS Backup protects that we do not name
)

// backupResourceTypes maps AWS Backup's resource type names (as in job
// events and DescribeRecoveryPoint) to CloudFormation types.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html
var backupResourceTypes = map[string]string{
	"Aurora":          "AWS::RDS::DBCluster",
	"CloudFormation":  "AWS::CloudFormation::Stack",
	"DocumentDB":      "AWS::DocDB::DBCluster",
	"DynamoDB":        "AWS::DynamoDB::Table",
	"EBS":             "AWS::EC2::Volume",
	"EC2":             "AWS::EC2::Instance",
	"EFS":             "AWS::EFS::FileSystem",
	"FSx":             "AWS::FSx::FileSystem",
	"Neptune":         "AWS::Neptune::DBCluster",
	"RDS":             "AWS::RDS::DBInstance",
	"Redshift":        "AWS::Redshift::Cluster",
	"S3":              "AWS::S3::Bucket",
	"Storage Gateway": "AWS::StorageGateway::Volume",
	"Timestream":      "AWS::Timestream::Table",
}

// ResourceType returns the CloudFormation type of a resource AWS Backup
// protects, from its AWS Backup resource type and, when that is unknown,
// its ARN.
func ResourceType(backupType, resourceARN string) string {
	if t, ok := backupResourceTypes[backupType]; ok {
		// "RDS" is also what older events say for an Aurora cluster.
		if t == "AWS::RDS::DBInstance" && strings.Contains(resourceARN, ":cluster:") {
			return "AWS::RDS::DBCluster"
		}
		return t
	}
	a, err := arn.Parse(resourceARN)
	if err != nil {
		return TypeProtectedResource
	}
	switch {
	case a.Service == "dynamodb" && strings.HasPrefix(a.Resource, "table/"):
		return "AWS::DynamoDB::Table"
	case a.Service == "rds" && strings.HasPrefix(a.Resource, "db:"):
		return "AWS::RDS::DBInstance"
	case a.Service == "rds" && strings.HasPrefix(a.Resource, "cluster:"):
		return "AWS::RDS::DBCluster"
	case a.Service == "s3":
		return "AWS::S3::Bucket"
	}
	return TypeProtectedResource
}

// Protected names a resource AWS Backup protects as its owners know it
// (type, name, ARN), from its ARN and AWS Backup's name of its type; nil
// when the ARN is not known.
func Protected(resourceARN, backupType string) *notify.ProtectedResource {
	if resourceARN == "" {
		return nil
	}
	return &notify.ProtectedResource{Type: ResourceType(backupType, resourceARN), Name: protectedName(resourceARN), ARN: resourceARN}
}

// protectedName is the name in a resource's ARN: a table's, a database's,
// a bucket's, else the last part of the ARN (a volume or file system id).
func protectedName(resourceARN string) string {
	name := resourceName(resourceARN)
	if i := strings.LastIndexAny(name, ":/"); i >= 0 && i < len(name)-1 {
		return name[i+1:]
	}
	return name
}

// about marks a finding on a recovery point, copy or job with the resource
// it protects.
func about(f notify.Finding, resourceARN, backupType string) notify.Finding {
	if f.ProtectedResource == nil {
		f.ProtectedResource = Protected(resourceARN, backupType)
	}
	return f
}

// arnParts returns the account, region and resource part of an ARN; all
// empty when s is not an ARN.
func arnParts(s string) (account, region, resource string) {
	a, err := arn.Parse(s)
	if err != nil {
		return "", "", ""
	}
	return a.AccountID, a.Region, a.Resource
}

// RegionOf returns the region of an ARN, "" when s is not a regional ARN.
func RegionOf(s string) string {
	_, r, _ := arnParts(s)
	return r
}

// VaultNameOf returns the vault name of a backup vault ARN
// (arn:aws:backup:<region>:<account>:backup-vault:<name>), "" otherwise.
func VaultNameOf(vaultARN string) string {
	_, _, res := arnParts(vaultARN)
	name, ok := strings.CutPrefix(res, "backup-vault:")
	if !ok {
		return ""
	}
	return name
}

// IsContinuousRecoveryPoint reports whether a recovery point ARN names a
// continuous backup (point-in-time recovery): AWS Backup gives those ARNs
// the form …:recovery-point:continuous:<id>.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html
func IsContinuousRecoveryPoint(recoveryPointARN string) bool {
	_, _, res := arnParts(recoveryPointARN)
	return strings.HasPrefix(res, "recovery-point:continuous:")
}

// finding builds a finding about one resource; account and region come
// from its ARN.
func finding(check string, st notify.Status, resource, resourceType, summary string, observed map[string]string, remediation string) notify.Finding {
	account, region, _ := arnParts(resource)
	if st == notify.StatusPass || st == notify.StatusNotApplicable {
		remediation = ""
	}
	return notify.Finding{
		Check:        check,
		Status:       st,
		Severity:     severity(check, st),
		Resource:     resource,
		ResourceType: resourceType,
		Account:      account,
		Region:       region,
		Summary:      summary,
		Observed:     observed,
		Remediation:  remediation,
	}
}

// Formatting of observed values: what a person reads in the JSON document.

func days(n *int64) string {
	if n == nil {
		return "not set"
	}
	return strconv.FormatInt(*n, 10)
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "not set"
	}
	return t.UTC().Format(time.RFC3339)
}

func yes(b bool) string { return strconv.FormatBool(b) }

func itoa(n int) string { return strconv.Itoa(n) }

// plural writes n and a noun, "1 day", "3 days".
func plural(n int64, noun string) string {
	s := strconv.FormatInt(n, 10) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}
