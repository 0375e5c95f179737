package state

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EvacuationMethod is how a group was moved out of an AZ.
type EvacuationMethod string

// Evacuation methods. A record without one ("", every record written
// before zonal shifts) is MethodSubnets.
const (
	// MethodSubnets took the AZ's subnets out of the group's
	// VPCZoneIdentifier (and raised MaxSize where it had to).
	MethodSubnets EvacuationMethod = "SUBNETS"
	// MethodZonalShift started an ARC zonal shift of the group away from
	// the AZ: the group itself launches nothing there while it holds.
	MethodZonalShift EvacuationMethod = "ZONAL_SHIFT"
)

// Attribute names of a zonal shift in an evacuation record.
const (
	attrMethod      = "method"
	attrAZID        = "azId"
	attrShiftID     = "zonalShiftId"
	attrShiftExpiry = "zonalShiftExpiry"
	attrHeldBy      = "heldBy"
)

// ByZonalShift reports whether the evacuation is an ARC zonal shift.
func (e Evacuation) ByZonalShift() bool { return e.Method == MethodZonalShift }

func putZonalShift(it item, e Evacuation) {
	if !e.ByZonalShift() {
		return // the record's shape before zonal shifts
	}
	it[attrMethod] = str(string(e.Method))
	it[attrAZID] = str(e.AZID)
	if e.ZonalShiftID != "" {
		it[attrShiftID] = str(e.ZonalShiftID)
		it[attrShiftExpiry] = timestamp(e.ZonalShiftExpiry)
	}
}

func readZonalShift(it item, e *Evacuation) {
	e.Method = EvacuationMethod(it.str(attrMethod))
	e.AZID = it.str(attrAZID)
	e.ZonalShiftID = it.str(attrShiftID)
	e.ZonalShiftExpiry = it.time(attrShiftExpiry)
	e.HeldBy = it.str(attrHeldBy)
}

// MarkHeld remembers on an evacuation's record that its restore was
// reported held back by someone else's zonal shift, so that it is
// reported once. A record gone or evacuated again meanwhile is left alone.
func (s *Store) MarkHeld(ctx context.Context, e Evacuation, shift string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(s.evacPK(e.Group), e.AZ),
		UpdateExpression:         aws.String("SET #h = :h ADD version :one"),
		ConditionExpression:      aws.String("attribute_exists(pk) AND createdAt = :c"),
		ExpressionAttributeNames: map[string]string{"#h": attrHeldBy},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": str(shift), ":one": num(1), ":c": timestamp(e.CreatedAt),
		},
	})
	if _, ok := isConditionFailed(err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark restore of %s into %s held by %s: %w", e.Group, e.AZ, shift, err)
	}
	return nil
}

// SetZonalShift records the zonal shift an evacuation started, or its new
// expiry once extended, on the record e was read as. It returns the record
// as written; ErrConflict when the record is gone or is another
// evacuation's (restored meanwhile and evacuated again).
func (s *Store) SetZonalShift(ctx context.Context, e Evacuation, id string, expiry time.Time) (Evacuation, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(s.evacPK(e.Group), e.AZ),
		UpdateExpression:    aws.String("SET #id = :id, #exp = :exp ADD version :one"),
		ConditionExpression: aws.String("attribute_exists(pk) AND createdAt = :c AND #m = :m"),
		ExpressionAttributeNames: map[string]string{
			"#id": attrShiftID, "#exp": attrShiftExpiry, "#m": attrMethod,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":id": str(id), ":exp": timestamp(expiry), ":one": num(1),
			":c": timestamp(e.CreatedAt), ":m": str(string(MethodZonalShift)),
		},
	})
	if _, ok := isConditionFailed(err); ok {
		return e, fmt.Errorf("record zonal shift %s of %s from %s: %w", id, e.Group, e.AZ, ErrConflict)
	}
	if err != nil {
		return e, fmt.Errorf("record zonal shift %s of %s from %s: %w", id, e.Group, e.AZ, err)
	}
	e.ZonalShiftID, e.ZonalShiftExpiry = id, expiry.UTC().Truncate(time.Millisecond)
	e.version++
	return e, nil
}
