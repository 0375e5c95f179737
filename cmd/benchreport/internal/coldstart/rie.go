package coldstart

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/selfheal/selfheal/internal/lambdarie"
)

// The emulator, pinned (see ../shared/TOOLING.md): lambdarie installs and
// drives it for the bench and for make e2e alike.
const (
	RIEPackage = lambdarie.Package
	RIEVersion = lambdarie.Version
)

// RIE is an installed Runtime Interface Emulator.
type RIE struct{ Emulator lambdarie.Emulator }

// InstallRIE installs the pinned emulator into dir (as GOBIN), unless a
// previous run did. Nothing is installed outside dir.
func InstallRIE(ctx context.Context, dir string, log io.Writer) (RIE, error) {
	e, err := lambdarie.Install(ctx, dir, log)
	return RIE{Emulator: e}, err
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

// Run starts the emulator on bootstrap, invokes it once cold and warm
// times more with event, and stops it and the bootstrap.
func (r RIE) Run(ctx context.Context, bootstrap string, env []string, event []byte, warm int) (RIESample, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	p, err := r.Emulator.Start(ctx, bootstrap, env)
	if err != nil {
		return RIESample{}, err
	}
	defer p.Stop()

	var s RIESample
	var warmTimes []time.Duration
	for i := range warm + 1 {
		start := time.Now()
		inv, err := p.Invoke(ctx, event)
		took := time.Since(start)
		if err != nil {
			return s, fmt.Errorf("invoke %d: %w", i+1, err)
		}
		if inv.FunctionError != "" {
			return s, fmt.Errorf("invoke %d: the function failed (%s): %s\n%s", i+1, inv.FunctionError, inv.Payload, p.LogTail(20))
		}
		if i == 0 {
			s.FirstInvoke, s.Response = took, inv.Payload
			continue
		}
		warmTimes = append(warmTimes, took)
	}
	s.WarmInvoke = Median(warmTimes)
	if s.InitReported, err = p.InitReported(); err != nil {
		return s, err
	}
	s.PeakRSS, _ = p.BootstrapPeakRSS()
	return s, nil
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
