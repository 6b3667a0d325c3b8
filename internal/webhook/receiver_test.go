package webhook_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/webhook"
)

// TestDocsReceiver runs the receiver of docs/webhooks.md against the real
// deliverer, then against a replay and forgeries.
func TestDocsReceiver(t *testing.T) {
	var mu sync.Mutex
	var handled []string
	rc := &Receiver{Secret: secret, Tolerance: 5 * time.Minute, Handle: func(typ, id string) {
		mu.Lock()
		handled = append(handled, typ)
		mu.Unlock()
	}}
	var statuses []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, r)
		mu.Lock()
		statuses = append(statuses, rec.Code)
		mu.Unlock()
		w.WriteHeader(rec.Code)
	}))
	defer srv.Close()

	s := newSetup(t)
	d := s.deliverer(t, endpoint(srv.URL))
	audittest.MustAppend(t, s.store, deny(0))
	runOnce(t, d)
	if len(handled) != 1 || handled[0] != audit.EventDecisionDenied || statuses[0] != http.StatusNoContent {
		t.Fatalf("handled %v, statuses %v", handled, statuses)
	}
	if ds := deliveries(t, s.store, audit.DeliveryDelivered); len(ds) != 1 {
		t.Fatalf("not delivered: %+v", deliveries(t, s.store, ""))
	}

	body := []byte(`{"id":"evt-1","type":"decision.denied","decision_id":"d-1"}`)
	post := func(sig string, b []byte) int {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, bytes.NewReader(b))
		req.Header.Set(webhook.SignatureHeader, sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	cases := []struct {
		name string
		sig  string
		body []byte
		want int
	}{
		{"signed now", webhook.Sign(secret, time.Now(), body), body, http.StatusNoContent},
		{"the same event again is acknowledged, not handled twice", webhook.Sign(secret, time.Now(), body), body, http.StatusNoContent},
		{"a replay ten minutes later", webhook.Sign(secret, time.Now().Add(-10*time.Minute), body), body, http.StatusUnauthorized},
		{"another secret", webhook.Sign("not-the-secret-0123", time.Now(), body), body, http.StatusUnauthorized},
		{"a changed body", webhook.Sign(secret, time.Now(), body), bytes.Replace(body, []byte("d-1"), []byte("d-2"), 1), http.StatusUnauthorized},
		{"no signature", "", body, http.StatusUnauthorized},
	}
	for _, c := range cases {
		if got := post(c.sig, c.body); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if len(handled) != 2 {
		t.Fatalf("handled %v: want the delivered event and evt-1 once", handled)
	}
	// The package's own Verify agrees.
	sig := webhook.Sign(secret, time.Now(), body)
	if err := webhook.Verify(sig, secret, body, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := webhook.Verify(sig, secret, body, time.Now().Add(time.Hour), time.Minute); err == nil {
		t.Fatal("a stale signature verified")
	}
}

// TestDocsShowTheReceiver: docs/webhooks.md shows the tested receiver
// exactly.
func TestDocsShowTheReceiver(t *testing.T) {
	src, err := os.ReadFile("receiver_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(src), "// receiver begins\n")
	code, _, ok := strings.Cut(after, "// receiver ends")
	if !ok || len(code) < 500 {
		t.Fatal("markers not found")
	}
	doc, err := os.ReadFile("../../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), strings.TrimSpace(code)) {
		t.Fatal("docs/webhooks.md does not show the receiver of webhook/receiver_example_test.go: copy it again")
	}
}
