package awssim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// This file parses DynamoDB expressions: condition and filter expressions,
// key conditions, update expressions and projections. The grammar is
// DynamoDB's whole expression language:
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
//
// Whatever DynamoDB refuses, the parser refuses with DynamoDB's
// ValidationException: syntax errors, reserved words used as names,
// undefined or unused placeholders, unknown functions, operands of the wrong
// type. Anything the parser does not understand is an error naming it,
// never a silent pass.

// exprKind names the request parameter an expression came from; DynamoDB
// puts it in its error messages.
type exprKind string

const (
	exprCondition  exprKind = "ConditionExpression"
	exprFilter     exprKind = "FilterExpression"
	exprKey        exprKind = "KeyConditionExpression"
	exprUpdate     exprKind = "UpdateExpression"
	exprProjection exprKind = "ProjectionExpression"
)

func ddbValidation(format string, args ...any) error {
	return apiError(http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...))
}

// exprInput is the placeholders of one request, shared by all of its
// expressions, recording which ones the expressions used: DynamoDB refuses
// a request that defines a placeholder no expression uses.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeNames.html
type exprInput struct {
	names      map[string]string
	values     map[string]ddbtypes.AttributeValue
	usedNames  map[string]bool
	usedValues map[string]bool
}

func newExprInput(names map[string]string, values map[string]ddbtypes.AttributeValue) *exprInput {
	return &exprInput{names: names, values: values, usedNames: map[string]bool{}, usedValues: map[string]bool{}}
}

// checkAllUsed is called once every expression of the request is parsed.
func (in *exprInput) checkAllUsed() error {
	var unusedN, unusedV []string
	for k := range in.names {
		if !in.usedNames[k] {
			unusedN = append(unusedN, k)
		}
	}
	for k := range in.values {
		if !in.usedValues[k] {
			unusedV = append(unusedV, k)
		}
	}
	slices.Sort(unusedN)
	slices.Sort(unusedV)
	if len(unusedN) > 0 {
		return ddbValidation("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(unusedN, ", "))
	}
	if len(unusedV) > 0 {
		return ddbValidation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(unusedV, ", "))
	}
	return nil
}

// ---- lexer ----

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokName   // #placeholder
	tokValue  // :placeholder
	tokNumber // only inside [ ]
	tokPunct
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lexExpr(kind exprKind, src string) ([]token, error) {
	var toks []token
	isIdentChar := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':':
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			if j == i+1 {
				return nil, ddbValidation("Invalid %s: Syntax error; token: %q, near: %q", kind, string(c), near(src, i))
			}
			k := tokName
			if c == ':' {
				k = tokValue
			}
			toks = append(toks, token{k, src[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			toks = append(toks, token{tokNumber, src[i:j], i})
			i = j
		case isIdentChar(c):
			j := i
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			toks = append(toks, token{tokIdent, src[i:j], i})
			i = j
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch {
			case two == "<>" || two == "<=" || two == ">=":
				toks = append(toks, token{tokPunct, two, i})
				i += 2
			case strings.IndexByte("()[],.=<>+-", c) >= 0:
				toks = append(toks, token{tokPunct, string(c), i})
				i++
			default:
				return nil, ddbValidation("Invalid %s: Syntax error; token: %q, near: %q", kind, string(c), near(src, i))
			}
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(src)}), nil
}

func near(src string, i int) string {
	return src[max(0, i-8):min(len(src), i+8)]
}

// ---- AST ----

// pathElem is one step of a document path: an attribute or map key, or a
// list index.
type pathElem struct {
	name    string
	index   int
	isIndex bool
}

type docPath []pathElem

func (p docPath) String() string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.isIndex:
			fmt.Fprintf(&b, "[%d]", e.index)
		case i > 0:
			b.WriteString("." + e.name)
		default:
			b.WriteString(e.name)
		}
	}
	return b.String()
}

