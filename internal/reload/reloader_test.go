package reload_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/reload"
	"github.com/verdicthq/verdict/internal/syncbuf"
)

const goodPolicy = `name: checkout
default: allow
on_error: review
rules:
  - id: high-risk
    when: risk_score >= 80
    action: deny
`

// newReloader is a Reloader of a fresh folder holding files, logging into
// the returned buffer.
func newReloader(t *testing.T, files map[string]string, opts reload.Options) (*reload.Reloader, *syncbuf.Buffer, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncbuf.Buffer{}
	opts.Dir, opts.Logger = dir, zerolog.New(logs)
	if opts.Live == nil {
		opts.Live = &engine.Live{}
	}
	return reload.New(opts), logs, dir
}

// logLines decodes every JSON log line.
func logLines(t *testing.T, logs *syncbuf.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestReloadLogsPolicyVersionsAsFields: each loaded policy is a line with
// policy_name and policy_version fields; no field is named after a policy.
func TestReloadLogsPolicyVersionsAsFields(t *testing.T) {
	shadow := strings.Replace(goodPolicy, "name: checkout", "name: checkout-next\nmode: shadow\nmatch: { tags: [web] }", 1)
	r, logs, _ := newReloader(t, map[string]string{"checkout.yaml": goodPolicy, "next.yaml": shadow}, reload.Options{})
	set, err := r.Reload(context.Background(), reload.TriggerStart)
	if err != nil {
		t.Fatalf("Reload: %v", err)
	}
	want := map[string]string{}
	for _, p := range set.Policies() {
		want[p.Name] = p.Version
	}
	got := map[string]string{}
	for _, line := range logLines(t, logs) {
		for k := range line {
			if strings.HasPrefix(k, "policy.") || want[k] != "" {
				t.Errorf("log field %q is named after a policy: %v", k, line)
			}
		}
		if name, ok := line["policy_name"].(string); ok {
			got[name], _ = line["policy_version"].(string)
		}
	}
	if len(got) != 2 || got["checkout"] != want["checkout"] || got["checkout-next"] != want["checkout-next"] {
		t.Fatalf("logged versions %v, want %v", got, want)
	}
}

// TestReloadWaitsOnlyAsLongAsItsContext: while one reload is stuck in its
// load, another gives up when its context ends, and loads nothing.
func TestReloadWaitsOnlyAsLongAsItsContext(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var calls int
	r, _, _ := newReloader(t, map[string]string{"checkout.yaml": goodPolicy}, reload.Options{
		Load: func(dir string) (*engine.Set, error) {
			calls++
			if calls == 1 {
				close(entered)
				<-release
			}
			return engine.LoadDir(dir)
		},
	})
	first := make(chan error, 1)
	go func() {
		_, err := r.Reload(context.Background(), reload.TriggerSIGHUP)
		first <- err
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.Reload(ctx, reload.TriggerAPI); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second reload: %v, want a deadline error", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first reload: %v", err)
	}
	if _, err := r.Reload(context.Background(), reload.TriggerAPI); err != nil {
		t.Fatalf("a reload after the stuck one: %v", err)
	}
	if calls != 2 {
		t.Fatalf("the loader ran %d times, want 2 (the one that gave up must not load)", calls)
	}
}

// TestReloadRejectsBrokenSet: a broken set is an engine.LoadErrors, the live
// set stays, and the event says so.
func TestReloadRejectsBrokenSet(t *testing.T) {
	var events []reload.Event
	live := &engine.Live{}
	r, logs, dir := newReloader(t, map[string]string{"checkout.yaml": goodPolicy}, reload.Options{Live: live, OnReload: func(ev reload.Event) { events = append(events, ev) }})
	first, err := r.Reload(context.Background(), reload.TriggerStart)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "checkout.yaml"), []byte(strings.Replace(goodPolicy, "risk_score", "riskscore", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = r.Reload(context.Background(), reload.TriggerAPI)
	var les engine.LoadErrors
	if !errors.As(err, &les) || !strings.Contains(err.Error(), "riskscore") {
		t.Fatalf("broken reload: %v, want LoadErrors naming riskscore", err)
	}
	if live.Load() != first {
		t.Fatal("a rejected reload changed the live set")
	}
	if len(events) != 2 || events[0].Err != nil || events[0].Set != first || events[1].Err == nil || events[1].Trigger != reload.TriggerAPI {
		t.Fatalf("events %+v", events)
	}
	if !strings.Contains(logs.String(), "policy reload rejected: the previous policy set keeps serving") {
		t.Fatalf("no rejection line in %s", logs.String())
	}
}
