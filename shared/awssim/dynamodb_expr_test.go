package awssim_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

// exprItem is the item every condition case is evaluated against.
func exprItem() map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		"pk":     ddbS("item"),
		"status": ddbS("open"),
		"count_": ddbN("10"),
		"price":  ddbN("1.50"),
		"tags":   &ddbtypes.AttributeValueMemberSS{Value: []string{"red", "blue"}},
		"nested": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
			"deep": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{ddbS("zero"), ddbS("one")}},
		}},
		"flag": &ddbtypes.AttributeValueMemberBOOL{Value: true},
	}
}

// TestDynamoDBConditionExpressions evaluates each condition as the
// ConditionExpression of a PutItem over exprItem: a true condition lets
// the put through, a false one fails with ConditionalCheckFailedException,
// and an expression DynamoDB refuses fails with a ValidationException
// naming the problem.
func TestDynamoDBConditionExpressions(t *testing.T) {
	f := newDDBTable(t, "")
	ctx := context.Background()
	if _, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: exprItem()}); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{"#s": "status"}
	vals := func(kv ...any) map[string]ddbtypes.AttributeValue {
		m := map[string]ddbtypes.AttributeValue{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(ddbtypes.AttributeValue)
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		expr    string
		names   map[string]string
		values  map[string]ddbtypes.AttributeValue
		want    bool
		wantErr string // substring of the ValidationException
	}{
		{name: "attribute_exists", expr: "attribute_exists(#s)", names: status, want: true},
		{name: "attribute_not_exists on a missing attribute", expr: "attribute_not_exists(absent)", want: true},
		{name: "attribute_not_exists on the key", expr: "attribute_not_exists(pk)", want: false},
		{name: "equal", expr: "#s = :v", names: status, values: vals(":v", ddbS("open")), want: true},
		{name: "not equal", expr: "#s <> :v", names: status, values: vals(":v", ddbS("open")), want: false},
		{name: "not equal on a missing attribute", expr: "absent <> :v", values: vals(":v", ddbS("open")), want: true},
		{name: "equal across types", expr: "count_ = :v", values: vals(":v", ddbS("10")), want: false},
		{name: "numbers compare by value, not text", expr: "count_ > :v", values: vals(":v", ddbN("9")), want: true},
		{name: "less or equal", expr: "count_ <= :v", values: vals(":v", ddbN("10")), want: true},
		{name: "less", expr: "count_ < :v", values: vals(":v", ddbN("10")), want: false},
		{name: "greater or equal", expr: "count_ >= :v", values: vals(":v", ddbN("1e1")), want: true},
		{name: "equal numbers in different notation", expr: "price = :v", values: vals(":v", ddbN("1.5")), want: true},
		{name: "begins_with", expr: "begins_with(#s, :p)", names: status, values: vals(":p", ddbS("op")), want: true},
		{name: "begins_with no match", expr: "begins_with(#s, :p)", names: status, values: vals(":p", ddbS("pen")), want: false},
		{name: "between", expr: "count_ BETWEEN :lo AND :hi", values: vals(":lo", ddbN("5"), ":hi", ddbN("10")), want: true},
		{name: "in", expr: "#s IN (:a, :b)", names: status, values: vals(":a", ddbS("closed"), ":b", ddbS("open")), want: true},
		{name: "not", expr: "NOT #s = :v", names: status, values: vals(":v", ddbS("open")), want: false},
		{name: "and or parentheses", expr: "(#s = :x OR count_ = :n) AND attribute_exists(tags)", names: status,
			values: vals(":x", ddbS("closed"), ":n", ddbN("10")), want: true},
		{name: "and binds tighter than or", expr: "#s = :x AND count_ = :n OR flag = :t", names: status,
			values: vals(":x", ddbS("closed"), ":n", ddbN("10"), ":t", &ddbtypes.AttributeValueMemberBOOL{Value: true}), want: true},
		{name: "size of a set", expr: "size(tags) = :two", values: vals(":two", ddbN("2")), want: true},
		{name: "contains on a set", expr: "contains(tags, :t)", values: vals(":t", ddbS("blue")), want: true},
		{name: "nested path", expr: "nested.deep[1] = :v", values: vals(":v", ddbS("one")), want: true},
		{name: "nested path out of range", expr: "attribute_exists(nested.deep[5])", want: false},
		{name: "keywords are case-insensitive", expr: "attribute_exists(pk) and not attribute_exists(absent)", want: true},

		{name: "reserved word as a name", expr: "status = :v", values: vals(":v", ddbS("open")), wantErr: "reserved keyword: status"},
		{name: "undefined value", expr: "#s = :nope", names: status, wantErr: "attribute value: :nope"},
		{name: "undefined name", expr: "#nope = :v", values: vals(":v", ddbS("open")), wantErr: "attribute name: #nope"},
		{name: "unused value", expr: "attribute_exists(pk)", values: vals(":v", ddbS("open")), wantErr: "unused in expressions: keys: {:v}"},
		{name: "unused name", expr: "attribute_exists(pk)", names: status, wantErr: "unused in expressions: keys: {#s}"},
		{name: "unknown function", expr: "starts_with(#s, :v)", names: status, values: vals(":v", ddbS("o")), wantErr: "Invalid function name; function: starts_with"},
		{name: "update function in a condition", expr: "if_not_exists(#s, :v) = :v", names: status, values: vals(":v", ddbS("o")), wantErr: "function: if_not_exists"},
		{name: "double equals", expr: "#s == :v", names: status, values: vals(":v", ddbS("open")), wantErr: "Syntax error"},
		{name: "dangling AND", expr: "#s = :v AND", names: status, values: vals(":v", ddbS("open")), wantErr: "Syntax error"},
		{name: "ordering a boolean", expr: "count_ < :b", values: vals(":b", &ddbtypes.AttributeValueMemberBOOL{Value: true}), wantErr: "Incorrect operand type"},
		{name: "between bounds reversed", expr: "count_ BETWEEN :hi AND :lo", values: vals(":lo", ddbN("1"), ":hi", ddbN("9")), wantErr: "upper bound to be greater than or equal to lower bound"},
		{name: "wrong arity", expr: "begins_with(#s)", names: status, wantErr: "Incorrect number of operands"},
		{name: "empty", expr: "  ", wantErr: "can not be empty"},
		{name: "character DynamoDB does not know", expr: "#s = :v ; DROP", names: status, values: vals(":v", ddbS("open")), wantErr: "Syntax error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{
				TableName:                 aws.String(f.table),
				Item:                      exprItem(),
				ConditionExpression:       aws.String(tc.expr),
				ExpressionAttributeNames:  tc.names,
				ExpressionAttributeValues: tc.values,
			})
			if tc.wantErr != "" {
				if apiErrorCode(err) != "ValidationException" || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want a ValidationException containing %q", err, tc.wantErr)
				}
				return
			}
			var failed *ddbtypes.ConditionalCheckFailedException
			switch {
			case tc.want && err != nil:
				t.Fatalf("condition should hold, got %v", err)
			case !tc.want && !errors.As(err, &failed):
				t.Fatalf("condition should not hold, got %v", err)
			}
		})
	}
}

