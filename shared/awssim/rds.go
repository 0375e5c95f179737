package awssim

type rdsState struct {
	s *Sim
}

func newRDSState(s *Sim) *rdsState { return &rdsState{s: s} }

func (s *Sim) registerRDS() {}

func (x *rdsState) reconcile() {}

func (x *rdsState) busy() bool { return false }
