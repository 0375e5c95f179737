package notify_test

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/awssim/simenv"
	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/notify"
	"github.com/selfheal/selfheal/shared/state"
)

const (
	rp1ARN = "arn:aws:backup:us-east-1:123456789012:recovery-point:rp-1"
	rp2ARN = "arn:aws:backup:us-east-1:123456789012:recovery-point:rp-2"
)

func rpFinding(arn, check string, st notify.Status) notify.Finding {
	return notify.Finding{
		Check: check, Status: st, Severity: notify.SeverityMedium, Resource: arn,
		ResourceType: "AWS::Backup::RecoveryPoint", Account: "123456789012", Region: "us-east-1",
		Summary: check + " " + string(st),
	}
}

// stateTraffic is what a Report cost the state table: its batch reads,
// and the resources whose states it wrote.
type stateTraffic struct {
	BatchGets int
	Written   []string
}

func trafficSince(sim *awssim.Sim, since int) stateTraffic {
	tr := stateTraffic{}
	for _, c := range sim.CallsSince(since) {
		if c.Service != awssim.ServiceDynamoDB || c.Err != nil {
			continue
		}
		switch c.Operation {
		case "BatchGetItem":
			tr.BatchGets++
		case "PutItem":
			if r, ok := c.Input.(*dynamodb.PutItemInput).Item["resource"].(*ddbtypes.AttributeValueMemberS); ok {
				tr.Written = append(tr.Written, r.Value)
			}
		case "TransactWriteItems":
			// A resource whose open failures changed: its states and its
			// entry in the open-failures index, together.
			for _, ti := range c.Input.(*dynamodb.TransactWriteItemsInput).TransactItems {
				if ti.Put == nil {
					continue
				}
				if r, ok := ti.Put.Item["resource"].(*ddbtypes.AttributeValueMemberS); ok {
					tr.Written = append(tr.Written, r.Value)
				}
			}
		}
	}
	sort.Strings(tr.Written)
	return tr
}

// A Report reads every resource of its message at once and writes only
// the resources whose states it changed: a sweep that finds nothing new
// writes nothing.
func TestReportWritesOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	n, sim := newNotifier(t)
	window := config.DefaultPolicy().Notify.DedupeWindow.Duration
	lockMissing := vaultFinding("VAULT_LOCK_PRESENT", notify.StatusFail, "Vault Lock missing")
	steps := []struct {
		name    string
		advance time.Duration
		msg     notify.Message
		want    stateTraffic
		sent    int
	}{
		{"first sight of three resources", 0,
			findingsMessage(lockMissing, rpFinding(rp1ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusPass), rpFinding(rp2ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusPass)),
			stateTraffic{BatchGets: 1, Written: []string{vaultARN, rp1ARN, rp2ARN}}, 1},
		{"the same an hour later", time.Hour,
			findingsMessage(lockMissing, rpFinding(rp1ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusPass), rpFinding(rp2ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusPass)),
			stateTraffic{BatchGets: 1}, 0},
		{"one resource turns bad", time.Hour,
			findingsMessage(lockMissing, rpFinding(rp1ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusFail), rpFinding(rp2ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusPass)),
			stateTraffic{BatchGets: 1, Written: []string{rp1ARN}}, 1},
		{"reminders after the window", window + time.Minute,
			findingsMessage(lockMissing, rpFinding(rp1ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusFail), rpFinding(rp2ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusPass)),
			stateTraffic{BatchGets: 1, Written: []string{vaultARN, rp1ARN}}, 1},
		{"a new check on a passing resource", time.Hour,
			findingsMessage(lockMissing, rpFinding(rp1ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusFail), rpFinding(rp2ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusPass),
				rpFinding(rp2ARN, "RECOVERY_POINT_RETENTION", notify.StatusPass)),
			stateTraffic{BatchGets: 1, Written: []string{rp2ARN}}, 0},
		{"a problem resolved", time.Hour,
			findingsMessage(lockMissing, rpFinding(rp1ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusPass), rpFinding(rp2ARN, "RECOVERY_POINT_ENCRYPTED", notify.StatusPass),
				rpFinding(rp2ARN, "RECOVERY_POINT_RETENTION", notify.StatusPass)),
			stateTraffic{BatchGets: 1, Written: []string{rp1ARN}}, 1},
	}
	for _, st := range steps {
		sim.Advance(st.advance)
		before, published := sim.CallCount(), len(sim.Published())
		if _, err := n.Report(ctx, st.msg); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if diff := cmp.Diff(st.want, trafficSince(sim, before), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: state table traffic (-want +got):\n%s", st.name, diff)
		}
		if got := len(sim.Published()) - published; got != st.sent {
			t.Errorf("%s: %d messages published, want %d", st.name, got, st.sent)
		}
	}
}

// meddler is the state table with another invocation that saves a
// resource's states between a Report's read and its write.
type meddler struct {
	*state.Store
	resource string
	status   string
}

func (m meddler) LoadFindingsBatch(ctx context.Context, resources []string) (map[string]state.ResourceFindings, error) {
	loaded, err := m.Store.LoadFindingsBatch(ctx, resources)
	if err != nil {
		return nil, err
	}
	other, err := m.LoadFindings(ctx, m.resource)
	if err != nil {
		return nil, err
	}
	other.Checks["VAULT_LOCK_PRESENT"] = state.CheckState{Status: m.status, Since: at}
	return loaded, m.SaveFindings(ctx, other)
}

// A resource whose states changed under the Report fails its save with
// state.ErrConflict, after publishing, so the caller decides again on what
// the other invocation wrote.
func TestReportConflictIsReturned(t *testing.T) {
	ctx := context.Background()
	sim := awssim.New()
	env, err := simenv.New(ctx, sim, "us-east-1", config.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	deps := env.Deps("backup-compliance", &bytes.Buffer{})
	store := meddler{Store: deps.Store, resource: vaultARN, status: "PASS"}
	n := notify.New(sns.NewFromConfig(sim.Config("us-east-1")), env.Config.TopicARN, store, sim.Now, time.Hour, false)

	m := findingsMessage(vaultFinding("VAULT_LOCK_PRESENT", notify.StatusFail, "Vault Lock missing"))
	if _, err := n.Report(ctx, m); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("report over a concurrent save: %v, want state.ErrConflict", err)
	}
	if got := len(sim.Published()); got != 1 {
		t.Errorf("%d messages published before the conflicting save, want 1", got)
	}
	// The retry decides on the other invocation's PASS: the FAIL is news.
	retry := deps.Notifier
	res, err := retry.Report(ctx, m)
	if err != nil || len(res.Sent) != 1 {
		t.Errorf("retry: sent %d, err %v; want the FAIL sent again over the PASS", len(res.Sent), err)
	}
}
