package awssim

type cloudwatchState struct {
	s *Sim
}

func newCloudWatchState(s *Sim) *cloudwatchState { return &cloudwatchState{s: s} }

func (s *Sim) registerCloudWatch() {}

func (x *cloudwatchState) reconcile() {}

func (x *cloudwatchState) busy() bool { return false }