// TestDynamoDBUpdateExpressions applies each update expression to a fresh
// copy of one item and compares the whole new item.
func TestDynamoDBUpdateExpressions(t *testing.T) {
	f := newDDBTable(t, "")
	ctx := context.Background()
	base := func() map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{
			"pk":   ddbS("u"),
			"n":    ddbN("10"),
			"gone": ddbS("x"),
			"str":  ddbS("text"),
			"ss":   &ddbtypes.AttributeValueMemberSS{Value: []string{"a", "b"}},
			"l":    &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{ddbN("1")}},
			"m":    &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{}},
		}
	}
	with := func(changes map[string]ddbtypes.AttributeValue, removed ...string) map[string]ddbtypes.AttributeValue {
		item := base()
		for k, v := range changes {
			item[k] = v
		}
		for _, k := range removed {
			delete(item, k)
		}
		return item
	}
	one := map[string]ddbtypes.AttributeValue{":one": ddbN("1")}
	for _, tc := range []struct {
		name    string
		expr    string
		values  map[string]ddbtypes.AttributeValue
		want    map[string]ddbtypes.AttributeValue
		wantErr string
	}{
		{name: "set a value", expr: "SET a = :one", values: one, want: with(map[string]ddbtypes.AttributeValue{"a": ddbN("1")})},
		{name: "increment", expr: "SET n = n + :one", values: one, want: with(map[string]ddbtypes.AttributeValue{"n": ddbN("11")})},
		{name: "decrement", expr: "SET n = n - :one", values: one, want: with(map[string]ddbtypes.AttributeValue{"n": ddbN("9")})},
		{name: "decimal arithmetic is exact", expr: "SET n = n + :f", values: map[string]ddbtypes.AttributeValue{":f": ddbN("0.1")},
			want: with(map[string]ddbtypes.AttributeValue{"n": ddbN("10.1")})},
		{name: "if_not_exists counter", expr: "SET c = if_not_exists(c, :zero) + :one", values: map[string]ddbtypes.AttributeValue{":zero": ddbN("0"), ":one": ddbN("1")},
			want: with(map[string]ddbtypes.AttributeValue{"c": ddbN("1")})},
		{name: "if_not_exists keeps an existing value", expr: "SET n = if_not_exists(n, :one)", values: one, want: base()},
		{name: "list_append", expr: "SET l = list_append(l, :more)", values: map[string]ddbtypes.AttributeValue{":more": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{ddbN("2")}}},
			want: with(map[string]ddbtypes.AttributeValue{"l": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{ddbN("1"), ddbN("2")}}})},
		{name: "nested set", expr: "SET m.x = :one", values: one,
			want: with(map[string]ddbtypes.AttributeValue{"m": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"x": ddbN("1")}}})},
		{name: "remove", expr: "REMOVE gone", want: with(nil, "gone")},
		{name: "several clauses", expr: "SET a = :one REMOVE gone ADD n :one", values: one,
			want: with(map[string]ddbtypes.AttributeValue{"a": ddbN("1"), "n": ddbN("11")}, "gone")},
		{name: "add to a number", expr: "ADD n :one", values: one, want: with(map[string]ddbtypes.AttributeValue{"n": ddbN("11")})},
		{name: "add creates a number", expr: "ADD fresh :one", values: one, want: with(map[string]ddbtypes.AttributeValue{"fresh": ddbN("1")})},
		{name: "add to a set", expr: "ADD ss :c", values: map[string]ddbtypes.AttributeValue{":c": &ddbtypes.AttributeValueMemberSS{Value: []string{"b", "c"}}},
			want: with(map[string]ddbtypes.AttributeValue{"ss": &ddbtypes.AttributeValueMemberSS{Value: []string{"a", "b", "c"}}})},
		{name: "delete the last elements of a set removes it", expr: "DELETE ss :ab", values: map[string]ddbtypes.AttributeValue{":ab": &ddbtypes.AttributeValueMemberSS{Value: []string{"a", "b"}}},
			want: with(nil, "ss")},

		{name: "parent of a nested path missing", expr: "SET absent.x = :one", values: one, wantErr: "invalid for update"},
		{name: "key attribute", expr: "SET pk = :one", values: one, wantErr: "This attribute is part of the key"},
		{name: "overlapping paths", expr: "SET a = :one, a = :one", values: one, wantErr: "Two document paths overlap"},
		{name: "clause twice", expr: "SET a = :one SET b = :one", values: one, wantErr: "can only be used once"},
		{name: "add to a string", expr: "ADD str :one", values: one, wantErr: "incorrect data type"},
		{name: "arithmetic on a missing attribute", expr: "SET a = nope + :one", values: one, wantErr: "does not exist in the item"},
		{name: "arithmetic on a string", expr: "SET a = str + :one", values: one, wantErr: "incorrect data type"},
		{name: "add on a nested path", expr: "ADD m.x :one", values: one, wantErr: "only supports top-level attributes"},
		{name: "unknown clause", expr: "MULTIPLY n :one", values: one, wantErr: "Syntax error"},
		{name: "condition function in an update", expr: "SET a = size(l)", wantErr: "function: size"},
		{name: "reserved word", expr: "SET ttl = :one", values: one, wantErr: "reserved keyword: ttl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: base()}); err != nil {
				t.Fatal(err)
			}
			out, err := f.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:                 aws.String(f.table),
				Key:                       map[string]ddbtypes.AttributeValue{"pk": ddbS("u")},
				UpdateExpression:          aws.String(tc.expr),
				ExpressionAttributeValues: tc.values,
				ReturnValues:              ddbtypes.ReturnValueAllNew,
			})
			if tc.wantErr != "" {
				if apiErrorCode(err) != "ValidationException" || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want a ValidationException containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out.Attributes, ddbCmp); diff != "" {
				t.Errorf("item after %q (-want +got):\n%s", tc.expr, diff)
			}
		})
	}
}

