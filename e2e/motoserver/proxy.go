package motoserver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Call is one AWS call that went through the proxy.
type Call struct {
	// Caller is the access key id the request was signed with: each part
	// of the suite signs with its own (functions, CDK CLI, test harness).
	Caller string
	// Service is the signing name of the credential scope ("autoscaling",
	// "dynamodb", "events", "sns").
	Service string
	// Operation is the API operation ("UpdateAutoScalingGroup"), or the
	// method and path for REST APIs, whose operation is not on the wire.
	Operation string
	// Status is the HTTP status of the answer.
	Status int
	// Fixture is true when a fixture answered instead of moto.
	Fixture bool
	// Took is the time from the request's arrival to the answer.
	Took time.Duration
	// Body is the request body.
	Body []byte
}

// Form parses a query-protocol request body (Auto Scaling, EC2, SNS,
// CloudFormation): what the caller sent.
func (c Call) Form() url.Values {
	v, _ := url.ParseQuery(string(c.Body))
	return v
}

// Log records calls; safe for concurrent use.
type Log struct {
	mu    sync.Mutex
	calls []Call
}

func (l *Log) add(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

// Calls returns the calls so far, oldest first; with match, only those
// it accepts.
func (l *Log) Calls(match func(Call) bool) []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Call
	for _, c := range l.calls {
		if match == nil || match(c) {
			out = append(out, c)
		}
	}
	return out
}

// Len is the number of calls so far: a mark to read the calls after.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

// Since returns the calls made after mark (a Len).
func (l *Log) Since(mark int) []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls[min(mark, len(l.calls)):]...)
}

// Count is a number of calls of one kind.
type Count struct {
	Caller, Service, Operation string
	Calls                      int
}

// Counts sums calls by caller, service and operation, most frequent first.
func Counts(calls []Call) []Count {
	idx := map[[3]string]int{}
	var out []Count
	for _, c := range calls {
		k := [3]string{c.Caller, c.Service, c.Operation}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Count{Caller: c.Caller, Service: c.Service, Operation: c.Operation})
		}
		out[i].Calls++
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Calls > out[j].Calls })
	return out
}

// credential reads the access key id and the service of a SigV4
// Authorization header: "AWS4-HMAC-SHA256 Credential=AKID/20261205/us-east-1/dynamodb/aws4_request, ...".
var credential = regexp.MustCompile(`Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/aws4_request`)

// operationOf names the operation of a request as the protocols put it on
// the wire: X-Amz-Target for the JSON protocols, Action for the query
// protocols, the path's last segment for RPCv2 CBOR (CloudWatch).
func operationOf(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndexByte(t, '.')+1:]
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return v.Get("Action")
		}
	}
	if _, op, ok := strings.Cut(r.URL.Path, "/operation/"); ok && r.Header.Get("Smithy-Protocol") != "" {
		return op
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	return r.Method + " " + r.URL.Path
}

// A Fixture answers for moto where moto falls short: an operation it
// lacks, or a protocol it does not speak.
type Fixture struct {
	// Name says what it answers ("autoscaling DescribeInstanceRefreshes").
	Name string
	// Gap says what moto does instead, and why this answer is faithful.
	Gap string
	// Matches selects the calls it answers.
	Matches func(c Call, r *http.Request) bool
	// Answer writes the response to r, whose body is given; it may ask
	// moto (a translated request, say).
	Answer func(w http.ResponseWriter, r *http.Request, body []byte, moto http.Handler)
}

// NewProxy forwards to target, letting fixtures answer the calls they
// match, and logs every call in log.
func NewProxy(target string, log *Log, fixtures []Fixture) http.Handler {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read request: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c := Call{Operation: operationOf(r, body), Body: body}
		if m := credential.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			c.Caller, c.Service = m[1], m[2]
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		for _, f := range fixtures {
			if f.Matches(c, r) {
				c.Fixture = true
				f.Answer(rec, r, body, rp)
				c.Status, c.Took = rec.status, time.Since(start)
				log.add(c)
				return
			}
		}
		rp.ServeHTTP(rec, r)
		c.Status, c.Took = rec.status, time.Since(start)
		log.add(c)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets streamed answers through.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
