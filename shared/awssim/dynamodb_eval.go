package awssim

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// This file evaluates parsed expressions against items. Semantics follow
// the DynamoDB developer guide:
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html

type ddbItem = map[string]ddbtypes.AttributeValue

// avType is the DynamoDB type descriptor of a value.
func avType(v ddbtypes.AttributeValue) string {
	switch v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return "S"
	case *ddbtypes.AttributeValueMemberN:
		return "N"
	case *ddbtypes.AttributeValueMemberB:
		return "B"
	case *ddbtypes.AttributeValueMemberSS:
		return "SS"
	case *ddbtypes.AttributeValueMemberNS:
		return "NS"
	case *ddbtypes.AttributeValueMemberBS:
		return "BS"
	case *ddbtypes.AttributeValueMemberM:
		return "M"
	case *ddbtypes.AttributeValueMemberL:
		return "L"
	case *ddbtypes.AttributeValueMemberNULL:
		return "NULL"
	case *ddbtypes.AttributeValueMemberBOOL:
		return "BOOL"
	}
	return fmt.Sprintf("%T", v)
}

func describeAV(v ddbtypes.AttributeValue) string {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return fmt.Sprintf("{S:%s}", x.Value)
	case *ddbtypes.AttributeValueMemberN:
		return fmt.Sprintf("{N:%s}", x.Value)
	}
	return "{" + avType(v) + ":...}"
}

func cloneAV(v ddbtypes.AttributeValue) ddbtypes.AttributeValue {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return &ddbtypes.AttributeValueMemberS{Value: x.Value}
	case *ddbtypes.AttributeValueMemberN:
		return &ddbtypes.AttributeValueMemberN{Value: x.Value}
	case *ddbtypes.AttributeValueMemberB:
		return &ddbtypes.AttributeValueMemberB{Value: bytes.Clone(x.Value)}
	case *ddbtypes.AttributeValueMemberSS:
		return &ddbtypes.AttributeValueMemberSS{Value: slices.Clone(x.Value)}
	case *ddbtypes.AttributeValueMemberNS:
		return &ddbtypes.AttributeValueMemberNS{Value: slices.Clone(x.Value)}
	case *ddbtypes.AttributeValueMemberBS:
		out := make([][]byte, len(x.Value))
		for i, b := range x.Value {
			out[i] = bytes.Clone(b)
		}
		return &ddbtypes.AttributeValueMemberBS{Value: out}
	case *ddbtypes.AttributeValueMemberM:
		return &ddbtypes.AttributeValueMemberM{Value: cloneItem(x.Value)}
	case *ddbtypes.AttributeValueMemberL:
		out := make([]ddbtypes.AttributeValue, len(x.Value))
		for i, e := range x.Value {
			out[i] = cloneAV(e)
		}
		return &ddbtypes.AttributeValueMemberL{Value: out}
	case *ddbtypes.AttributeValueMemberNULL:
		return &ddbtypes.AttributeValueMemberNULL{Value: x.Value}
	case *ddbtypes.AttributeValueMemberBOOL:
		return &ddbtypes.AttributeValueMemberBOOL{Value: x.Value}
	}
	return v
}

func cloneItem(m ddbItem) ddbItem {
	if m == nil {
		return nil
	}
	out := make(ddbItem, len(m))
	for k, v := range m {
		out[k] = cloneAV(v)
	}
	return out
}

// validateAV checks a value the way DynamoDB does on input: numbers must
// parse, sets must be non-empty and without duplicates.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
func validateAV(v ddbtypes.AttributeValue) error {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberN:
		if _, err := parseDDBNumber(x.Value); err != nil {
			return ddbValidation("%s", err.Error())
		}
	case *ddbtypes.AttributeValueMemberSS:
		if len(x.Value) == 0 {
			return ddbValidation("One or more parameter values were invalid: An string set  may not be empty")
		}
		if hasDup(x.Value) {
			return ddbValidation("One or more parameter values were invalid: Input collection %v contains duplicates.", x.Value)
		}
	case *ddbtypes.AttributeValueMemberNS:
		if len(x.Value) == 0 {
			return ddbValidation("One or more parameter values were invalid: An number set  may not be empty")
		}
		var norm []string
		for _, n := range x.Value {
			d, err := parseDDBNumber(n)
			if err != nil {
				return ddbValidation("%s", err.Error())
			}
			norm = append(norm, d.String())
		}
		if hasDup(norm) {
			return ddbValidation("One or more parameter values were invalid: Input collection %v contains duplicates.", x.Value)
		}
	case *ddbtypes.AttributeValueMemberBS:
		if len(x.Value) == 0 {
			return ddbValidation("One or more parameter values were invalid: An binary set  may not be empty")
		}
	case *ddbtypes.AttributeValueMemberM:
		for _, e := range x.Value {
			if err := validateAV(e); err != nil {
				return err
			}
		}
	case *ddbtypes.AttributeValueMemberL:
		for _, e := range x.Value {
			if err := validateAV(e); err != nil {
				return err
			}
		}
	case nil:
		return ddbValidation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	}
	return nil
}