// ddbCmp compares attribute values by content.
var ddbCmp = cmp.Exporter(func(reflect.Type) bool { return true })

func TestDynamoDBUpdateReturnValuesAndUpsert(t *testing.T) {
	f := newDDBTable(t, "")
	ctx := context.Background()
	update := func(rv ddbtypes.ReturnValue) map[string]ddbtypes.AttributeValue {
		t.Helper()
		out, err := f.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(f.table),
			Key:                       map[string]ddbtypes.AttributeValue{"pk": ddbS("counter")},
			UpdateExpression:          aws.String("SET hits = if_not_exists(hits, :zero) + :one, seen = :t"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":zero": ddbN("0"), ":one": ddbN("1"), ":t": ddbS("yes")},
			ReturnValues:              rv,
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	if got := update(ddbtypes.ReturnValueAllOld); got != nil {
		t.Errorf("ALL_OLD of an upsert is %v, want nothing", got)
	}
	want := map[string]ddbtypes.AttributeValue{"hits": ddbN("2"), "seen": ddbS("yes")}
	if diff := cmp.Diff(want, update(ddbtypes.ReturnValueUpdatedNew), ddbCmp); diff != "" {
		t.Errorf("UPDATED_NEW (-want +got):\n%s", diff)
	}
	want = map[string]ddbtypes.AttributeValue{"pk": ddbS("counter"), "hits": ddbN("3"), "seen": ddbS("yes")}
	if diff := cmp.Diff(want, update(ddbtypes.ReturnValueAllNew), ddbCmp); diff != "" {
		t.Errorf("ALL_NEW (-want +got):\n%s", diff)
	}
}

func TestDynamoDBLegacyParametersAreRefused(t *testing.T) {
	f := newDDBTable(t, "")
	_, err := f.client.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(f.table),
		Item:      map[string]ddbtypes.AttributeValue{"pk": ddbS("x")},
		Expected:  map[string]ddbtypes.ExpectedAttributeValue{"pk": {Exists: aws.Bool(false)}},
	})
	if apiErrorCode(err) != "ValidationException" || !strings.Contains(err.Error(), "Expected") {
		t.Errorf("PutItem with Expected: got %v, want a ValidationException naming Expected", err)
	}
}
