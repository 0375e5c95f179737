package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/selfheal/selfheal/shared/state"
)

// FindingStore remembers what was notified per resource.
type FindingStore interface {
	LoadFindings(ctx context.Context, resource string) (state.ResourceFindings, error)
	SaveFindings(ctx context.Context, rf state.ResourceFindings) error
}

var _ FindingStore = (*state.Store)(nil)

// Notifier publishes messages to one SNS topic.
type Notifier struct {
	sns        SNSAPI
	topicARN   string
	store      FindingStore
	now        func() time.Time
	window     time.Duration
	notifyPass bool
}

// New returns a Notifier. window and notifyPass come from the policy.
func New(client SNSAPI, topicARN string, store FindingStore, now func() time.Time, window time.Duration, notifyPass bool) *Notifier {
	return &Notifier{sns: client, topicARN: topicARN, store: store, now: now, window: window, notifyPass: notifyPass}
}

// Result says what a Report sent.
type Result struct {
	Sent       []Rendered
	Suppressed int       // findings not sent again within the dedupe window
	Resolved   []Finding // findings that turned good after being notified
}

// Report sends what m has to say that was not already said: its findings
// through the dedupe (one message carrying all its findings when any needs
// sending; one "resolved" message for problems that are gone) and its
// actions always. States are saved only after publishing succeeded, so a
// failed publish is retried with the event rather than lost.
func (n *Notifier) Report(ctx context.Context, m Message) (Result, error) {
	var res Result
	now := n.now()

	// Decide, per resource.
	byResource := map[string]*state.ResourceFindings{}
	var order []string
	var sendFindings bool
	var resolved []Finding
	for _, f := range m.Findings {
		rf, ok := byResource[f.Resource]
		if !ok {
			loaded, err := n.store.LoadFindings(ctx, f.Resource)
			if err != nil {
				return res, err
			}
			rf = &loaded
			byResource[f.Resource] = rf
			order = append(order, f.Resource)
		}
		prev, known := rf.Checks[f.Check]
		v := Decide(prev, known, f.Status, now, n.window, n.notifyPass)
		switch v {
		case Send:
			sendFindings = true
		case Suppress:
			res.Suppressed++
		case Resolve:
			rf := f
			rf.Previous = Status(prev.Status)
			resolved = append(resolved, rf)
		}
		rf.Checks[f.Check] = Next(prev, known, f.Status, v, now)
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
			return res, err
		}
		res.Sent = append(res.Sent, r)
	}
	for _, resource := range order {
		if err := n.store.SaveFindings(ctx, *byResource[resource]); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Publish renders and publishes m as it is, without dedupe (digests).
func (n *Notifier) Publish(ctx context.Context, m Message) (Rendered, error) {
	r, err := Render(m)
	if err != nil {
		return r, err
	}
	structured, err := structure(r)
	if err != nil {
		return r, err
	}
	_, err = n.sns.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(n.topicARN),
		Subject:           aws.String(r.Subject),
		Message:           aws.String(structured),
		MessageStructure:  aws.String("json"),
		MessageAttributes: r.Attributes,
	})
	if err != nil {
		return r, fmt.Errorf("publish %q: %w", r.Subject, err)
	}
	return r, nil
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