func hasDup(xs []string) bool {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return true
		}
		seen[x] = true
	}
	return false
}

// avSize approximates DynamoDB's item size accounting: names plus values.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
func avSize(v ddbtypes.AttributeValue) int {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return len(x.Value)
	case *ddbtypes.AttributeValueMemberN:
		return len(x.Value)/2 + 1
	case *ddbtypes.AttributeValueMemberB:
		return len(x.Value)
	case *ddbtypes.AttributeValueMemberSS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *ddbtypes.AttributeValueMemberNS:
		n := 0
		for _, s := range x.Value {
			n += len(s)/2 + 1
		}
		return n
	case *ddbtypes.AttributeValueMemberBS:
		n := 0
		for _, b := range x.Value {
			n += len(b)
		}
		return n
	case *ddbtypes.AttributeValueMemberM:
		return 3 + itemSize(x.Value)
	case *ddbtypes.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + avSize(e)
		}
		return n
	}
	return 1
}

func itemSize(m ddbItem) int {
	n := 0
	for k, v := range m {
		n += len(k) + avSize(v)
	}
	return n
}

// compareValues orders two values of the same scalar type (S, N or B); ok
// is false for any other pair, where DynamoDB's ordering comparisons are
// false.
func compareValues(a, b ddbtypes.AttributeValue) (int, bool) {
	switch x := a.(type) {
	case *ddbtypes.AttributeValueMemberS:
		if y, ok := b.(*ddbtypes.AttributeValueMemberS); ok {
			// DynamoDB orders strings by their UTF-8 bytes, as Go does.
			return strings.Compare(x.Value, y.Value), true
		}
	case *ddbtypes.AttributeValueMemberN:
		if y, ok := b.(*ddbtypes.AttributeValueMemberN); ok {
			// Most numbers are integers: compare them without big arithmetic.
			if ix, err := strconv.ParseInt(x.Value, 10, 64); err == nil {
				if iy, err := strconv.ParseInt(y.Value, 10, 64); err == nil {
					return cmp.Compare(ix, iy), true
				}
			}
			nx, err1 := parseDDBNumber(x.Value)
			ny, err2 := parseDDBNumber(y.Value)
			if err1 != nil || err2 != nil {
				return 0, false
			}
			return nx.cmp(ny), true
		}
	case *ddbtypes.AttributeValueMemberB:
		if y, ok := b.(*ddbtypes.AttributeValueMemberB); ok {
			return bytes.Compare(x.Value, y.Value), true
		}
	}
	return 0, false
}

// equalAV is DynamoDB's equality: same type and value, sets regardless of
// order, numbers by value.
func equalAV(a, b ddbtypes.AttributeValue) bool {
	if avType(a) != avType(b) {
		return false
	}
	switch x := a.(type) {
	case *ddbtypes.AttributeValueMemberS, *ddbtypes.AttributeValueMemberN, *ddbtypes.AttributeValueMemberB:
		c, ok := compareValues(a, b)
		return ok && c == 0
	case *ddbtypes.AttributeValueMemberSS:
		return sameSet(x.Value, b.(*ddbtypes.AttributeValueMemberSS).Value, func(s string) string { return s })
	case *ddbtypes.AttributeValueMemberNS:
		return sameSet(x.Value, b.(*ddbtypes.AttributeValueMemberNS).Value, normNumber)
	case *ddbtypes.AttributeValueMemberBS:
		return sameSet(x.Value, b.(*ddbtypes.AttributeValueMemberBS).Value, func(b []byte) string { return string(b) })
	case *ddbtypes.AttributeValueMemberM:
		y := b.(*ddbtypes.AttributeValueMemberM).Value
		if len(x.Value) != len(y) {
			return false
		}
		for k, v := range x.Value {
			w, ok := y[k]
			if !ok || !equalAV(v, w) {
				return false
			}
		}
		return true
	case *ddbtypes.AttributeValueMemberL:
		y := b.(*ddbtypes.AttributeValueMemberL).Value
		return slices.EqualFunc(x.Value, y, equalAV)
	case *ddbtypes.AttributeValueMemberNULL:
		return true
	case *ddbtypes.AttributeValueMemberBOOL:
		return x.Value == b.(*ddbtypes.AttributeValueMemberBOOL).Value
	}
	return false
}

