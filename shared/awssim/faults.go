package awssim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"time"
)

// Fault makes matching call attempts fail or take longer.
type Fault struct {
	// Service (SDK service id, e.g. ServiceBackup), Operation and Region to
	// match; empty matches all.
	Service   string
	Operation string
	Region    string
	// Code is the error code to answer with, e.g. "ThrottlingException",
	// "InternalFailure", "ServiceUnavailable", "AccessDenied". Empty injects
	// latency only.
	Code string
	// Count fails exactly this many matching attempts, then the fault is
	// spent. When zero, Probability (0–1) is drawn for each attempt from the
	// sim's seed and the attempt itself (see draw), so the same calls meet
	// the same faults however concurrent reads interleave.
	Count       int
	Probability float64
	// Latency is added to the sim clock for each matching attempt.
	Latency time.Duration
	// Input, when set, narrows the fault to the attempts whose typed input
	// (e.g. *dynamodb.UpdateItemInput) it accepts: one kind of write among
	// many of the same operation.
	Input func(in any) bool
}

type faultRule struct {
	Fault
	fired int
	draws map[uint64]int // call identity → attempts drawn for so far
}

// InjectFault adds a fault; the returned function removes it.
func (s *Sim) InjectFault(f Fault) (remove func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rule := &faultRule{Fault: f}
	s.faults = append(s.faults, rule)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, r := range s.faults {
			if r == rule {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

// ClearFaults removes every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Sim) applyFaultsLocked(c *Call) error {
	var input []byte // c's input as JSON, encoded once for the rules that draw
	for i, f := range s.faults {
		if (f.Service != "" && f.Service != c.Service) ||
			(f.Operation != "" && f.Operation != c.Operation) ||
			(f.Region != "" && f.Region != c.Region) ||
			(f.Input != nil && !f.Input(c.Input)) {
			continue
		}
		s.now = s.now.Add(f.Latency)
		if f.Code == "" {
			continue
		}
		if f.Count > 0 {
			if f.fired >= f.Count {
				continue
			}
		} else {
			if input == nil {
				input = inputIdentity(c)
			}
			if s.draw(f, i, c, input) >= f.Probability {
				continue
			}
		}
		f.fired++
		return faultError(f.Code, c)
	}
	return nil
}

// draw is a number in [0, 1) for one attempt of a call under fault rule i:
// a hash of the seed, the rule, the call's identity (service, operation,
// region, input) and how many attempts of that identity the rule drew for
// before. A shared generator drawn in call order would make a run depend
// on how goroutines interleave (the sweep reads concurrently); this makes
// it depend only on the calls made. (Calls whose input carries a time read
// from the shared clock, which concurrent calls advance in scheduling
// order, can still differ from run to run.)
func (s *Sim) draw(f *faultRule, i int, c *Call, input []byte) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%d\x00%s\x00%s\x00%s\x00%s\x00", s.seed, i, s.accountID, c.Service, c.Operation, c.Region)
	h.Write(input)
	id := h.Sum64()
	if f.draws == nil {
		f.draws = map[uint64]int{}
	}
	n := f.draws[id]
	f.draws[id]++
	return unitFloat(splitmix(id + uint64(n)*0x9e3779b97f4a7c15))
}

// inputIdentity is the call's input as draw hashes it: its JSON, or its
// type when it has none.
func inputIdentity(c *Call) []byte {
	input, err := json.Marshal(c.Input)
	if err != nil {
		return []byte(fmt.Sprintf("%T", c.Input))
	}
	return input
}

// splitmix is SplitMix64's finalizer: consecutive inputs give independent
// looking outputs.
func splitmix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// unitFloat maps the 53 high bits of x to [0, 1).
func unitFloat(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// faultError is the error AWS sends for code, with the HTTP status AWS uses
// for it: throttling is 400 (EC2's RequestLimitExceeded 503, and 429 for
// TooManyRequestsException), server faults 500/503, access denied 403.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
func faultError(code string, c *Call) error {
	status := http.StatusBadRequest
	switch code {
	case "InternalFailure", "InternalServerError", "InternalError", "InternalErrorException", "ServiceException":
		status = http.StatusInternalServerError
	case "ServiceUnavailable", "ServiceUnavailableException", "RequestLimitExceeded":
		status = http.StatusServiceUnavailable
	case "TooManyRequestsException":
		status = http.StatusTooManyRequests
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		status = http.StatusForbidden
	}
	return apiError(status, code, fmt.Sprintf("simulated %s on %s %s", code, c.Service, c.Operation))
}

// throttleCode is the code each service uses when it throttles a caller.
func throttleCode(service string) string {
	switch service {
	case ServiceEC2:
		return "RequestLimitExceeded"
	case ServiceAutoScaling, ServiceRDS, ServiceCloudWatch, ServiceSNS:
		return "Throttling"
	case ServiceSQS:
		return "RequestThrottled"
	}
	return "ThrottlingException"
}

// tokenBucket is a rate limit on the sim clock.
type tokenBucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

// SetRateLimit throttles an operation (or, with operation "", every
// operation of the service, each with its own bucket) to perSecond calls
// with a burst, measured on the sim clock, as AWS's per-account API rate
// limits do.
func (s *Sim) SetRateLimit(service, operation string, perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits[opKey{service, operation}] = &tokenBucket{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: s.now}
}

func (s *Sim) takeTokenLocked(key opKey) error {
	b := s.limits[key]
	if b == nil {
		shared := s.limits[opKey{key.service, ""}]
		if shared == nil {
			return nil
		}
		// Each operation of a rate-limited service gets its own bucket.
		b = &tokenBucket{rate: shared.rate, burst: shared.burst, tokens: shared.burst, last: s.now}
		s.limits[key] = b
	}
	b.tokens = min(b.burst, b.tokens+s.now.Sub(b.last).Seconds()*b.rate)
	b.last = s.now
	if b.tokens < 1 {
		return faultError(throttleCode(key.service), &Call{Service: key.service, Operation: key.operation})
	}
	b.tokens--
	return nil
}
