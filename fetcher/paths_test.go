package fetcher_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/internal/hostile"
	"github.com/verdicthq/verdict/report"
)

// TestHostileSessionIDsNeverReachUpstream proves, from the simulator's
// request log, that no session id can make the client request any other
// upstream path: the hostile ones are refused before any request, and the
// valid ones land on exactly /v1/sessions/{id}/report.
func TestHostileSessionIDsNeverReachUpstream(t *testing.T) {
	h := newHarness(t, nil)
	for _, id := range hostile.SessionIDs(t, "../testdata/hostile/session_ids.json") {
		t.Run(id[:min(len(id), 30)], func(t *testing.T) {
			_, err := h.client.Fetch(t.Context(), id)
			if !errors.Is(err, report.ErrInvalidSessionID) {
				t.Errorf("Fetch(%q) = %v, want ErrInvalidSessionID", id, err)
			}
		})
	}
	if reqs := h.srv.Requests(); len(reqs) != 0 {
		t.Fatalf("hostile ids reached the upstream: %+v", reqs)
	}

	valid := []string{"sess-full", "abc123def456", "A_b-9", strings.Repeat("x", report.MaxSessionIDLen)}
	for _, id := range valid {
		_, _ = h.client.Fetch(t.Context(), id)
	}
	reqs := h.srv.Requests()
	if len(reqs) != len(valid) {
		t.Fatalf("upstream requests = %d, want %d", len(reqs), len(valid))
	}
	for i, r := range reqs {
		want := "/v1/sessions/" + valid[i] + "/report"
		if r.Method != "GET" || r.Path != want || r.RawQuery != "" || !r.Auth {
			t.Errorf("request %d = %s %s?%s auth=%v, want GET %s with a bearer key", i, r.Method, r.Path, r.RawQuery, r.Auth, want)
		}
	}
}

// TestBaseURLPrefix: a base URL with a path prefix keeps it.
func TestBaseURLPrefix(t *testing.T) {
	srv := startSim(t)
	c, err := fetcher.New(fetcher.Config{BaseURL: srv.URL() + "/rt/", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Fetch(t.Context(), "sess-full")
	if !errors.Is(err, report.ErrNotFound) { // the simulator has no /rt prefix
		t.Fatalf("Fetch: %v, want ErrNotFound", err)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Path != "/rt/v1/sessions/sess-full/report" {
		t.Errorf("requests = %+v, want one to /rt/v1/sessions/sess-full/report", reqs)
	}
}
