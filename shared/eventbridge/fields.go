package eventbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxItems bounds every array read from an event. A real Health event pages
// its affected entities to stay under the 256 KiB event limit, which holds
// fewer than 2,000 of them; more items than this is not a real event.
const maxItems = 4096

// fieldError names the field of an event that cannot be read.
type fieldError struct {
	path    string
	problem string
}

func (e *fieldError) Error() string {
	if e.problem == "missing" {
		return "missing required field " + e.path
	}
	return e.path + ": " + e.problem
}

// reader holds the first problem met while reading an event, so decoders
// read field after field and check once at the end.
type reader struct {
	err error
}

func (r *reader) fail(path, format string, args ...any) {
	if r.err == nil {
		r.err = &fieldError{path: path, problem: fmt.Sprintf(format, args...)}
	}
}

// object is one JSON object of an event, read key by key with AWS's quirks
// absorbed: numbers as strings, booleans as strings, {} for an absent
// string, RFC 1123 times. An absent key, null and (for strings) {} all read
// as the zero value; a value of the wrong kind is an error naming the field.
type object struct {
	r    *reader
	path string
	m    map[string]json.RawMessage
}

// readObject reads raw as an object named path. A null or absent value is
// an empty object; anything else that is not an object is an error.
func (r *reader) readObject(path string, raw json.RawMessage) object {
	o := object{r: r, path: path}
	raw = bytes.TrimSpace(raw)
	if r.err != nil || len(raw) == 0 || isNull(raw) {
		return o
	}
	if raw[0] != '{' {
		r.fail(path, "want an object, got %s", kindOf(raw))
		return o
	}
	if err := json.Unmarshal(raw, &o.m); err != nil {
		r.fail(path, "%v", err)
	}
	return o
}

func (o object) sub(key string) string { return o.path + "." + key }

// raw returns the trimmed value of key and whether it holds anything but null.
func (o object) raw(key string) (json.RawMessage, bool) {
	if o.r.err != nil {
		return nil, false
	}
	v, ok := o.m[key]
	v = bytes.TrimSpace(v)
	if !ok || len(v) == 0 || isNull(v) {
		return nil, false
	}
	return v, true
}

// Has reports whether key is present with a value other than null.
func (o object) Has(key string) bool {
	_, ok := o.raw(key)
	return ok
}

// String reads a string. AWS writes {} where a string has no value yet
// (e.g. a failed copy job's destinationRecoveryPointArn): that reads as "".
func (o object) String(key string) string {
	v, ok := o.raw(key)
	if !ok {
		return ""
	}
	switch {
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			o.r.fail(o.sub(key), "%v", err)
		}
		return s
	case isEmptyObject(v):
		return ""
	}
	o.r.fail(o.sub(key), "want a string, got %s", kindOf(v))
	return ""
}

// RequiredString reads a string that must be present and non-empty.
func (o object) RequiredString(key string) string {
	s := o.String(key)
	if s == "" && o.r.err == nil {
		o.r.fail(o.sub(key), "missing")
	}
	return s
}

// numberText is the text of a number written as a JSON number or as a
// string; ok is false when the field is absent, an empty string, or a
// string that is not JSON (reported).
func (o object) numberText(key string) (raw json.RawMessage, text string, ok bool) {
	v, ok := o.raw(key)
	if !ok {
		return nil, "", false
	}
	text = string(v)
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			o.r.fail(o.sub(key), "%v", err)
			return nil, "", false
		}
		if text = strings.TrimSpace(s); text == "" {
			return nil, "", false
		}
	}
	return v, text, true
}

// Int reads an integer written as a JSON number or as a string of digits
// (AWS Backup sends backupSizeInBytes both ways).
func (o object) Int(key string) int64 {
	v, text, ok := o.numberText(key)
	if !ok {
		return 0
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n
	}
	// 3.6e4 is an integer too; 1.5 and 1e30 are not.
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		o.r.fail(o.sub(key), "want an integer, got %s", preview(v))
		return 0
	}
	return int64(f)
}

// Float reads a number written as a JSON number or as a numeric string.
func (o object) Float(key string) float64 {
	v, text, ok := o.numberText(key)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		o.r.fail(o.sub(key), "want a number, got %s", preview(v))
		return 0
	}
	return f
}

// Bool reads true/false written as JSON booleans or as the strings
// "true"/"false" (AWS Backup's isEncrypted and isLocked, Health's backupEvent).
func (o object) Bool(key string) bool {
	v, ok := o.raw(key)
	if !ok {
		return false
	}
	switch string(v) {
	case "true":
		return true
	case "false":
		return false
	}
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true":
				return true
			case "false", "":
				return false
			}
		}
	}
	o.r.fail(o.sub(key), "want a boolean, got %s", preview(v))
	return false
}

