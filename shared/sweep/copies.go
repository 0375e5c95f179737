package sweep

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"

	"github.com/selfheal/selfheal/shared/compliance"
	"github.com/selfheal/selfheal/shared/state"
)

// outstandingCopies finds the expected cross-region copies (recorded by
// backup-compliance when a backup completed) still missing past their
// deadline, and returns each as this run sees it. Every run reports them,
// the dedupe saying so once a window and the digest counting them open,
// until they land: a copy job that completed into the expected vault
// closes the copy (the event path does on its event; the sweep asks AWS
// Backup too, in case that event was missed: one ListCopyJobs per missing
// copy), and its finding then passes and resolves. An open copy first
// found past its deadline is marked overdue (a conditional write), and one
// closed meanwhile is left to the event path, which reported it.
func (s *Processor) outstandingCopies(ctx context.Context, b *budget, led *ledger) []state.ExpectedCopy {
	list, err := s.store.OutstandingCopies(ctx)
	if err != nil {
		led.unlisted(s.home(), partCopies, err)
		return nil
	}
	var (
		mu  sync.Mutex
		out []state.ExpectedCopy
	)
	each(max(s.policy.Sweep.Concurrency, 1), list, func(c state.ExpectedCopy) {
		region := orRegion(compliance.RegionOf(c.SourceRecoveryPointARN), s.home())
		if b.auditOver() {
			led.missed(region, partCopies, c.SourceRecoveryPointARN, errOutOfTime)
			return
		}
		c, ok, err := s.settleCopy(ctx, region, c)
		if err != nil {
			led.missed(region, partCopies, c.SourceRecoveryPointARN, err)
			return
		}
		led.saw(region, partCopies, 1)
		if ok {
			mu.Lock()
			out = append(out, c)
			mu.Unlock()
		}
	})
	return out
}

// settleCopy brings one missing copy up to date: closed if AWS Backup
// shows a completed copy job for it, else overdue. ok is false when the
// copy was closed meanwhile by its event (nothing for the sweep to say).
func (s *Processor) settleCopy(ctx context.Context, region string, c state.ExpectedCopy) (state.ExpectedCopy, bool, error) {
	job, err := s.completedCopyJob(ctx, region, c)
	if err != nil {
		return c, false, err
	}
	if job != nil {
		_, changed, err := s.store.CloseCopy(ctx, c.SourceRecoveryPointARN, c.DestinationVaultARN, state.CopyCompleted,
			aws.ToString(job.CopyJobId), aws.ToString(job.DestinationRecoveryPointArn))
		if err != nil || !changed {
			return c, false, err
		}
		c.Status, c.CopyJobID, c.DestinationRecoveryPoint = state.CopyCompleted, aws.ToString(job.CopyJobId), aws.ToString(job.DestinationRecoveryPointArn)
		return c, true, nil
	}
	if c.Status == state.CopyOpen {
		marked, err := s.store.MarkCopyOverdue(ctx, c.SourceRecoveryPointARN, c.DestinationVaultARN)
		if err != nil || !marked {
			return c, false, err
		}
		c.Status = state.CopyOverdue
	}
	return c, true, nil
}

// completedCopyJob is a completed copy job of the copy's source recovery
// point into its expected vault, if AWS Backup lists one. Copy jobs are
// listed in their source region.
// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListCopyJobs.html
func (s *Processor) completedCopyJob(ctx context.Context, region string, c state.ExpectedCopy) (*backuptypes.CopyJob, error) {
	p := backup.NewListCopyJobsPaginator(s.backup.For(region), &backup.ListCopyJobsInput{
		BySourceRecoveryPointArn: aws.String(c.SourceRecoveryPointARN),
		ByDestinationVaultArn:    aws.String(c.DestinationVaultARN),
		ByState:                  backuptypes.CopyJobStateCompleted,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		if len(page.CopyJobs) > 0 {
			return &page.CopyJobs[0], nil
		}
	}
	return nil, nil
}

// home is the region the function runs in, whose state table it reads.
func (s *Processor) home() string { return s.homeRegion }

func orRegion(r, fallback string) string {
	if r == "" {
		return fallback
	}
	return r
}
