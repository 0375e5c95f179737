package awssim

import (
	"fmt"
	"strings"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// alarmRule is a parsed composite alarm rule: ALARM(x), OK(x),
// INSUFFICIENT_DATA(x), TRUE and FALSE combined with NOT, AND and OR
// (that precedence) and parentheses. Alarms are referenced by name or ARN,
// quoted or not. AT_LEAST is not modelled and is refused.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html
type alarmRule struct {
	op    ruleOp
	state cwtypes.StateValue // opState
	alarm string             // opState: the alarm's name
	value bool               // opConst
	kids  []*alarmRule       // opNot (one), opAnd, opOr
}

type ruleOp int

const (
	opState ruleOp = iota
	opConst
	opNot
	opAnd
	opOr
)

// eval evaluates the rule against the current state of each alarm.
func (r *alarmRule) eval(stateOf func(name string) cwtypes.StateValue) bool {
	switch r.op {
	case opState:
		return stateOf(r.alarm) == r.state
	case opConst:
		return r.value
	case opNot:
		return !r.kids[0].eval(stateOf)
	case opAnd:
		for _, k := range r.kids {
			if !k.eval(stateOf) {
				return false
			}
		}
		return true
	default:
		for _, k := range r.kids {
			if k.eval(stateOf) {
				return true
			}
		}
		return false
	}
}

// alarms lists the alarm names the rule references, in order, once each.
func (r *alarmRule) alarms() []string {
	var out []string
	var walk func(*alarmRule)
	walk = func(n *alarmRule) {
		if n.op == opState && !contains(out, n.alarm) {
			out = append(out, n.alarm)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(r)
	return out
}

// parseAlarmRule parses rule; alarm ARNs are reduced to names.
func parseAlarmRule(rule string) (*alarmRule, error) {
	toks, err := tokenizeRule(rule)
	if err != nil {
		return nil, err
	}
	p := &ruleParser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return n, nil
}

type ruleToken struct {
	text   string
	quoted bool
}

func tokenizeRule(s string) ([]ruleToken, error) {
	var toks []ruleToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, ruleToken{text: string(c)})
			i++
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted alarm name")
			}
			toks = append(toks, ruleToken{text: s[i+1 : i+1+end], quoted: true})
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r(),\"", rune(s[j])) {
				j++
			}
			toks = append(toks, ruleToken{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

type ruleParser struct {
	toks []ruleToken
	pos  int
}

func (p *ruleParser) peek() (ruleToken, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return ruleToken{}, false
}

func (p *ruleParser) keyword(k string) bool {
	t, ok := p.peek()
	if ok && !t.quoted && strings.EqualFold(t.text, k) {
		p.pos++
		return true
	}
	return false
}

func (p *ruleParser) expect(text string) error {
	t, ok := p.peek()
	if !ok || t.quoted || t.text != text {
		return fmt.Errorf("expected %q", text)
	}
	p.pos++
	return nil
}

func (p *ruleParser) or() (*alarmRule, error) {
	return p.binary(opOr, "OR", p.and)
}

func (p *ruleParser) and() (*alarmRule, error) {
	return p.binary(opAnd, "AND", p.unary)
}

func (p *ruleParser) binary(op ruleOp, word string, next func() (*alarmRule, error)) (*alarmRule, error) {
	n, err := next()
	if err != nil {
		return nil, err
	}
	kids := []*alarmRule{n}
	for p.keyword(word) {
		m, err := next()
		if err != nil {
			return nil, err
		}
		kids = append(kids, m)
	}
	if len(kids) == 1 {
		return n, nil
	}
	return &alarmRule{op: op, kids: kids}, nil
}

func (p *ruleParser) unary() (*alarmRule, error) {
	if p.keyword("NOT") {
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &alarmRule{op: opNot, kids: []*alarmRule{n}}, nil
	}
	return p.primary()
}

func (p *ruleParser) primary() (*alarmRule, error) {
	t, ok := p.peek()
	if !ok {
		return nil, fmt.Errorf("unexpected end of rule")
	}
	if !t.quoted && t.text == "(" {
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		return n, p.expect(")")
	}
	switch {
	case p.keyword("TRUE"):
		return &alarmRule{op: opConst, value: true}, nil
	case p.keyword("FALSE"):
		return &alarmRule{op: opConst, value: false}, nil
	case strings.EqualFold(t.text, "AT_LEAST") && !t.quoted:
		return nil, fmt.Errorf("AT_LEAST is not modelled by the simulated account")
	}
	var state cwtypes.StateValue
	switch {
	case p.keyword("ALARM"):
		state = cwtypes.StateValueAlarm
	case p.keyword("OK"):
		state = cwtypes.StateValueOk
	case p.keyword("INSUFFICIENT_DATA"):
		state = cwtypes.StateValueInsufficientData
	default:
		return nil, fmt.Errorf("unexpected %q", t.text)
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	ref, ok := p.peek()
	if !ok || (!ref.quoted && (ref.text == ")" || ref.text == "(")) {
		return nil, fmt.Errorf("missing alarm name")
	}
	p.pos++
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return &alarmRule{op: opState, state: state, alarm: alarmNameOf(ref.text)}, nil
}

// alarmNameOf reduces an alarm ARN to its name; a name stays as is.
func alarmNameOf(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		if parts := strings.SplitN(ref, ":", 7); len(parts) == 7 && parts[5] == "alarm" {
			return parts[6]
		}
	}
	return ref
}