func normNumber(s string) string {
	n, err := parseDDBNumber(s)
	if err != nil {
		return s
	}
	return n.String()
}

func sameSet[T any](a, b []T, key func(T) string) bool {
	if len(a) != len(b) {
		return false
	}
	set := map[string]bool{}
	for _, x := range a {
		set[key(x)] = true
	}
	for _, y := range b {
		if !set[key(y)] {
			return false
		}
	}
	return true
}

// resolve walks a document path through maps and lists.
func resolve(item ddbItem, path docPath) (ddbtypes.AttributeValue, bool) {
	var cur ddbtypes.AttributeValue = &ddbtypes.AttributeValueMemberM{Value: item}
	for _, e := range path {
		switch x := cur.(type) {
		case *ddbtypes.AttributeValueMemberM:
			if e.isIndex {
				return nil, false
			}
			v, ok := x.Value[e.name]
			if !ok {
				return nil, false
			}
			cur = v
		case *ddbtypes.AttributeValueMemberL:
			if !e.isIndex || e.index >= len(x.Value) {
				return nil, false
			}
			cur = x.Value[e.index]
		default:
			return nil, false
		}
	}
	return cur, true
}

// value evaluates a condition operand: (value, exists).
func (o *operand) eval(item ddbItem) (ddbtypes.AttributeValue, bool) {
	switch o.kind {
	case opValue:
		return o.value, true
	case opPath:
		return resolve(item, o.path)
	case opSize:
		v, ok := resolve(item, o.args[0].path)
		if !ok {
			return nil, false
		}
		n := -1
		switch x := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			n = len(x.Value)
		case *ddbtypes.AttributeValueMemberB:
			n = len(x.Value)
		case *ddbtypes.AttributeValueMemberSS:
			n = len(x.Value)
		case *ddbtypes.AttributeValueMemberNS:
			n = len(x.Value)
		case *ddbtypes.AttributeValueMemberBS:
			n = len(x.Value)
		case *ddbtypes.AttributeValueMemberM:
			n = len(x.Value)
		case *ddbtypes.AttributeValueMemberL:
			n = len(x.Value)
		}
		if n < 0 {
			return nil, false
		}
		return &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(n)}, true
	}
	return nil, false
}

// eval evaluates a condition against an item; a missing item is an empty
// one, so attribute_not_exists holds on a put of a new key.
func (c *condition) eval(item ddbItem) bool {
	switch c.kind {
	case condAnd:
		return c.sub[0].eval(item) && c.sub[1].eval(item)
	case condOr:
		return c.sub[0].eval(item) || c.sub[1].eval(item)
	case condNot:
		return !c.sub[0].eval(item)
	case condCompare:
		a, okA := c.operands[0].eval(item)
		b, okB := c.operands[1].eval(item)
		if c.op == "<>" {
			// An attribute that does not exist is not equal to anything.
			return !okA || !okB || !equalAV(a, b)
		}
		if !okA || !okB {
			return false
		}
		if c.op == "=" {
			return equalAV(a, b)
		}
		r, ok := compareValues(a, b)
		if !ok {
			return false
		}
		switch c.op {
		case "<":
			return r < 0
		case "<=":
			return r <= 0
		case ">":
			return r > 0
		case ">=":
			return r >= 0
		}
	case condBetween:
		a, okA := c.operands[0].eval(item)
		lo, okL := c.operands[1].eval(item)
		hi, okH := c.operands[2].eval(item)
		if !okA || !okL || !okH {
			return false
		}
		r1, ok1 := compareValues(a, lo)
		r2, ok2 := compareValues(a, hi)
		return ok1 && ok2 && r1 >= 0 && r2 <= 0
	case condIn:
		a, ok := c.operands[0].eval(item)
		if !ok {
			return false
		}
		for _, o := range c.operands[1:] {
			if v, ok := o.eval(item); ok && equalAV(a, v) {
				return true
			}
		}
		return false
	case condFunc:
		return c.evalFunc(item)
	}
	return false
}

