package awssim

type backupState struct {
	s *Sim
}

func newBackupState(s *Sim) *backupState { return &backupState{s: s} }

func (s *Sim) registerBackup() {}

func (x *backupState) reconcile() {}

func (x *backupState) busy() bool { return false }
