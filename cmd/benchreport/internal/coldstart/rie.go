package coldstart

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The emulator, pinned (see ../shared/TOOLING.md).
const (
	RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"
)

// RIE is an installed Runtime Interface Emulator.
type RIE struct{ Path string }

// InstallRIE installs the pinned emulator into dir (as GOBIN), unless a
// previous run did. Nothing is installed outside dir.
func InstallRIE(ctx context.Context, dir string, log io.Writer) (RIE, error) {
	bin := filepath.Join(dir, "aws-lambda-rie")
	if _, err := os.Stat(bin); err == nil {
		return RIE{Path: bin}, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", RIEPackage+"@"+RIEVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return RIE{}, fmt.Errorf("install %s@%s: %w", RIEPackage, RIEVersion, err)
	}
	return RIE{Path: bin}, nil
}

// RIESample is one cold start under the emulator.
type RIESample struct {
	// InitReported is the emulator's own INIT REPORT duration: from
	// starting the bootstrap to its first /next.
	InitReported time.Duration
	// FirstInvoke is the first invocation as its caller sees it: the
	// emulator starts the bootstrap on it, so init is included.
	FirstInvoke time.Duration
	// WarmInvoke is the median round trip of the invocations after it.
	WarmInvoke time.Duration
	// PeakRSS is the bootstrap's VmHWM after the invocations, in bytes.
	PeakRSS int64
	// Response is the first invocation's response body.
	Response []byte
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// Run starts the emulator on bootstrap, bound to 127.0.0.1 (it listens on
// all interfaces by default), invokes it once cold and warm times more
// with event, and stops it and the bootstrap.
func (r RIE) Run(ctx context.Context, bootstrap string, env []string, event []byte, warm int) (RIESample, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	invokePort, err := freePort()
	if err != nil {
		return RIESample{}, err
	}
	apiPort, err := freePort()
	if err != nil {
		return RIESample{}, err
	}
	invokeAddr := "127.0.0.1:" + strconv.Itoa(invokePort)
	cmd := exec.Command(r.Path,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		bootstrap)
	cmd.Env = env
	// Its own process group, so that stopping it stops the bootstrap it
	// started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return RIESample{}, fmt.Errorf("start the emulator: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}()
	if err := waitListening(ctx, invokeAddr); err != nil {
		return RIESample{}, fmt.Errorf("emulator: %w\n%s", err, tailBytes(logs.Bytes(), 20))
	}

	url := "http://" + invokeAddr + "/2015-03-31/functions/function/invocations"
	var s RIESample
	var warmTimes []time.Duration
	for i := range warm + 1 {
		start := time.Now()
		body, err := post(ctx, url, event)
		took := time.Since(start)
		if err != nil {
			return s, fmt.Errorf("invoke %d: %w\n%s", i+1, err, tailBytes(logs.Bytes(), 20))
		}
		if i == 0 {
			s.FirstInvoke, s.Response = took, body
			continue
		}
		warmTimes = append(warmTimes, took)
	}
	s.WarmInvoke = Median(warmTimes)
	m := initReport.FindSubmatch(logs.Bytes())
	if m == nil {
		return s, fmt.Errorf("%w:\n%s", errNoINITReport, tailBytes(logs.Bytes(), 20))
	}
	ms, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return s, fmt.Errorf("INIT REPORT %q: %w", m[1], err)
	}
	s.InitReported = time.Duration(ms * float64(time.Millisecond))
	if child, ok := childOf(cmd.Process.Pid); ok {
		s.PeakRSS, _ = vmHWM(child)
	}
	return s, nil
}

func post(ctx context.Context, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("status %s: %s", resp.Status, out)
	}
	return out, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(ctx context.Context, addr string) error {
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

// vmHWM reads a process's peak resident set size.
func vmHWM(pid int) (int64, error) {
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

// Median of ds (0 for none).
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
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
