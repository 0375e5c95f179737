package awssim

import (
	"math/big"
	"strconv"
	"strings"
)

// ddbNumber is a DynamoDB number: an exact decimal, coef × 10^exp.
//
// DynamoDB numbers are arbitrary-precision decimals of up to 38
// significant digits, sent as strings, and compared and added exactly;
// float64 would round them.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number
type ddbNumber struct {
	coef *big.Int
	exp  int
}

const ddbMaxDigits = 38

// ddbNumberError is DynamoDB's own message for a bad number, which the
// operation returns as a ValidationException.
type ddbNumberError string

func (e ddbNumberError) Error() string { return string(e) }

// parseDDBNumber parses the string form DynamoDB accepts: optional sign,
// digits with an optional fraction, optional exponent.
func parseDDBNumber(s string) (ddbNumber, error) {
	bad := ddbNumberError("The parameter cannot be converted to a numeric value: " + s)
	t := strings.TrimSpace(s)
	if t == "" {
		return ddbNumber{}, bad
	}
	exp := 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		e, err := strconv.Atoi(t[i+1:])
		if err != nil {
			return ddbNumber{}, bad
		}
		exp, t = e, t[:i]
	}
	neg := false
	switch {
	case strings.HasPrefix(t, "-"):
		neg, t = true, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	}
	intPart, frac, _ := strings.Cut(t, ".")
	if intPart == "" && frac == "" {
		return ddbNumber{}, bad
	}
	digits := intPart + frac
	for _, r := range digits {
		if r < '0' || r > '9' {
			return ddbNumber{}, bad
		}
	}
	coef, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return ddbNumber{}, bad
	}
	if neg {
		coef.Neg(coef)
	}
	n := ddbNumber{coef: coef, exp: exp - len(frac)}.normalized()
	if len(new(big.Int).Abs(n.coef).String()) > ddbMaxDigits {
		return ddbNumber{}, ddbNumberError("Attempting to store more than 38 significant digits in a Number")
	}
	return n, nil
}

// normalized strips trailing zeros from the coefficient, so that equal
// numbers have one representation ("1.50" and "1.5").
func (n ddbNumber) normalized() ddbNumber {
	c := new(big.Int).Set(n.coef)
	e := n.exp
	if c.Sign() == 0 {
		return ddbNumber{coef: c, exp: 0}
	}
	ten := big.NewInt(10)
	q, r := new(big.Int), new(big.Int)
	for {
		q.QuoRem(c, ten, r)
		if r.Sign() != 0 {
			break
		}
		c.Set(q)
		e++
	}
	return ddbNumber{coef: c, exp: e}
}

// aligned returns both coefficients scaled to the smaller exponent.
func aligned(a, b ddbNumber) (*big.Int, *big.Int, int) {
	e := min(a.exp, b.exp)
	scale := func(n ddbNumber) *big.Int {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.exp-e)), nil)
		return new(big.Int).Mul(n.coef, p)
	}
	return scale(a), scale(b), e
}

func (n ddbNumber) cmp(o ddbNumber) int {
	x, y, _ := aligned(n, o)
	return x.Cmp(y)
}

func (n ddbNumber) add(o ddbNumber) ddbNumber {
	x, y, e := aligned(n, o)
	return ddbNumber{coef: x.Add(x, y), exp: e}.normalized()
}

func (n ddbNumber) neg() ddbNumber {
	return ddbNumber{coef: new(big.Int).Neg(n.coef), exp: n.exp}
}

// String renders the number the way DynamoDB returns it: plain decimal
// notation without trailing zeros.
func (n ddbNumber) String() string {
	n = n.normalized()
	s := new(big.Int).Abs(n.coef).String()
	sign := ""
	if n.coef.Sign() < 0 {
		sign = "-"
	}
	switch {
	case n.exp >= 0:
		return sign + s + strings.Repeat("0", n.exp)
	case -n.exp < len(s):
		k := len(s) + n.exp
		return sign + s[:k] + "." + s[k:]
	default:
		return sign + "0." + strings.Repeat("0", -n.exp-len(s)) + s
	}
}

// float is for TTL comparisons against the clock, where a second's
// precision is all that matters.
func (n ddbNumber) float() float64 {
	f, _ := strconv.ParseFloat(n.String(), 64)
	return f
}
