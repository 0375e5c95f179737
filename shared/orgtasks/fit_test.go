package orgtasks

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/selfheal/selfheal/shared/orgsweep"
)

// A run carries as many items as fit Step Functions' payload with room to
// spare; the rest are named missing, never dropped.
func TestFitKeepsTheItemsWithinThePayload(t *testing.T) {
	for _, n := range []int{0, 100, 5000, 6000, 20000} {
		items := make([]Item, n)
		for i := range items {
			items[i] = Item{Account: fmt.Sprintf("%012d", i), Region: "ap-southeast-2"}
		}
		kept, missing := fit(items, nil)
		if len(kept)+len(missing) != n {
			t.Errorf("%d items: kept %d + missing %d", n, len(kept), len(missing))
		}
		state, _ := json.Marshal(map[string]any{"run": "a-run-name-of-eighty-characters-0000000000000000000000000000000000000000000000", "items": kept,
			"listError": map[string]string{"Error": "x", "Cause": string(make([]byte, 1000))}, "mapError": nil})
		if len(state) > orgsweep.PayloadLimit {
			t.Errorf("%d items: the state with %d kept is %d bytes, over the limit", n, len(kept), len(state))
		}
		if len(missing) > 0 && len(state) < orgsweep.PayloadLimit*9/10 {
			t.Errorf("%d items: only %d kept (%d bytes) while %d are left out", n, len(kept), len(state), len(missing))
		}
	}
}
