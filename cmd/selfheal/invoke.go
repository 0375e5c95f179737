package main

import (
	"context"
	"io"
)

func invoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return exitUsage
}
