package gameday

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/selfheal/selfheal/shared/awssim"
	"github.com/selfheal/selfheal/shared/notify"
)

// Invocation is one run of a function's handler on one event, as the
// boundary logged it.
type Invocation struct {
	Function string `json:"function"`
	Attempt  int    `json:"attempt"`
	// Status is the boundary's: processed, ignored, duplicate,
	// quarantined or error.
	Status   string `json:"status"`
	Decision string `json:"decision,omitempty"`
	Error    string `json:"error,omitempty"`
	Findings int    `json:"findings"`
	Failing  int    `json:"failing"`
	Actions  int    `json:"actions"`
	Notified int    `json:"notified"`
	// Notifications are the messages published during the invocation.
	Notifications []Notification `json:"notifications,omitempty"`
	// Calls is how many AWS call attempts the invocation made.
	Calls int `json:"calls"`
	// Log is the boundary's log line as written. It stays out of the
	// report: its wall-clock time would make two identical runs differ
	// (simulate --logs shows the lines).
	Log json.RawMessage `json:"-"`
}

// Failed reports whether the handler returned an error (Lambda retries).
func (i Invocation) Failed() bool { return i.Status == StatusError }

// StatusError is the status of an invocation whose handler returned an
// error; the other statuses are the boundary's own.
const StatusError = "error"

// Notification is one message published to the deployment's topic.
type Notification struct {
	Time     time.Time        `json:"time"`
	Offset   Offset           `json:"offset"`
	Subject  string           `json:"subject"`
	Kind     notify.Kind      `json:"kind,omitempty"`
	Function string           `json:"function,omitempty"`
	EventID  string           `json:"eventId,omitempty"`
	DryRun   bool             `json:"dryRun,omitempty"`
	Status   notify.Status    `json:"status,omitempty"`
	Findings []notify.Finding `json:"findings,omitempty"`
	Actions  []notify.Action  `json:"actions,omitempty"`
	// Open are the failures a digest counts open (at most
	// notify.MaxDigestOpen of them).
	Open []notify.OpenFailure `json:"open,omitempty"`
	// Text is the e-mail rendering.
	Text string `json:"-"`
}

// OpenSince is when an open failure of n began, as an offset of the game
// day.
func (n Notification) OpenSince(o notify.OpenFailure) Offset {
	return n.Offset - Offset(n.Time.Sub(o.First))
}

// ParseNotification reads a message as selfheal publishes it
// (MessageStructure json: the document for machines, the text for e-mail).
// A message in another shape keeps only its subject and text.
func ParseNotification(subject, message string, structured bool, at time.Time) Notification {
	n := Notification{Time: at, Subject: subject, Text: message}
	if !structured {
		return n
	}
	var parts struct {
		Default string `json:"default"`
		Email   string `json:"email"`
	}
	if json.Unmarshal([]byte(message), &parts) != nil {
		return n
	}
	n.Text = parts.Email
	var doc struct {
		notify.Message
		Status notify.Status `json:"status"`
	}
	if json.Unmarshal([]byte(parts.Default), &doc) == nil {
		n.Kind, n.Function, n.EventID, n.DryRun = doc.Kind, doc.Function, doc.EventID, doc.DryRun
		n.Status, n.Findings, n.Actions = doc.Status, doc.Findings, doc.Actions
		if doc.Digest != nil {
			n.Open = doc.Digest.Open
		}
	}
	return n
}

func notificationOf(m awssim.PublishedMessage) Notification {
	return ParseNotification(m.Subject, m.Message, m.Structure == "json", m.Time)
}

// Invoke runs a function's handler once on raw, as one Lambda attempt
// with Lambda's context: the request id (Lambda keeps one delivery's id
// across its retries; "" makes a new one), the function's ARN in the
// simulated account, and a deadline the function's timeout away.
func (w *World) Invoke(ctx context.Context, function string, raw []byte, attempt int, requestID string) (Invocation, error) {
	d, ok := w.deployed[function]
	if !ok {
		return Invocation{}, fmt.Errorf("no function %q (have: %v)", function, FunctionNames())
	}
	if requestID == "" {
		requestID = w.newEventID()
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID, InvokedFunctionArn: d.arn})
	ctx, cancel := context.WithTimeout(ctx, d.fn.Timeout)
	defer cancel()
	if d.boundary == nil {
		return Invocation{}, fmt.Errorf("%s is invoked by its state machine, with a task, not with an event", function)
	}
	calls, published := w.callCount(), len(w.Sim.Published())
	d.out.take()
	err := d.boundary.Handle(ctx, raw)
	inv := DecodeLogLine(d.out.take())
	inv.Function, inv.Attempt = function, attempt
	if err != nil {
		inv.Status, inv.Error = StatusError, err.Error()
	}
	inv.Calls = w.callCount() - calls
	for _, m := range inPublishingOrder(w.Sim.Published()[published:]) {
		n := notificationOf(m)
		n.Offset = w.offset(n.Time)
		inv.Notifications = append(inv.Notifications, n)
	}
	return inv, nil
}

// DecodeLogLine reads the boundary's one log line out of a function's
// output (which also holds its EMF record).
func DecodeLogLine(out []byte) Invocation {
	var inv Invocation
	for line := range bytes.Lines(out) {
		var l struct {
			Status   string `json:"status"`
			Decision string `json:"decision"`
			Error    string `json:"error"`
			Findings int    `json:"findings"`
			Failing  int    `json:"failing"`
			Actions  int    `json:"actions"`
			Notified int    `json:"notified"`
			AWS      any    `json:"_aws"`
		}
		if json.Unmarshal(line, &l) != nil || l.AWS != nil || l.Status == "" {
			continue
		}
		inv.Status, inv.Decision, inv.Error = l.Status, l.Decision, l.Error
		inv.Findings, inv.Failing, inv.Actions, inv.Notified = l.Findings, l.Failing, l.Actions, l.Notified
		inv.Log = json.RawMessage(bytes.TrimSpace(line))
	}
	return inv
}

// capture keeps a function's output since the last take, and copies it to
// tee.
type capture struct {
	mu  sync.Mutex
	buf bytes.Buffer
	tee io.Writer
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if c.tee != nil {
		// The copy is for people reading along; it must not fail the
		// function.
		_, _ = c.tee.Write(p)
	}
	return len(p), nil
}

func (c *capture) take() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := bytes.Clone(c.buf.Bytes())
	c.buf.Reset()
	return out
}

// DeadLetters lists what the deployment's dead-letter queue holds.
func (w *World) DeadLetters() []DeadLetter {
	return deadLetters(w.Sim.QueueMessages(w.Env.Config.QueueURL))
}

// inPublishingOrder orders messages by sim time and, within one instant,
// by subject and body. Messages of one instant come from one invocation
// publishing concurrently (the sweep reports its batches in parallel), so
// their order says nothing; fixing it keeps a run the same for a seed.
func inPublishingOrder(ms []awssim.PublishedMessage) []awssim.PublishedMessage {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b awssim.PublishedMessage) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := strings.Compare(a.Subject, b.Subject); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return out
}
