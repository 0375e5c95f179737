package awssim

type asgState struct {
	s *Sim
}

func newASGState(s *Sim) *asgState { return &asgState{s: s} }

func (s *Sim) registerAutoScaling() {}

func (x *asgState) reconcile() {}

func (x *asgState) busy() bool { return false }