// Time reads a timestamp in any format AWS events use (see parseTime).
// Absent, null, "" and {} read as the zero time.
func (o object) Time(key string) time.Time {
	s := o.String(key)
	if strings.TrimSpace(s) == "" {
		return time.Time{}
	}
	t, err := parseTime(s)
	if err != nil {
		o.r.fail(o.sub(key), "%v", err)
	}
	return t
}

// Object reads a nested object; absent or null reads as an empty object.
func (o object) Object(key string) object {
	v, _ := o.raw(key)
	return o.r.readObject(o.sub(key), v)
}

// array reads the elements of an array of at most maxItems items.
func (o object) array(key string) []json.RawMessage {
	v, ok := o.raw(key)
	if !ok {
		return nil
	}
	if v[0] != '[' {
		o.r.fail(o.sub(key), "want an array, got %s", kindOf(v))
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		o.r.fail(o.sub(key), "%v", err)
		return nil
	}
	if len(items) > maxItems {
		o.r.fail(o.sub(key), "%d items, over the limit of %d", len(items), maxItems)
		return nil
	}
	return items
}

// Objects reads an array of objects.
func (o object) Objects(key string) []object {
	items := o.array(key)
	if len(items) == 0 {
		return nil
	}
	out := make([]object, 0, len(items))
	for i, item := range items {
		out = append(out, o.r.readObject(fmt.Sprintf("%s[%d]", o.sub(key), i), item))
	}
	return out
}

// Strings reads an array of strings.
func (o object) Strings(key string) []string {
	items := o.array(key)
	if len(items) == 0 {
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		var s string
		if err := json.Unmarshal(item, &s); err != nil {
			o.r.fail(fmt.Sprintf("%s[%d]", o.sub(key), i), "want a string, got %s", kindOf(bytes.TrimSpace(item)))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// StringMap reads an object of free-form values (tags, metadata, alarm
// dimensions) as strings: strings as they are, numbers and booleans as
// their JSON text, null as "". Nested objects and arrays are an error.
func (o object) StringMap(key string) map[string]string {
	n := o.Object(key)
	if o.r.err != nil || len(n.m) == 0 {
		return nil
	}
	if len(n.m) > maxItems {
		o.r.fail(n.path, "%d keys, over the limit of %d", len(n.m), maxItems)
		return nil
	}
	out := make(map[string]string, len(n.m))
	for k, v := range n.m {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || isNull(v):
			out[k] = ""
		case v[0] == '"':
			out[k] = n.String(k)
		case v[0] == '{' || v[0] == '[':
			o.r.fail(n.sub(k), "want a string, got %s", kindOf(v))
			return nil
		default:
			out[k] = string(v)
		}
	}
	return out
}

// Layouts of the timestamps AWS puts in events, most common first.
var timeLayouts = []string{
	time.RFC3339, // EventBridge envelopes, AWS Backup; fractions are accepted too
	// CloudWatch alarm state timestamps: "2019-10-02T17:04:40.989+0000".
	"2006-01-02T15:04:05-0700",
	// AWS Health: "Fri, 27 Jan 2023 06:02:51 GMT", days also as "3".
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05 -0700",
	// AWS Backup's expectedCompletionDate: "Jul 15, 2020 9:39:07 PM" (UTC).
	"Jan 2, 2006 3:04:05 PM",
}

// parseTime reads a timestamp in any of timeLayouts, ignoring surrounding
// white space (Health times sometimes end in a newline), and returns it in
// UTC.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %s is in no known format (RFC 3339, RFC 1123, ISO 8601 with -0700)", preview([]byte(strconv.Quote(s))))
}

func isNull(v []byte) bool { return string(v) == "null" }

func isEmptyObject(v []byte) bool {
	return len(v) >= 2 && v[0] == '{' && v[len(v)-1] == '}' && len(bytes.TrimSpace(v[1:len(v)-1])) == 0
}

// kindOf names the JSON type of a trimmed, non-empty value.
func kindOf(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// preview quotes a value in an error message, cut short so a hostile event
// cannot blow up logs.
func preview(v []byte) string {
	const max = 64
	if len(v) > max {
		return strings.ToValidUTF8(string(v[:max]), "") + "…"
	}
	return strings.ToValidUTF8(string(v), "\uFFFD")
}
