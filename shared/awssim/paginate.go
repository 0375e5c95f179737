package awssim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// page cuts one page out of items the way AWS list operations do: up to
// maxResults (defaultMax when unset, capped at hardMax) starting at the
// position an earlier NextToken named. The token is opaque to callers; a
// token the sim did not issue is refused with invalidCode.
func page[T any](items []T, maxResults *int32, token *string, defaultMax, hardMax int, invalidCode string) ([]T, *string, error) {
	limit := defaultMax
	if maxResults != nil && *maxResults > 0 {
		limit = min(int(*maxResults), hardMax)
	}
	start := 0
	if token != nil && *token != "" {
		n, ok := strings.CutPrefix(*token, "simpage-")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || v < 0 || v > len(items) {
			return nil, nil, apiError(http.StatusBadRequest, invalidCode, fmt.Sprintf("The pagination token %q is invalid", *token))
		}
		start = v
	}
	end := min(start+limit, len(items))
	var next *string
	if end < len(items) {
		t := "simpage-" + strconv.Itoa(end)
		next = &t
	}
	return items[start:end], next, nil
}