func (c *condition) evalFunc(item ddbItem) bool {
	a, okA := c.operands[0].eval(item)
	switch c.op {
	case "attribute_exists":
		return okA
	case "attribute_not_exists":
		return !okA
	case "attribute_type":
		t, _ := c.operands[1].eval(item)
		s, _ := t.(*ddbtypes.AttributeValueMemberS)
		return okA && s != nil && avType(a) == s.Value
	case "begins_with":
		b, okB := c.operands[1].eval(item)
		if !okA || !okB {
			return false
		}
		switch x := a.(type) {
		case *ddbtypes.AttributeValueMemberS:
			y, ok := b.(*ddbtypes.AttributeValueMemberS)
			return ok && strings.HasPrefix(x.Value, y.Value)
		case *ddbtypes.AttributeValueMemberB:
			y, ok := b.(*ddbtypes.AttributeValueMemberB)
			return ok && bytes.HasPrefix(x.Value, y.Value)
		}
		return false
	case "contains":
		b, okB := c.operands[1].eval(item)
		if !okA || !okB {
			return false
		}
		switch x := a.(type) {
		case *ddbtypes.AttributeValueMemberS:
			y, ok := b.(*ddbtypes.AttributeValueMemberS)
			return ok && strings.Contains(x.Value, y.Value)
		case *ddbtypes.AttributeValueMemberB:
			y, ok := b.(*ddbtypes.AttributeValueMemberB)
			return ok && bytes.Contains(x.Value, y.Value)
		case *ddbtypes.AttributeValueMemberSS:
			y, ok := b.(*ddbtypes.AttributeValueMemberS)
			return ok && slices.Contains(x.Value, y.Value)
		case *ddbtypes.AttributeValueMemberNS:
			y, ok := b.(*ddbtypes.AttributeValueMemberN)
			return ok && slices.ContainsFunc(x.Value, func(n string) bool { return normNumber(n) == normNumber(y.Value) })
		case *ddbtypes.AttributeValueMemberBS:
			y, ok := b.(*ddbtypes.AttributeValueMemberB)
			return ok && slices.ContainsFunc(x.Value, func(e []byte) bool { return bytes.Equal(e, y.Value) })
		case *ddbtypes.AttributeValueMemberL:
			return slices.ContainsFunc(x.Value, func(e ddbtypes.AttributeValue) bool { return equalAV(e, b) })
		}
	}
	return false
}

// ---- updates ----

// applyUpdate runs an update expression on a copy of item and returns the
// new item. Every right-hand side reads the item as it was before the
// update, as DynamoDB evaluates them.
func applyUpdate(old ddbItem, actions []updateAction, keyNames []string) (ddbItem, error) {
	for _, a := range actions {
		if contains(keyNames, a.path[0].name) {
			return nil, ddbValidation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", a.path[0].name)
		}
	}
	item := cloneItem(old)
	if item == nil {
		item = ddbItem{}
	}
	var removes []updateAction
	for _, a := range actions {
		switch a.clause {
		case "SET":
			v, err := updateValue(old, a.value)
			if err != nil {
				return nil, err
			}
			if err := setPath(item, a.path, v); err != nil {
				return nil, err
			}
		case "REMOVE":
			removes = append(removes, a)
		case "ADD":
			cur, exists := item[a.path[0].name]
			v, err := addValues(cur, exists, a.value.value)
			if err != nil {
				return nil, err
			}
			item[a.path[0].name] = v
		case "DELETE":
			cur, exists := item[a.path[0].name]
			if !exists {
				continue
			}
			v, err := deleteFromSet(cur, a.value.value)
			if err != nil {
				return nil, err
			}
			if v == nil {
				delete(item, a.path[0].name)
			} else {
				item[a.path[0].name] = v
			}
		}
	}
	// List elements go from the highest index down, so that removing one
	// does not shift the others.
	slices.SortStableFunc(removes, func(x, y updateAction) int {
		lx, ly := x.path[len(x.path)-1], y.path[len(y.path)-1]
		if lx.isIndex && ly.isIndex {
			return ly.index - lx.index
		}
		return 0
	})
	for _, a := range removes {
		removePath(item, a.path)
	}
	return item, nil
}

