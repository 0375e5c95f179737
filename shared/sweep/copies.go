package sweep

import (
	"context"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/state"
)

// overdueCopies finds the expected cross-region copies still open past
// their deadline (recorded by backup-compliance when a backup completed)
// and marks each overdue. Marking is a conditional write: a copy is
// reported by the run that marked it and never again, and a copy that
// landed meanwhile (closed by its copy job's event) is not reported at
// all.
func (s *Processor) overdueCopies(ctx context.Context, b *budget, led *ledger) []state.ExpectedCopy {
	open, err := s.store.OverdueCopies(ctx)
	if err != nil {
		led.unlisted(s.home(), partCopies, err)
		return nil
	}
	var out []state.ExpectedCopy
	for _, c := range open {
		region := orRegion(compliance.RegionOf(c.SourceRecoveryPointARN), s.home())
		if b.auditOver() {
			led.missed(region, partCopies, c.SourceRecoveryPointARN, errOutOfTime)
			continue
		}
		marked, err := s.store.MarkCopyOverdue(ctx, c.SourceRecoveryPointARN, c.DestinationVaultARN)
		switch {
		case err != nil:
			led.missed(region, partCopies, c.SourceRecoveryPointARN, err)
		case marked:
			c.Status = state.CopyOverdue
			out = append(out, c)
			led.saw(region, partCopies, 1)
		}
	}
	return out
}

// home is the region the function runs in, whose state table it reads.
func (s *Processor) home() string { return s.homeRegion }

func orRegion(r, fallback string) string {
	if r == "" {
		return fallback
	}
	return r
}
