package awssim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/selfheal/selfheal/shared/awssim"
)

// BenchmarkAutoScalingTick measures one reconcile tick of an account with
// 200 settled groups of 6 instances, and a DescribeAutoScalingGroups page
// of 100 of them through the SDK.
func BenchmarkAutoScalingTick(b *testing.B) {
	sim := awssim.New()
	for i := range 200 {
		if err := sim.CreateGroup(region, groupInput(sim, fmt.Sprintf("g-%03d", i), 6, 6, 6, azA, azB, azC)); err != nil {
			b.Fatal(err)
		}
	}
	sim.Settle(time.Hour)
	client := autoscaling.NewFromConfig(sim.Config(region))

	b.Run("tick", func(b *testing.B) {
		for b.Loop() {
			sim.Advance(awssim.DefaultTick)
		}
	})
	b.Run("describe page of 100", func(b *testing.B) {
		for b.Loop() {
			if _, err := client.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(100)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
