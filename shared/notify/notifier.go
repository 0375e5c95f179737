package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/selfheal/selfheal/shared/state"
)

// Store remembers what was notified per resource, and keeps the action
// messages that could not be sent for the event's retry.
type Store interface {
	LoadFindingsBatch(ctx context.Context, resources []string) (map[string]state.ResourceFindings, error)
	SaveFindings(ctx context.Context, rf state.ResourceFindings) error
	StashMessage(ctx context.Context, eventID, payload string) (string, error)
	StashedMessages(ctx context.Context, eventID string) ([]state.Stashed, error)
	DropStashed(ctx context.Context, eventID, sk string) error
}

var _ Store = (*state.Store)(nil)

// Notifier publishes messages to one SNS topic.
type Notifier struct {
	sns        SNSAPI
	topicARN   string
	store      Store
	now        func() time.Time
	window     time.Duration
	notifyPass bool
}

// New returns a Notifier. window and notifyPass come from the policy.
func New(client SNSAPI, topicARN string, store Store, now func() time.Time, window time.Duration, notifyPass bool) *Notifier {
	return &Notifier{sns: client, topicARN: topicARN, store: store, now: now, window: window, notifyPass: notifyPass}
}

// Result says what a Report sent.
type Result struct {
	Sent       []Rendered
	Suppressed int       // findings not sent again within the dedupe window
	Resolved   []Finding // findings that turned good after being notified
	New        []Finding // problems notified for the first time, or with another status
	Reminded   []Finding // problems notified again once the dedupe window passed
}

// Report sends what m has to say that was not already said: its findings
// through the dedupe (one message carrying all its findings when any needs
// sending; one "resolved" message for problems that are gone) and its
// actions always. What was said before is read with one batch read per 100
// resources; states are saved only after publishing succeeded, so a failed
// publish is retried with the event rather than lost, and only for the
// resources whose states changed: a resource with nothing new costs no
// write. A resource another invocation saved meanwhile makes the save fail
// with state.ErrConflict: the caller decides again on what it wrote.
func (n *Notifier) Report(ctx context.Context, m Message) (Result, error) {
	var res Result
	now := n.now()

	// Decide, per resource, on what was remembered of it.
	var order []string
	seen := map[string]bool{}
	for _, f := range m.Findings {
		if !seen[f.Resource] {
			seen[f.Resource] = true
			order = append(order, f.Resource)
		}
	}
	var before map[string]state.ResourceFindings
	if len(order) > 0 {
		var err error
		if before, err = n.store.LoadFindingsBatch(ctx, order); err != nil {
			return res, err
		}
	}
	after := make(map[string]state.ResourceFindings, len(order))
	var sendFindings bool
	var resolved []Finding
	for _, f := range m.Findings {
		rf, ok := after[f.Resource]
		if !ok {
			rf = before[f.Resource]
			rf.Resource, rf.Checks = f.Resource, maps.Clone(rf.Checks)
			if rf.Checks == nil {
				rf.Checks = map[string]state.CheckState{}
			}
			describe(&rf, f)
			after[f.Resource] = rf
		}
		prev, known := rf.Checks[f.Check]
		v := Decide(prev, known, f.Status, now, n.window, n.notifyPass)
		switch v {
		case Send:
			sendFindings = true
			if f.Status.Bad() {
				if known && prev.Status == string(f.Status) {
					res.Reminded = append(res.Reminded, f)
				} else {
					res.New = append(res.New, f)
				}
			}
		case Suppress:
			res.Suppressed++
		case Resolve:
			rf := f
			rf.Previous = Status(prev.Status)
			resolved = append(resolved, rf)
		}
		rf.Checks[f.Check] = Next(prev, known, f, v, now)
	}
	var changed []string
	for _, r := range order {
		if checksChanged(before[r].Checks, after[r].Checks) {
			changed = append(changed, r)
		}
	}
	// Act: publish, then remember.
	if sendFindings {
		fm := m
		fm.Kind, fm.Actions = KindFindings, nil
		r, err := n.Publish(ctx, fm)
		if err != nil {
			return res, err
		}
		res.Sent = append(res.Sent, r)
	}
	if len(resolved) > 0 {
		rm := m
		rm.Kind, rm.Findings, rm.Actions = KindResolved, resolved, nil
		r, err := n.Publish(ctx, rm)
		if err != nil {
			return res, err
		}
		res.Sent = append(res.Sent, r)
		res.Resolved = resolved
	}
	if len(m.Actions) > 0 {
		am := m
		am.Kind, am.Findings = KindRemediation, nil
		r, err := n.Publish(ctx, am)
		if err != nil {
			// The actions happened and will not happen again on the retry,
			// so their message is kept for it (FlushOutbox) instead of being
			// computed again.
			return res, n.stash(ctx, m.EventID, r, err)
		}
		res.Sent = append(res.Sent, r)
	}
	for _, r := range changed {
		if err := n.store.SaveFindings(ctx, after[r]); err != nil {
			return res, err
		}
	}
	return res, nil
}

// describe keeps what a digest says of a resource with its states.
func describe(rf *state.ResourceFindings, f Finding) {
	rf.ResourceType, rf.Account, rf.Region = f.ResourceType, f.Account, f.Region
	rf.Protected = state.Protected{}
	if p := f.ProtectedResource; p != nil {
		rf.Protected = state.Protected{Type: p.Type, Name: p.Name, ARN: p.ARN}
	}
}

