package reload_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/reload"
)

// TestPrepareBeforeSwap: Prepare sees the new set before it goes live, and
// an error from it rejects the set as a load error does.
func TestPrepareBeforeSwap(t *testing.T) {
	live := &engine.Live{}
	refuse := false
	var seenLive *engine.Set
	prepare := func(_ context.Context, set *engine.Set) error {
		seenLive = live.Load() // the set Prepare readies is not live yet
		if seenLive == set {
			t.Error("Prepare ran after the set went live")
		}
		if refuse {
			return errors.New("counters over budget")
		}
		return nil
	}
	r, logs, _ := newReloader(t, map[string]string{"checkout.yaml": goodPolicy}, reload.Options{Live: live, Prepare: prepare})
	first, err := r.Reload(context.Background(), reload.TriggerStart)
	if err != nil || live.Load() != first {
		t.Fatalf("start: %v", err)
	}
	refuse = true
	if _, err := r.Reload(context.Background(), reload.TriggerAPI); err == nil || live.Load() != first {
		t.Fatalf("a set Prepare refused: err %v, live changed %v", err, live.Load() != first)
	}
	if !strings.Contains(logs.String(), "counters over budget") {
		t.Errorf("the refusal is not logged: %s", logs.String())
	}
}
