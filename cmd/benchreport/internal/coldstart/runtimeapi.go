package coldstart

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/selfheal/selfheal/internal/lambdarie"
)

// Sample is one cold start measured against the in-process Runtime API.
type Sample struct {
	// Init is exec to the first GET /next.
	Init time.Duration
	// RoundTrip is the first event handed out to its response posted.
	RoundTrip time.Duration
	// PeakRSS is the process's peak resident memory in bytes after the
	// first invocation (VmHWM).
	PeakRSS int64
	// Response is the body the function posted.
	Response []byte
	// Stderr is what the process wrote to stderr (inittrace goes there).
	Stderr []byte
}

// Launch starts name with args and env against a Runtime API of its own,
// hands it event as its first invocation, waits for the response, kills
// the process and returns the measurements.
//
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
func Launch(ctx context.Context, event []byte, env []string, name string, args ...string) (Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	api, err := newRuntimeAPI(event)
	if err != nil {
		return Sample{}, err
	}
	defer api.close()

	cmd := exec.Command(name, args...)
	cmd.Env = append(append([]string{}, env...), "AWS_LAMBDA_RUNTIME_API="+api.addr)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Sample{}, fmt.Errorf("start %s: %w", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	kill := func() { _ = cmd.Process.Signal(syscall.SIGKILL) }

	var s Sample
	select {
	case r := <-api.done:
		s.Init, s.RoundTrip, s.Response = r.firstNext.Sub(start), r.responded.Sub(r.handedOut), r.body
		if r.err != "" {
			kill()
			<-exited
			return s, fmt.Errorf("%s reported an error: %s\nstderr:\n%s", name, r.err, lambdarie.Tail(stderr.Bytes(), 20))
		}
	case err := <-exited:
		return s, fmt.Errorf("%s exited before responding (%v):\n%s", name, err, lambdarie.Tail(stderr.Bytes(), 20))
	case <-ctx.Done():
		kill()
		<-exited
		return s, fmt.Errorf("%s: no response: %w", name, ctx.Err())
	}
	// The runtime now waits in its next poll. Its peak RSS is read from
	// /proc before it is killed: getrusage's ru_maxrss of a child counts
	// the parent's memory it shared until exec (Go forks with CLONE_VM), so
	// it reports this program's size, not the function's.
	s.PeakRSS, err = lambdarie.PeakRSS(cmd.Process.Pid)
	kill()
	<-exited
	if err != nil {
		return s, fmt.Errorf("%s: peak RSS: %w", name, err)
	}
	s.Stderr = stderr.Bytes()
	return s, nil
}

// record is what the runtime did with its first invocation.
type record struct {
	firstNext, handedOut, responded time.Time
	body                            []byte
	err                             string
}

// runtimeAPI serves one invocation: the first /next gets the event, later
// ones wait until the process is killed.
type runtimeAPI struct {
	addr  string
	srv   *http.Server
	event []byte
	done  chan record

	mu  sync.Mutex
	rec record
	got bool
}

const (
	requestID   = "8f5b2c1e-0000-4000-8000-00000000b001"
	functionARN = "arn:aws:lambda:us-east-1:123456789012:function:selfheal-bench"
)

func newRuntimeAPI(event []byte) (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API listener: %w", err)
	}
	a := &runtimeAPI{addr: ln.Addr().String(), event: event, done: make(chan record, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", a.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", a.respond(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", a.respond(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", a.initError)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *runtimeAPI) close() { _ = a.srv.Close() }

func (a *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	a.mu.Lock()
	first := a.rec.firstNext.IsZero()
	if first {
		a.rec.firstNext = now
	}
	a.mu.Unlock()
	if !first {
		<-r.Context().Done() // no second invocation
		return
	}
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", requestID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", functionARN)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
	h.Set("Content-Type", "application/json")
	a.mu.Lock()
	a.rec.handedOut = time.Now()
	a.mu.Unlock()
	_, _ = w.Write(a.event)
}

func (a *runtimeAPI) respond(isErr bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		w.WriteHeader(http.StatusAccepted)
		a.finish(func(rec *record) {
			rec.responded, rec.body = now, body
			if isErr {
				rec.err = string(body)
			}
		})
	}
}

func (a *runtimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.WriteHeader(http.StatusAccepted)
	a.finish(func(rec *record) { rec.err = "init error: " + string(body) })
}

func (a *runtimeAPI) finish(f func(*record)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.got {
		return
	}
	a.got = true
	f(&a.rec)
	a.done <- a.rec
}
