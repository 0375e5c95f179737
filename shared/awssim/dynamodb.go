package awssim

type dynamoState struct {
	s *Sim
}

func newDynamoState(s *Sim) *dynamoState { return &dynamoState{s: s} }

func (s *Sim) registerDynamoDB() {}

func (x *dynamoState) reconcile() {}

func (x *dynamoState) busy() bool { return false }