// overlaps reports whether one path is a prefix of the other: DynamoDB
// refuses one update expression touching both.
func (p docPath) overlaps(q docPath) bool {
	for i := range min(len(p), len(q)) {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

type operandKind int

const (
	opPath operandKind = iota
	opValue
	opSize
	opIfNotExists
	opListAppend
	opPlus
	opMinus
)

type operand struct {
	kind  operandKind
	path  docPath
	value ddbtypes.AttributeValue
	label string // the placeholder or path as written, for messages
	args  []*operand
}

type condKind int

const (
	condAnd condKind = iota
	condOr
	condNot
	condCompare // = <> < <= > >=
	condBetween
	condIn
	condFunc // attribute_exists, attribute_not_exists, attribute_type, begins_with, contains
)

type condition struct {
	kind     condKind
	op       string
	sub      []*condition
	operands []*operand
}

// ---- parser ----

type exprParser struct {
	kind exprKind
	src  string
	toks []token
	i    int
	in   *exprInput
}

func newExprParser(kind exprKind, src string, in *exprInput) (*exprParser, error) {
	if strings.TrimSpace(src) == "" {
		return nil, ddbValidation("Invalid %s: The expression can not be empty;", kind)
	}
	toks, err := lexExpr(kind, src)
	if err != nil {
		return nil, err
	}
	return &exprParser{kind: kind, src: src, toks: toks, in: in}, nil
}

func (p *exprParser) peek() token { return p.toks[p.i] }
func (p *exprParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *exprParser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

func (p *exprParser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *exprParser) syntaxError() error {
	t := p.peek()
	if t.kind == tokEOF {
		return ddbValidation("Invalid %s: Syntax error; token: \"<EOF>\", near: %q", p.kind, near(p.src, t.pos))
	}
	return ddbValidation("Invalid %s: Syntax error; token: %q, near: %q", p.kind, t.text, near(p.src, t.pos))
}

func (p *exprParser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return p.syntaxError()
	}
	p.next()
	return nil
}

func (p *exprParser) expectEOF() error {
	if p.peek().kind != tokEOF {
		return p.syntaxError()
	}
	return nil
}

// path := element ( '.' element | '[' number ']' )*
// element := identifier | #name
func (p *exprParser) path() (docPath, string, error) {
	start := p.peek().pos
	first, err := p.pathElement()
	if err != nil {
		return nil, "", err
	}
	path := docPath{first}
	for {
		switch {
		case p.isPunct("."):
			p.next()
			e, err := p.pathElement()
			if err != nil {
				return nil, "", err
			}
			path = append(path, e)
		case p.isPunct("["):
			p.next()
			t := p.next()
			if t.kind != tokNumber {
				p.i--
				return nil, "", p.syntaxError()
			}
			n, err := strconv.Atoi(t.text)
			if err != nil {
				return nil, "", ddbValidation("Invalid %s: List index is out of range: %s", p.kind, t.text)
			}
			if err := p.expectPunct("]"); err != nil {
				return nil, "", err
			}
			path = append(path, pathElem{index: n, isIndex: true})
		default:
			end := p.peek().pos
			return path, strings.TrimSpace(p.src[start:end]), nil
		}
	}
}

func (p *exprParser) pathElement() (pathElem, error) {
	t := p.next()
	switch t.kind {
	case tokName:
		name, ok := p.in.names[t.text]
		if !ok {
			return pathElem{}, ddbValidation("Invalid %s: An expression attribute name used in the document path is not defined; attribute name: %s", p.kind, t.text)
		}
		p.in.usedNames[t.text] = true
		return pathElem{name: name}, nil
	case tokIdent:
		if t.text[0] >= '0' && t.text[0] <= '9' {
			break
		}
		if isDDBReserved(t.text) {
			// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html
			return pathElem{}, ddbValidation("Invalid %s: Attribute name is a reserved keyword; reserved keyword: %s", p.kind, t.text)
		}
		return pathElem{name: t.text}, nil
	}
	p.i--
	return pathElem{}, p.syntaxError()
}

func (p *exprParser) value() (*operand, error) {
	t := p.next()
	v, ok := p.in.values[t.text]
	if !ok {
		return nil, ddbValidation("Invalid %s: An expression attribute value used in expression is not defined; attribute value: %s", p.kind, t.text)
	}
	p.in.usedValues[t.text] = true
	return &operand{kind: opValue, value: v, label: t.text}, nil
}

// ---- conditions ----

// parseCondition parses a condition, filter or key condition expression.
func parseCondition(kind exprKind, src string, in *exprInput) (*condition, error) {
	p, err := newExprParser(kind, src, in)
	if err != nil {
		return nil, err
	}
	c, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expectEOF(); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *exprParser) orExpr() (*condition, error) {
	left, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("OR") {
		p.next()
		right, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		left = &condition{kind: condOr, sub: []*condition{left, right}}
	}
	return left, nil
}

func (p *exprParser) andExpr() (*condition, error) {
	left, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("AND") {
		p.next()
		right, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		left = &condition{kind: condAnd, sub: []*condition{left, right}}
	}
	return left, nil
}

func (p *exprParser) notExpr() (*condition, error) {
	if p.isKeyword("NOT") {
		p.next()
		c, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &condition{kind: condNot, sub: []*condition{c}}, nil
	}
	return p.primary()
}

var conditionFuncs = map[string]int{ // name → arity
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
	"begins_with": 2, "contains": 2,
}

var ddbFunctions = []string{"attribute_exists", "attribute_not_exists", "attribute_type", "begins_with",
	"contains", "size", "if_not_exists", "list_append"}

func (p *exprParser) primary() (*condition, error) {
	if p.isPunct("(") {
		p.next()
		c, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	if t := p.peek(); t.kind == tokIdent && p.toks[p.i+1].kind == tokPunct && p.toks[p.i+1].text == "(" {
		name := t.text
		if arity, ok := conditionFuncs[name]; ok {
			p.next()
			p.next()
			args, err := p.args(arity, name, false)
			if err != nil {
				return nil, err
			}
			return p.checkFunc(name, args)
		}
		if name != "size" {
			if contains(ddbFunctions, name) {
				return nil, ddbValidation("Invalid %s: The function is not allowed to be used this way in an expression; function: %s", p.kind, name)
			}
			return nil, ddbValidation("Invalid %s: Invalid function name; function: %s", p.kind, name)
		}
	}
	left, err := p.operand(false)
	if err != nil {
		return nil, err
	}
	switch {
	case p.isKeyword("BETWEEN"):
		p.next()
		lo, err := p.operand(false)
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.syntaxError()
		}
		p.next()
		hi, err := p.operand(false)
		if err != nil {
			return nil, err
		}
		for _, o := range []*operand{left, lo, hi} {
			if err := p.checkOrderable(o, "BETWEEN"); err != nil {
				return nil, err
			}
		}
		if lo.kind == opValue && hi.kind == opValue {
			if c, ok := compareValues(lo.value, hi.value); ok && c > 0 {
				return nil, ddbValidation("Invalid %s: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s",
					p.kind, describeAV(lo.value), describeAV(hi.value))
			}
		}
		return &condition{kind: condBetween, operands: []*operand{left, lo, hi}}, nil
	case p.isKeyword("IN"):
		p.next()
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		ops := []*operand{left}
		for {
			o, err := p.operand(false)
			if err != nil {
				return nil, err
			}
			ops = append(ops, o)
			if p.isPunct(",") {
				p.next()
				continue
			}
			break
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		if len(ops) > 101 {
			return nil, ddbValidation("Invalid %s: The IN operator is provided with too many operands; number of operands: %d", p.kind, len(ops)-1)
		}
		return &condition{kind: condIn, operands: ops}, nil
	}
	t := p.peek()
	if t.kind != tokPunct || !contains([]string{"=", "<>", "<", "<=", ">", ">="}, t.text) {
		return nil, p.syntaxError()
	}
	p.next()
	right, err := p.operand(false)
	if err != nil {
		return nil, err
	}
	if t.text != "=" && t.text != "<>" {
		for _, o := range []*operand{left, right} {
			if err := p.checkOrderable(o, t.text); err != nil {
				return nil, err
			}
		}
	}
	return &condition{kind: condCompare, op: t.text, operands: []*operand{left, right}}, nil
}

// checkOrderable refuses a placeholder whose type cannot be ordered: only
// strings, numbers and binaries have an order.
func (p *exprParser) checkOrderable(o *operand, op string) error {
	if o.kind != opValue {
		return nil
	}
	switch o.value.(type) {
	case *ddbtypes.AttributeValueMemberS, *ddbtypes.AttributeValueMemberN, *ddbtypes.AttributeValueMemberB:
		return nil
	}
	return ddbValidation("Invalid %s: Incorrect operand type for operator or function; operator or function: %s, operand type: %s", p.kind, op, avType(o.value))
}

// args reads a function's operands up to its closing parenthesis; inUpdate
// says whether they are update-expression operands (if_not_exists,
// list_append), which may themselves be functions.
func (p *exprParser) args(arity int, name string, inUpdate bool) ([]*operand, error) {
	var args []*operand
	for {
		o, err := p.operand(inUpdate)
		if err != nil {
			return nil, err
		}
		args = append(args, o)
		if p.isPunct(",") {
			p.next()
			continue
		}
		break
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	if len(args) != arity {
		return nil, ddbValidation("Invalid %s: Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", p.kind, name, len(args))
	}
	return args, nil
}

func (p *exprParser) checkFunc(name string, args []*operand) (*condition, error) {
	switch name {
	case "attribute_exists", "attribute_not_exists":
		if args[0].kind != opPath {
			return nil, ddbValidation("Invalid %s: Operator or function requires a document path; operator or function: %s", p.kind, name)
		}
	case "attribute_type":
		if args[0].kind != opPath {
			return nil, ddbValidation("Invalid %s: Operator or function requires a document path; operator or function: %s", p.kind, name)
		}
		s, ok := args[1].value.(*ddbtypes.AttributeValueMemberS)
		if args[1].kind != opValue || !ok || !contains([]string{"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"}, s.Value) {
			return nil, ddbValidation("Invalid %s: Invalid type for attribute_type; the type must be one of S, SS, N, NS, B, BS, BOOL, NULL, L, M", p.kind)
		}
	case "begins_with":
		for _, a := range args {
			if a.kind == opValue {
				switch a.value.(type) {
				case *ddbtypes.AttributeValueMemberS, *ddbtypes.AttributeValueMemberB:
				default:
					return nil, ddbValidation("Invalid %s: Incorrect operand type for operator or function; operator or function: begins_with, operand type: %s", p.kind, avType(a.value))
				}
			}
		}
	}
	return &condition{kind: condFunc, op: name, operands: args}, nil
}

// operand := path | :value | size(path) ; in updates also
// if_not_exists(path, operand) and list_append(operand, operand).
func (p *exprParser) operand(inUpdate bool) (*operand, error) {
	t := p.peek()
	switch t.kind {
	case tokValue:
		return p.value()
	case tokName:
		path, label, err := p.path()
		if err != nil {
			return nil, err
		}
		return &operand{kind: opPath, path: path, label: label}, nil
	case tokIdent:
		if p.toks[p.i+1].kind == tokPunct && p.toks[p.i+1].text == "(" {
			name := t.text
			switch {
			case name == "size" && !inUpdate:
				p.next()
				p.next()
				args, err := p.args(1, name, false)
				if err != nil {
					return nil, err
				}
				if args[0].kind != opPath {
					return nil, ddbValidation("Invalid %s: Operator or function requires a document path; operator or function: size", p.kind)
				}
				return &operand{kind: opSize, args: args, label: "size"}, nil
			case name == "if_not_exists" && inUpdate:
				p.next()
				p.next()
				args, err := p.args(2, name, true)
				if err != nil {
					return nil, err
				}
				if args[0].kind != opPath {
					return nil, ddbValidation("Invalid %s: Operator or function requires a document path; operator or function: if_not_exists", p.kind)
				}
				return &operand{kind: opIfNotExists, args: args, label: name}, nil
			case name == "list_append" && inUpdate:
				p.next()
				p.next()
				args, err := p.args(2, name, true)
				if err != nil {
					return nil, err
				}
				return &operand{kind: opListAppend, args: args, label: name}, nil
			case contains(ddbFunctions, name):
				return nil, ddbValidation("Invalid %s: The function is not allowed to be used this way in an expression; function: %s", p.kind, name)
			default:
				return nil, ddbValidation("Invalid %s: Invalid function name; function: %s", p.kind, name)
			}
		}
		path, label, err := p.path()
		if err != nil {
			return nil, err
		}
		return &operand{kind: opPath, path: path, label: label}, nil
	}
	return nil, p.syntaxError()
}

// ---- update expressions ----

type updateAction struct {
	clause string // SET, REMOVE, ADD, DELETE
	path   docPath
	label  string
	value  *operand // SET: value expression; ADD/DELETE: the placeholder
}

// parseUpdate parses SET, REMOVE, ADD and DELETE clauses, each at most once.
func parseUpdate(src string, in *exprInput) ([]updateAction, error) {
	p, err := newExprParser(exprUpdate, src, in)
	if err != nil {
		return nil, err
	}
	var actions []updateAction
	seen := map[string]bool{}
	for p.peek().kind != tokEOF {
		t := p.next()
		clause := strings.ToUpper(t.text)
		if t.kind != tokIdent || !contains([]string{"SET", "REMOVE", "ADD", "DELETE"}, clause) {
			p.i--
			return nil, p.syntaxError()
		}
		if seen[clause] {
			return nil, ddbValidation("Invalid UpdateExpression: The \"%s\" section can only be used once in an update expression;", clause)
		}
		seen[clause] = true
		for {
			path, label, err := p.path()
			if err != nil {
				return nil, err
			}
			a := updateAction{clause: clause, path: path, label: label}
			switch clause {
			case "SET":
				if err := p.expectPunct("="); err != nil {
					return nil, err
				}
				v, err := p.setValue()
				if err != nil {
					return nil, err
				}
				a.value = v
			case "ADD", "DELETE":
				if p.peek().kind != tokValue {
					return nil, p.syntaxError()
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				a.value = v
				if len(path) > 1 {
					// "ADD can only be used on top-level attributes, not nested attributes."
					// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD
					return nil, ddbValidation("Invalid UpdateExpression: The %s action only supports top-level attributes; path: %s", clause, label)
				}
			}
			actions = append(actions, a)
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	}
	for i := range actions {
		for j := i + 1; j < len(actions); j++ {
			if actions[i].path.overlaps(actions[j].path) {
				return nil, ddbValidation("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]",
					actions[i].label, actions[j].label)
			}
		}
	}
	return actions, nil
}

// setValue := operand ( ('+' | '-') operand )?
func (p *exprParser) setValue() (*operand, error) {
	left, err := p.operand(true)
	if err != nil {
		return nil, err
	}
	switch {
	case p.isPunct("+"), p.isPunct("-"):
		kind := opPlus
		if p.next().text == "-" {
			kind = opMinus
		}
		right, err := p.operand(true)
		if err != nil {
			return nil, err
		}
		for _, o := range []*operand{left, right} {
			if o.kind == opValue {
				if _, ok := o.value.(*ddbtypes.AttributeValueMemberN); !ok {
					return nil, ddbValidation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: %s, operand type: %s",
						map[operandKind]string{opPlus: "ADD", opMinus: "SUBTRACT"}[kind], avType(o.value))
				}
			}
		}
		return &operand{kind: kind, args: []*operand{left, right}}, nil
	}
	return left, nil
}

// ---- projections ----

func parseProjection(src string, in *exprInput) ([]docPath, error) {
	p, err := newExprParser(exprProjection, src, in)
	if err != nil {
		return nil, err
	}
	var paths []docPath
	for {
		path, _, err := p.path()
		if err != nil {
			return nil, err
		}
		paths = append(paths, path)
		if !p.isPunct(",") {
			break
		}
		p.next()
	}
	return paths, p.expectEOF()
}

// ---- key conditions ----

// keyCondition is a Query's key condition: equality on the partition key
// and at most one condition on the sort key.
type keyCondition struct {
	partition ddbtypes.AttributeValue
	sort      *condition // nil when absent
}

// parseKeyCondition checks the shape DynamoDB allows: pk = :v, optionally
// AND one of sk = < <= > >= :v, sk BETWEEN :a AND :b, begins_with(sk, :p).
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html
func parseKeyCondition(src string, in *exprInput, pk, sk string) (keyCondition, error) {
	c, err := parseCondition(exprKey, src, in)
	if err != nil {
		return keyCondition{}, err
	}
	var parts []*condition
	switch c.kind {
	case condAnd:
		parts = c.sub
		if parts[0].kind == condAnd || parts[1].kind == condAnd {
			return keyCondition{}, ddbValidation("Conditions can be of length 1 or 2 only")
		}
	case condOr, condNot, condIn:
		return keyCondition{}, ddbValidation("Invalid operator used in KeyConditionExpression: %s", map[condKind]string{condOr: "OR", condNot: "NOT", condIn: "IN"}[c.kind])
	default:
		parts = []*condition{c}
	}
	var kc keyCondition
	for _, part := range parts {
		if part.kind == condOr || part.kind == condNot || part.kind == condIn {
			return keyCondition{}, ddbValidation("Invalid operator used in KeyConditionExpression: %s", map[condKind]string{condOr: "OR", condNot: "NOT", condIn: "IN"}[part.kind])
		}
		if part.kind == condFunc && part.op != "begins_with" {
			return keyCondition{}, ddbValidation("Invalid operator used in KeyConditionExpression: %s", part.op)
		}
		if part.kind == condCompare && part.op == "<>" {
			return keyCondition{}, ddbValidation("Unsupported operator on KeyConditionExpression: operator: <>")
		}
		attr := part.operands[0]
		if attr.kind != opPath || len(attr.path) != 1 {
			return keyCondition{}, ddbValidation("Invalid KeyConditionExpression: the left-hand side of a key condition must be a key attribute, got %s", attr.label)
		}
		for _, o := range part.operands[1:] {
			if o.kind != opValue {
				return keyCondition{}, ddbValidation("Invalid KeyConditionExpression: key conditions compare a key attribute with expression attribute values, got %s", o.label)
			}
		}
		name := attr.path[0].name
		switch {
		case name == pk:
			if part.kind != condCompare || part.op != "=" {
				return keyCondition{}, ddbValidation("Query key condition not supported")
			}
			if kc.partition != nil {
				return keyCondition{}, ddbValidation("KeyConditionExpressions must only contain one condition per key")
			}
			kc.partition = part.operands[1].value
		case sk != "" && name == sk:
			if kc.sort != nil {
				return keyCondition{}, ddbValidation("KeyConditionExpressions must only contain one condition per key")
			}
			kc.sort = part
		default:
			return keyCondition{}, ddbValidation("Query condition missed key schema element: %s", pk)
		}
	}
	if kc.partition == nil {
		return keyCondition{}, ddbValidation("Query condition missed key schema element: %s", pk)
	}
	return kc, nil
}

// ---- reserved words ----

// ddbReserved is DynamoDB's list of reserved words (case-insensitive),
// which may not appear as attribute names in an expression.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html
var ddbReserved = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(ddbReservedWords) {
		m[w] = true
	}
	return m
}()

func isDDBReserved(name string) bool { return ddbReserved[strings.ToUpper(name)] }

const ddbReservedWords = `
ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY ARCHIVE ARE ARRAY AS ASC
ASCII ASENSITIVE ASSERTION ASYMMETRIC AT ATOMIC ATTACH ATTRIBUTE AUTH AUTHORIZATION AUTHORIZE AUTO AVG BACK
BACKUP BASE BATCH BEFORE BEGIN BETWEEN BIGINT BINARY BIT BLOB BLOCK BOOLEAN BOTH BREADTH BUCKET BULK BY BYTE
CALL CALLED CALLING CAPACITY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER CHECK CLASS CLOB CLOSE CLUSTER
CLUSTERED CLUSTERING CLUSTERS COALESCE COLLATE COLLATION COLLECTION COLUMN COLUMNS COMBINE COMMENT COMMIT
COMPACT COMPILE COMPRESS CONDITION CONFLICT CONNECT CONNECTION CONSISTENCY CONSISTENT CONSTRAINT CONSTRAINTS
CONSTRUCTOR CONSUMED CONTINUE CONVERT COPY CORRESPONDING COUNT COUNTER CREATE CROSS CUBE CURRENT CURSOR CYCLE
DATA DATABASE DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFERRABLE DEFERRED DEFINE DEFINED
DEFINITION DELETE DELIMITED DEPTH DEREF DESC DESCRIBE DESCRIPTOR DETACH DETERMINISTIC DIAGNOSTICS DIRECTORIES
DISABLE DISCONNECT DISTINCT DISTRIBUTE DO DOMAIN DOUBLE DROP DUMP DURATION DYNAMIC EACH ELEMENT ELSE ELSEIF
EMPTY ENABLE END EQUAL EQUALS ERROR ESCAPE ESCAPED EVAL EVALUATE EXCEEDED EXCEPT EXCEPTION EXCEPTIONS
EXCLUSIVE EXEC EXECUTE EXISTS EXIT EXPLAIN EXPLODE EXPORT EXPRESSION EXTENDED EXTERNAL EXTRACT FAIL FALSE
FAMILY FETCH FIELDS FILE FILTER FILTERING FINAL FINISH FIRST FIXED FLATTERN FLOAT FOR FORCE FOREIGN FORMAT
FORWARD FOUND FREE FROM FULL FUNCTION FUNCTIONS GENERAL GENERATE GET GLOB GLOBAL GO GOTO GRANT GREATER GROUP
GROUPING HANDLER HASH HAVE HAVING HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY IF IGNORE IMMEDIATE IMPORT IN
INCLUDING INCLUSIVE INCREMENT INCREMENTAL INDEX INDEXED INDEXES INDICATOR INFINITE INITIALLY INLINE INNER
INNTER INOUT INPUT INSENSITIVE INSERT INSTEAD INT INTEGER INTERSECT INTERVAL INTO INVALIDATE IS ISOLATION
ITEM ITEMS ITERATE JOIN KEY KEYS LAG LANGUAGE LARGE LAST LATERAL LEAD LEADING LEAVE LEFT LENGTH LESS LEVEL
LIKE LIMIT LIMITED LINES LIST LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATION LOCATOR LOCK LOCKS LOG LOGED LONG
LOOP LOWER MAP MATCH MATERIALIZED MAX MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS MINUTE MISSING MOD MODE
MODIFIES MODIFY MODULE MONTH MULTI MULTISET NAME NAMES NATIONAL NATURAL NCHAR NCLOB NEW NEXT NO NONE NOT
NULL NULLIF NUMBER NUMERIC OBJECT OF OFFLINE OFFSET OLD ON ONLINE ONLY OPAQUE OPEN OPERATOR OPTION OR ORDER
ORDINALITY OTHER OTHERS OUT OUTER OUTPUT OVER OVERLAPS OVERRIDE OWNER PAD PARALLEL PARAMETER PARAMETERS
PARTIAL PARTITION PARTITIONED PARTITIONS PATH PERCENT PERCENTILE PERMISSION PERMISSIONS PIPE PIPELINED PLAN
POOL POSITION PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVATE PRIVILEGES PROCEDURE PROCESSED PROJECT
PROJECTION PROPERTY PROVISIONING PUBLIC PUT QUERY QUIT QUORUM RAISE RANDOM RANGE RANK RAW READ READS REAL
REBUILD RECORD RECURSIVE REDUCE REF REFERENCE REFERENCES REFERENCING REGEXP REGION REINDEX RELATIVE RELEASE
REMAINDER RENAME REPEAT REPLACE REQUEST RESET RESIGNAL RESOURCE RESPONSE RESTORE RESTRICT RESULT RETURN
RETURNING RETURNS REVERSE REVOKE RIGHT ROLE ROLES ROLLBACK ROLLUP ROUTINE ROW ROWS RULE RULES SAMPLE
SATISFIES SAVE SAVEPOINT SCAN SCHEMA SCOPE SCROLL SEARCH SECOND SECTION SEGMENT SEGMENTS SELECT SELF SEMI
SENSITIVE SEPARATE SEQUENCE SERIALIZABLE SESSION SET SETS SHARD SHARE SHARED SHORT SHOW SIGNAL SIMILAR SIZE
SKEWED SMALLINT SNAPSHOT SOME SOURCE SPACE SPACES SPARSE SPECIFIC SPECIFICTYPE SPLIT SQL SQLCODE SQLERROR
SQLEXCEPTION SQLSTATE SQLWARNING START STATE STATIC STATUS STORAGE STORE STORED STREAM STRING STRUCT STYLE
SUB SUBMULTISET SUBPARTITION SUBSTRING SUBTYPE SUM SUPER SYMMETRIC SYNONYM SYSTEM TABLE TABLESAMPLE TEMP
TEMPORARY TERMINATED TEXT THAN THEN THROUGHPUT TIME TIMESTAMP TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING
TRANSACTION TRANSFORM TRANSLATE TRANSLATION TREAT TRIGGER TRIM TRUE TRUNCATE TTL TUPLE TYPE UNDER UNDO UNION
UNIQUE UNIT UNKNOWN UNLOGGED UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE USER USERS USING
UUID VACUUM VALUE VALUED VALUES VARCHAR VARIABLE VARIANCE VARINT VARYING VIEW VIEWS VIRTUAL VOID WAIT WHEN
WHENEVER WHERE WHILE WINDOW WITH WITHIN WITHOUT WORK WRAPPED WRITE YEAR ZONE`
