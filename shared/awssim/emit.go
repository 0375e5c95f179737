package awssim

import (
	"encoding/json"
	"time"
)

// EmittedEvent is an EventBridge event the simulated account put on its
// default event bus, in the envelope AWS uses.
// https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
type EmittedEvent struct {
	Region     string
	Source     string
	DetailType string
	Time       time.Time
	// JSON is the whole event as a rule target receives it.
	JSON json.RawMessage
}

type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// emitLocked publishes an event the way the service would. detail is
// marshalled as is, so services shape it exactly like the AWS samples in
// events/.
func (s *Sim) emitLocked(region, source, detailType string, resources []string, detail any) {
	d, err := json.Marshal(detail)
	if err != nil {
		// A detail the sim cannot marshal is a bug in the sim itself.
		panic("awssim: marshal event detail: " + err.Error())
	}
	if resources == nil {
		resources = []string{}
	}
	env := envelope{
		Version: "0", ID: s.uuid(), DetailType: detailType, Source: source,
		Account: s.accountID, Time: s.now.Format(time.RFC3339), Region: region,
		Resources: resources, Detail: d,
	}
	raw, _ := json.Marshal(env) // cannot fail: every field is already JSON
	s.emitted = append(s.emitted, EmittedEvent{
		Region: region, Source: source, DetailType: detailType, Time: s.now, JSON: raw,
	})
}

// Emitted returns every event emitted so far.
func (s *Sim) Emitted() []EmittedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]EmittedEvent(nil), s.emitted...)
}

// DrainEvents returns the events emitted since the last drain and forgets
// them: what a local event bus delivers next.
func (s *Sim) DrainEvents() []EmittedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.emitted[s.drained:]
	s.drained = len(s.emitted)
	return append([]EmittedEvent(nil), out...)
}
