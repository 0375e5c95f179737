package lambdarie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The emulator, pinned (see ../shared/TOOLING.md).
const (
	Package = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	Version = "v0.0.0-20261030222936-bef5c4ba774d"
)

// Emulator is an installed Runtime Interface Emulator.
type Emulator struct{ Path string }

// Install installs the pinned emulator into dir (as GOBIN), unless a
// previous run did. Nothing is installed outside dir.
func Install(ctx context.Context, dir string, log io.Writer) (Emulator, error) {
	bin := filepath.Join(dir, "aws-lambda-rie")
	if _, err := os.Stat(bin); err == nil {
		return Emulator{Path: bin}, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", Package+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return Emulator{}, fmt.Errorf("install %s@%s: %w", Package, Version, err)
	}
	return Emulator{Path: bin}, nil
}

// Process is a running emulator with its function.
type Process struct {
	cmd        *exec.Cmd
	invokeAddr string
	exited     chan struct{}
	logs       syncBuffer
	stopOnce   sync.Once
}

// Start starts the emulator for bootstrap with env (the function's whole
// environment: nothing of the caller's is passed on), bound to free ports
// of 127.0.0.1, and waits until it accepts invocations. The bootstrap
// itself starts on the first invocation, as in Lambda. Stop it with Stop.
func (e Emulator) Start(ctx context.Context, bootstrap string, env []string) (*Process, error) {
	invokePort, err := FreePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	p := &Process{invokeAddr: "127.0.0.1:" + strconv.Itoa(invokePort), exited: make(chan struct{})}
	p.cmd = exec.Command(e.Path,
		"--runtime-interface-emulator-address", p.invokeAddr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		bootstrap)
	p.cmd.Env = env
	// Its own process group, so that stopping it stops the bootstrap it
	// started too.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the emulator: %w", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	if err := WaitListening(ctx, p.invokeAddr); err != nil {
		p.Stop()
		return nil, fmt.Errorf("emulator: %w\n%s", err, p.LogTail(20))
	}
	return p, nil
}

// Stop kills the emulator and the bootstrap it started, and waits for the
// emulator to exit. It may be called more than once.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	})
}

// Invocation is what an invocation returned.
type Invocation struct {
	// Payload is the function's response, or its error document
	// ({"errorMessage": ..., "errorType": ...}) when FunctionError is set.
	Payload []byte
	// FunctionError is the error type the function reported ("" when it
	// returned normally), as Lambda's X-Amz-Function-Error header says.
	FunctionError string
}

// Invoke invokes the function synchronously with event over the
// emulator's Invoke API and returns what it answered. A function that
// returns an error is an Invocation with FunctionError, not an error: an
// error means the invocation did not happen or did not finish.
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
func (p *Process) Invoke(ctx context.Context, event []byte) (Invocation, error) {
	url := "http://" + p.invokeAddr + "/2015-03-31/functions/function/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(event))
	if err != nil {
		return Invocation{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Invocation{}, fmt.Errorf("invoke: %w\n%s", err, p.LogTail(20))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Invocation{}, fmt.Errorf("invoke: read the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Invocation{}, fmt.Errorf("invoke: status %s: %s\n%s", resp.Status, body, p.LogTail(20))
	}
	inv := Invocation{Payload: body, FunctionError: resp.Header.Get("X-Amz-Function-Error")}
	if inv.FunctionError == "" && isErrorDocument(body) {
		// The emulator does not always set the header; the document says
		// it all the same.
		inv.FunctionError = "Unhandled"
	}
	return inv, nil
}

// isErrorDocument reports whether a payload is the Runtime API's error
// document rather than a function's own answer.
func isErrorDocument(body []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(body), []byte(`{"errorMessage"`)) ||
		bytes.HasPrefix(bytes.TrimSpace(body), []byte(`{"errorType"`))
}

// Logs is everything the emulator and the function wrote so far: the
// emulator's lines and the function's stdout and stderr.
func (p *Process) Logs() []byte { return p.logs.Bytes() }

// LogTail is the last n lines of Logs.
func (p *Process) LogTail(n int) string { return Tail(p.logs.Bytes(), n) }

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// ErrNoINITReport is returned by InitReported before the bootstrap's first
// start is over.
var ErrNoINITReport = errors.New("no INIT REPORT in the emulator's log")

// InitReported is the emulator's own INIT REPORT duration: from starting
// the bootstrap to its first poll for work, the figure Lambda would bill.
func (p *Process) InitReported() (time.Duration, error) {
	m := initReport.FindSubmatch(p.logs.Bytes())
	if m == nil {
		return 0, fmt.Errorf("%w:\n%s", ErrNoINITReport, p.LogTail(20))
	}
	ms, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0, fmt.Errorf("INIT REPORT %q: %w", m[1], err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// BootstrapPeakRSS is the peak resident memory of the bootstrap the
// emulator started, in bytes; false before it started.
func (p *Process) BootstrapPeakRSS() (int64, bool) {
	child, ok := childOf(p.cmd.Process.Pid)
	if !ok {
		return 0, false
	}
	rss, err := PeakRSS(child)
	return rss, err == nil
}

// FreePort is a TCP port of 127.0.0.1 nothing listened on a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// WaitListening waits until addr accepts TCP connections or ctx ends.
func WaitListening(ctx context.Context, addr string) error {
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never listened: %w", addr, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// childOf finds a child process of pid in /proc.
func childOf(pid int) (int, bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		f := strings.Fields(string(rest))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			return child, true
		}
	}
	return 0, false
}

// PeakRSS reads a process's peak resident set size (VmHWM), in bytes.
func PeakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for process %d", pid)
}

// Tail is the last n lines of b.
func Tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
