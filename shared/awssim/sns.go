package awssim

type snsState struct {
	s *Sim
}

func newSNSState(s *Sim) *snsState { return &snsState{s: s} }

func (s *Sim) registerSNS() {}

func (x *snsState) reconcile() {}

func (x *snsState) busy() bool { return false }
