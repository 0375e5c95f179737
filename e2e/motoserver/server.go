package motoserver

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
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/selfheal/selfheal/internal/lambdarie"
)

// Version is the moto the suite's pinned divergences were observed on.
const Version = "5.2.1"

// InstallHint is how to get moto_server, for the error when it is missing.
const InstallHint = "pip install 'moto[server]==" + Version + "'"

// Account is the account moto serves: the one the Lambda Runtime Interface
// Emulator puts in every function ARN it hands a function
// (arn:aws:lambda:us-east-1:012345678912:function:NAME), so that a function
// and the resources it reads agree on whose account they are in.
const Account = "012345678912"

// Server is a running moto_server behind the extending proxy.
type Server struct {
	// URL is the proxy's address: what clients use as AWS_ENDPOINT_URL.
	URL string
	// MotoURL is moto_server's own address, for calls the proxy must not
	// see.
	MotoURL string

	cmd    *exec.Cmd
	exited chan struct{}
	proxy  *http.Server
	log    *Log
	stderr bytes.Buffer
	mu     sync.Mutex // guards stderr
	once   sync.Once
}

// ErrNotInstalled is returned by Start when moto_server is not on PATH.
var ErrNotInstalled = errors.New("moto_server not found on PATH: install it with " + InstallHint)

// Start starts moto_server on a free port of 127.0.0.1 and the proxy in
// front of it on another, and waits until moto answers.
func Start(ctx context.Context) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	port, err := lambdarie.FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{MotoURL: "http://127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{}), log: &Log{}}
	s.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Env = append(os.Environ(), "MOTO_ACCOUNT_ID="+Account)
	s.cmd.Stdout = io.Discard
	s.cmd.Stderr = lockedWriter{&s.mu, &s.stderr}
	// Its own process group, so that Stop reaches the server's children.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("proxy listener: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.proxy = &http.Server{Handler: NewProxy(s.MotoURL, s.log, Fixtures), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.proxy.Serve(ln) }()
	return s, nil
}

// waitReady polls moto's own API until it answers.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.MotoURL+"/moto-api/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("moto_server exited at start:\n%s", s.Stderr())
		case <-ctx.Done():
			return fmt.Errorf("moto_server did not answer on %s: %w\n%s", s.MotoURL, ctx.Err(), s.Stderr())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Log is the record of every call that went through the proxy.
func (s *Server) Log() *Log { return s.log }

// Stderr is what moto_server wrote so far (its request log and tracebacks).
func (s *Server) Stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// Stop stops the proxy and moto_server. It may be called more than once.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.proxy != nil {
			_ = s.proxy.Close()
		}
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.exited
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
