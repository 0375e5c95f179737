//go:build e2e

package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfheal/selfheal/internal/lambdarie"
)

// The functions run as Lambda runs them: each functions/<name> built for
// this machine with the Makefile's flags, started by the pinned Runtime
// Interface Emulator on its first invocation, with the environment the
// deployed function got, plus the endpoint and fake credentials.

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "selfheal-e2e-bin-")
	if err != nil {
		return "", err
	}
	// One go build for every function: the packages compile in parallel.
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", dir+string(os.PathSeparator), "./functions/...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the functions for the host: %w\n%s", err, out)
	}
	return dir, nil
})

var emulatorOnce = sync.OnceValues(func() (lambdarie.Emulator, error) {
	dir := os.Getenv("SELFHEAL_E2E_CACHE")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return lambdarie.Emulator{}, fmt.Errorf("no cache directory (set SELFHEAL_E2E_CACHE): %w", err)
		}
		dir = filepath.Join(cache, "selfheal-e2e")
	}
	var log bytes.Buffer
	e, err := lambdarie.Install(context.Background(), filepath.Join(dir, "rie-"+lambdarie.Version), &log)
	if err != nil {
		return e, fmt.Errorf("%w\n%s", err, log.String())
	}
	return e, nil
})

// running holds the emulators started, one per function, stopped at the
// end of the run.
var running struct {
	sync.Mutex
	procs map[string]*lambdarie.Process
}

func stopFunctions() {
	running.Lock()
	defer running.Unlock()
	for _, p := range running.procs {
		p.Stop()
	}
}

// function returns the emulator running the deployed function folder,
// starting it on first use.
func function(t *testing.T, folder string) *lambdarie.Process {
	t.Helper()
	running.Lock()
	defer running.Unlock()
	if p := running.procs[folder]; p != nil {
		return p
	}
	d := deployed(t)
	fn, ok := d.Functions[folder]
	if !ok {
		t.Fatalf("no deployed function %s", folder)
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	emu, err := emulatorOnce()
	if err != nil {
		t.Fatal(err)
	}
	timeout := d.Template.Resources[fn.LogicalID].Properties["Timeout"].(float64)
	env := []string{
		"PATH=/usr/bin:/bin",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=" + keyFunctions,
		"AWS_SECRET_ACCESS_KEY=" + fakeSecret,
		"AWS_SESSION_TOKEN=e2e-session",
		"AWS_ENDPOINT_URL=" + moto.URL,
		"AWS_LAMBDA_FUNCTION_NAME=" + fn.Name,
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(timeout)),
	}
	for k, v := range fn.Env {
		env = append(env, k+"="+v)
	}
	p, err := emu.Start(context.Background(), filepath.Join(bin, folder), env)
	if err != nil {
		t.Fatal(err)
	}
	if running.procs == nil {
		running.procs = map[string]*lambdarie.Process{}
	}
	running.procs[folder] = p
	return p
}

// logLine is the one line a function logs per event at its boundary.
type logLine struct {
	Level    string `json:"level"`
	Msg      string `json:"msg"`
	EventID  string `json:"eventId"`
	Status   string `json:"status"`
	Decision string `json:"decision"`
	Actions  int    `json:"actions"`
	Notified int    `json:"notified"`
	Failing  int    `json:"failing"`
	Error    string `json:"error"`
}

// invoke delivers event to the function over the Runtime API and returns
// its boundary's log line for the event. A function error fails the test.
func invoke(t *testing.T, folder, label string, event []byte) logLine {
	t.Helper()
	p := function(t, folder)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mark := len(p.Logs())
	start := time.Now()
	inv, err := p.Invoke(ctx, event)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("invoke %s with %s: %v", folder, label, err)
	}
	var id struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(event, &id)
	// The emulator relays the function's output through a pipe: the line
	// may arrive just after the response.
	line, ok := boundaryLine(p.Logs()[mark:], id.ID)
	for wait := time.Now(); !ok && inv.FunctionError == "" && time.Since(wait) < 5*time.Second; {
		time.Sleep(10 * time.Millisecond)
		line, ok = boundaryLine(p.Logs()[mark:], id.ID)
	}
	outcome := line.Status + ": " + line.Decision
	if !ok {
		outcome = "no boundary log line"
	}
	if inv.FunctionError != "" {
		outcome = "error: " + string(inv.Payload)
	}
	report.invoked(invocation{Function: folder, Event: label, Took: took, Outcome: trim(outcome, 110)})
	if inv.FunctionError != "" {
		t.Fatalf("%s failed on %s (%s): %s\n%s", folder, label, inv.FunctionError, inv.Payload, p.LogTail(30))
	}
	if !ok {
		t.Fatalf("%s logged no line for event %s:\n%s", folder, id.ID, p.LogTail(30))
	}
	return line
}

// boundaryLine finds the function's log line for an event among the
// emulator's output.
func boundaryLine(logs []byte, eventID string) (logLine, bool) {
	sc := bufio.NewScanner(bytes.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		b := sc.Bytes()
		if i := bytes.IndexByte(b, '{'); i >= 0 {
			var l logLine
			if json.Unmarshal(b[i:], &l) == nil && l.EventID == eventID && l.Status != "" {
				return l, true
			}
		}
	}
	return logLine{}, false
}

func trim(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// newID is a random event id (a UUID v4 as EventBridge's).
func newID() string {
	var b [16]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