func updateValue(item ddbItem, o *operand) (ddbtypes.AttributeValue, error) {
	switch o.kind {
	case opValue:
		return cloneAV(o.value), nil
	case opPath:
		v, ok := resolve(item, o.path)
		if !ok {
			return nil, ddbValidation("The provided expression refers to an attribute that does not exist in the item")
		}
		return cloneAV(v), nil
	case opIfNotExists:
		if v, ok := resolve(item, o.args[0].path); ok {
			return cloneAV(v), nil
		}
		return updateValue(item, o.args[1])
	case opListAppend:
		var out []ddbtypes.AttributeValue
		for _, arg := range o.args {
			v, err := updateValue(item, arg)
			if err != nil {
				return nil, err
			}
			l, ok := v.(*ddbtypes.AttributeValueMemberL)
			if !ok {
				return nil, ddbValidation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: %s", avType(v))
			}
			out = append(out, l.Value...)
		}
		return &ddbtypes.AttributeValueMemberL{Value: out}, nil
	case opPlus, opMinus:
		var nums [2]ddbNumber
		for i, arg := range o.args {
			v, err := updateValue(item, arg)
			if err != nil {
				return nil, err
			}
			n, ok := v.(*ddbtypes.AttributeValueMemberN)
			if !ok {
				return nil, ddbValidation("An operand in the update expression has an incorrect data type")
			}
			d, err := parseDDBNumber(n.Value)
			if err != nil {
				return nil, ddbValidation("%s", err.Error())
			}
			nums[i] = d
		}
		if o.kind == opMinus {
			nums[1] = nums[1].neg()
		}
		return &ddbtypes.AttributeValueMemberN{Value: nums[0].add(nums[1]).String()}, nil
	}
	return nil, ddbValidation("Invalid UpdateExpression: unexpected operand %s", o.label)
}

// setPath assigns a value; the parent of a nested path must exist.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.SET
func setPath(item ddbItem, path docPath, v ddbtypes.AttributeValue) error {
	if len(path) == 1 {
		item[path[0].name] = v
		return nil
	}
	parent, ok := resolve(item, path[:len(path)-1])
	if !ok {
		return ddbValidation("The document path provided in the update expression is invalid for update")
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case *ddbtypes.AttributeValueMemberM:
		if last.isIndex {
			return ddbValidation("The document path provided in the update expression is invalid for update")
		}
		p.Value[last.name] = v
	case *ddbtypes.AttributeValueMemberL:
		if !last.isIndex {
			return ddbValidation("The document path provided in the update expression is invalid for update")
		}
		if last.index < len(p.Value) {
			p.Value[last.index] = v
		} else {
			// An index past the end appends.
			p.Value = append(p.Value, v)
		}
	default:
		return ddbValidation("The document path provided in the update expression is invalid for update")
	}
	return nil
}

func removePath(item ddbItem, path docPath) {
	if len(path) == 1 {
		delete(item, path[0].name)
		return
	}
	parent, ok := resolve(item, path[:len(path)-1])
	if !ok {
		return
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case *ddbtypes.AttributeValueMemberM:
		delete(p.Value, last.name)
	case *ddbtypes.AttributeValueMemberL:
		if last.isIndex && last.index < len(p.Value) {
			p.Value = slices.Delete(p.Value, last.index, last.index+1)
		}
	}
}

// addValues is the ADD action: numbers add, sets union.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD
func addValues(cur ddbtypes.AttributeValue, exists bool, v ddbtypes.AttributeValue) (ddbtypes.AttributeValue, error) {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberN:
		if !exists {
			return cloneAV(v), nil
		}
		c, ok := cur.(*ddbtypes.AttributeValueMemberN)
		if !ok {
			return nil, ddbValidation("An operand in the update expression has an incorrect data type")
		}
		a, _ := parseDDBNumber(c.Value)
		b, err := parseDDBNumber(x.Value)
		if err != nil {
			return nil, ddbValidation("%s", err.Error())
		}
		return &ddbtypes.AttributeValueMemberN{Value: a.add(b).String()}, nil
	case *ddbtypes.AttributeValueMemberSS, *ddbtypes.AttributeValueMemberNS, *ddbtypes.AttributeValueMemberBS:
		if !exists {
			return cloneAV(v), nil
		}
		if avType(cur) != avType(v) {
			return nil, ddbValidation("An operand in the update expression has an incorrect data type")
		}
		return setUnion(cur, v), nil
	}
	return nil, ddbValidation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: %s", avType(v))
}

