package awssim

type sqsState struct {
	s *Sim
}

func newSQSState(s *Sim) *sqsState { return &sqsState{s: s} }

func (s *Sim) registerSQS() {}

func (x *sqsState) reconcile() {}

func (x *sqsState) busy() bool { return false }