// checksChanged reports whether after, before's states with this report's
// verdicts applied, says anything before did not: a new check, or another
// status, first sighting or notification time.
func checksChanged(before, after map[string]state.CheckState) bool {
	if len(after) != len(before) {
		return true
	}
	for check, a := range after {
		b, ok := before[check]
		if !ok || a.Status != b.Status || !a.Since.Equal(b.Since) || !a.NotifiedAt.Equal(b.NotifiedAt) ||
			a.Open != b.Open || !a.First.Equal(b.First) || a.Notified != b.Notified || a.Severity != b.Severity || a.Summary != b.Summary {
			return true
		}
	}
	return false
}

// Publish renders and publishes m as it is, without dedupe (digests).
func (n *Notifier) Publish(ctx context.Context, m Message) (Rendered, error) {
	r, err := Render(m)
	if err != nil {
		return r, err
	}
	return r, n.publishRendered(ctx, r)
}

func (n *Notifier) publishRendered(ctx context.Context, r Rendered) error {
	structured, err := structure(r)
	if err != nil {
		return err
	}
	_, err = n.sns.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(n.topicARN),
		Subject:           aws.String(r.Subject),
		Message:           aws.String(structured),
		MessageStructure:  aws.String("json"),
		MessageAttributes: r.Attributes,
	})
	if err != nil {
		return fmt.Errorf("publish %q: %w", r.Subject, err)
	}
	return nil
}

// structure is the MessageStructure=json body: "email" gets the text,
// everyone else ("default": sqs, lambda, https, email-json, …) the JSON
// document. Listing only these two keeps the message one copy of each.
func structure(r Rendered) (string, error) {
	b, err := json.Marshal(map[string]string{"default": r.JSON, "email": r.Text})
	if err != nil {
		return "", fmt.Errorf("encode message structure: %w", err)
	}
	return string(b), nil
}

// stashed is a rendered message as the outbox keeps it.
type stashed struct {
	Subject    string            `json:"subject"`
	Text       string            `json:"text"`
	JSON       string            `json:"json"`
	Attributes map[string]string `json:"attributes"` // name → "DataType value"
}

func (n *Notifier) stash(ctx context.Context, eventID string, r Rendered, publishErr error) error {
	if eventID == "" || r.Subject == "" {
		return publishErr
	}
	if _, err := n.keep(ctx, eventID, r); err != nil {
		return errors.Join(publishErr, fmt.Errorf("keep the message for the retry: %w", err))
	}
	return fmt.Errorf("%w (%w)", publishErr, ErrKeptForRetry)
}

// ErrKeptForRetry is part of a Report error when the message that could
// not be published was kept for the event's retry: nothing is lost.
var ErrKeptForRetry = errors.New("message kept for the event's retry")

func (n *Notifier) keep(ctx context.Context, eventID string, r Rendered) (string, error) {
	s := stashed{Subject: r.Subject, Text: r.Text, JSON: r.JSON, Attributes: map[string]string{}}
	for k, v := range r.Attributes {
		s.Attributes[k] = aws.ToString(v.DataType) + " " + aws.ToString(v.StringValue)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode kept message: %w", err)
	}
	return n.store.StashMessage(ctx, eventID, string(b))
}

// Intent is a message kept before acting, in case the invocation dies
// between acting and reporting.
type Intent struct {
	eventID, key string
}

// Intend keeps m — the report of actions as they will be once done — before
// they are taken. If the invocation dies between its writes and its report,
// the event's retry finds nothing left to do, and the boundary sends this
// message instead (FlushOutbox). An invocation that lives to report calls
// Forget.
func (n *Notifier) Intend(ctx context.Context, m Message) (Intent, error) {
	r, err := Render(m)
	if err != nil {
		return Intent{}, err
	}
	key, err := n.keep(ctx, m.EventID, r)
	if err != nil {
		return Intent{}, err
	}
	return Intent{eventID: m.EventID, key: key}, nil
}

// Forget drops an intent: the invocation reported (or kept) what really
// happened itself.
func (n *Notifier) Forget(ctx context.Context, i Intent) error {
	if i.key == "" {
		return nil
	}
	return n.store.DropStashed(ctx, i.eventID, i.key)
}

// FlushOutbox publishes the messages an earlier delivery of the event could
// not send, oldest first, and forgets each once sent. It returns how many
// it sent.
func (n *Notifier) FlushOutbox(ctx context.Context, eventID string) (int, error) {
	kept, err := n.store.StashedMessages(ctx, eventID)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, k := range kept {
		var s stashed
		if err := json.Unmarshal([]byte(k.Payload), &s); err != nil {
			return sent, fmt.Errorf("read kept message %s of event %s: %w", k.Key, eventID, err)
		}
		r := Rendered{Subject: s.Subject, Text: s.Text, JSON: s.JSON, Attributes: map[string]types.MessageAttributeValue{}}
		for name, v := range s.Attributes {
			dataType, value, _ := strings.Cut(v, " ")
			r.Attributes[name] = types.MessageAttributeValue{DataType: aws.String(dataType), StringValue: aws.String(value)}
		}
		if err := n.publishRendered(ctx, r); err != nil {
			return sent, err
		}
		if err := n.store.DropStashed(ctx, eventID, k.Key); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}