func setUnion(a, b ddbtypes.AttributeValue) ddbtypes.AttributeValue {
	switch x := a.(type) {
	case *ddbtypes.AttributeValueMemberSS:
		out := slices.Clone(x.Value)
		for _, s := range b.(*ddbtypes.AttributeValueMemberSS).Value {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return &ddbtypes.AttributeValueMemberSS{Value: out}
	case *ddbtypes.AttributeValueMemberNS:
		out := slices.Clone(x.Value)
		for _, s := range b.(*ddbtypes.AttributeValueMemberNS).Value {
			if !slices.ContainsFunc(out, func(e string) bool { return normNumber(e) == normNumber(s) }) {
				out = append(out, s)
			}
		}
		return &ddbtypes.AttributeValueMemberNS{Value: out}
	case *ddbtypes.AttributeValueMemberBS:
		out := slices.Clone(x.Value)
		for _, s := range b.(*ddbtypes.AttributeValueMemberBS).Value {
			if !slices.ContainsFunc(out, func(e []byte) bool { return bytes.Equal(e, s) }) {
				out = append(out, s)
			}
		}
		return &ddbtypes.AttributeValueMemberBS{Value: out}
	}
	return a
}

// deleteFromSet is the DELETE action; nil means the set became empty and
// the attribute goes away.
func deleteFromSet(cur, v ddbtypes.AttributeValue) (ddbtypes.AttributeValue, error) {
	if avType(cur) != avType(v) {
		return nil, ddbValidation("An operand in the update expression has an incorrect data type")
	}
	switch x := cur.(type) {
	case *ddbtypes.AttributeValueMemberSS:
		rm := v.(*ddbtypes.AttributeValueMemberSS).Value
		out := slices.DeleteFunc(slices.Clone(x.Value), func(s string) bool { return slices.Contains(rm, s) })
		if len(out) == 0 {
			return nil, nil
		}
		return &ddbtypes.AttributeValueMemberSS{Value: out}, nil
	case *ddbtypes.AttributeValueMemberNS:
		rm := v.(*ddbtypes.AttributeValueMemberNS).Value
		out := slices.DeleteFunc(slices.Clone(x.Value), func(s string) bool {
			return slices.ContainsFunc(rm, func(r string) bool { return normNumber(r) == normNumber(s) })
		})
		if len(out) == 0 {
			return nil, nil
		}
		return &ddbtypes.AttributeValueMemberNS{Value: out}, nil
	case *ddbtypes.AttributeValueMemberBS:
		rm := v.(*ddbtypes.AttributeValueMemberBS).Value
		out := slices.DeleteFunc(slices.Clone(x.Value), func(s []byte) bool {
			return slices.ContainsFunc(rm, func(r []byte) bool { return bytes.Equal(r, s) })
		})
		if len(out) == 0 {
			return nil, nil
		}
		return &ddbtypes.AttributeValueMemberBS{Value: out}, nil
	}
	return nil, ddbValidation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: %s", avType(v))
}

// project keeps only the given paths of an item, nested structure intact.
func project(item ddbItem, paths []docPath) ddbItem {
	out := ddbItem{}
	for _, p := range paths {
		v, ok := resolve(item, p)
		if !ok {
			continue
		}
		projectInto(out, p, cloneAV(v))
	}
	return out
}

func projectInto(out ddbItem, p docPath, v ddbtypes.AttributeValue) {
	if len(p) == 1 {
		out[p[0].name] = v
		return
	}
	// Nested projections keep the containers as maps and lists holding
	// only the projected elements, in the order projected.
	head := p[0].name
	var container ddbtypes.AttributeValue
	if existing, ok := out[head]; ok {
		container = existing
	}
	out[head] = projectNested(container, p[1:], v)
}

func projectNested(container ddbtypes.AttributeValue, p docPath, v ddbtypes.AttributeValue) ddbtypes.AttributeValue {
	if len(p) == 0 {
		return v
	}
	e := p[0]
	if e.isIndex {
		l, _ := container.(*ddbtypes.AttributeValueMemberL)
		if l == nil {
			l = &ddbtypes.AttributeValueMemberL{}
		}
		l.Value = append(l.Value, projectNested(nil, p[1:], v))
		return l
	}
	m, _ := container.(*ddbtypes.AttributeValueMemberM)
	if m == nil {
		m = &ddbtypes.AttributeValueMemberM{Value: ddbItem{}}
	}
	m.Value[e.name] = projectNested(m.Value[e.name], p[1:], v)
	return m
}
