package state

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Stashed is a message kept for an event's retry.
type Stashed struct {
	Key     string
	Payload string
}

func outboxPK(eventID string) string { return "outbox#" + eventID }

// StashMessage keeps a message an invocation could not send, for the
// event's next delivery (Lambda's retry, or a redrive from the dead-letter
// queue) to send. It is remembered as long as the event id is.
func (s *Store) StashMessage(ctx context.Context, eventID, payload string) (string, error) {
	now := s.now()
	s.mu.Lock()
	*s.stashSeq++
	sk := fmt.Sprintf("%020d#%06d", now.UnixNano(), *s.stashSeq)
	s.mu.Unlock()
	it := key(outboxPK(eventID), sk)
	it["payload"] = str(payload)
	it[attrExpiresAt] = ttl(now.Add(eventMemory))
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: it})
	if err != nil {
		return "", fmt.Errorf("stash message for event %s: %w", eventID, err)
	}
	return sk, nil
}

// StashedMessages returns the messages kept for an event, oldest first.
func (s *Store) StashedMessages(ctx context.Context, eventID string) ([]Stashed, error) {
	var out []Stashed
	err := s.queryAll(ctx, s.wholePartition(outboxPK(eventID)), func(it item) {
		out = append(out, Stashed{Key: it.str(attrSK), Payload: it.str("payload")})
	})
	if err != nil {
		return nil, fmt.Errorf("read stashed messages of event %s: %w", eventID, err)
	}
	return out, nil
}

// DropStashed forgets a message once it was sent.
func (s *Store) DropStashed(ctx context.Context, eventID, sk string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(outboxPK(eventID), sk)})
	if err != nil {
		return fmt.Errorf("drop stashed message of event %s: %w", eventID, err)
	}
	return nil
}
