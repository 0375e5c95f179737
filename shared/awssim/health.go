package awssim

type healthState struct {
	s *Sim
}

func newHealthState(s *Sim) *healthState { return &healthState{s: s} }

func (s *Sim) registerHealth() {}

func (x *healthState) reconcile() {}

func (x *healthState) busy() bool { return false }
