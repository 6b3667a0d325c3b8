package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/api"
	"github.com/verdicthq/verdict/internal/testwait"
)

// TestClientGoneStillRecords: a caller that hangs up while its decision is
// being recorded must not abort the write. The decision was made (and its
// Idempotency-Key, when retried, must find it); only the request timeout
// bounds the log, never the caller's connection.
func TestClientGoneStillRecords(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	outcome := make(chan error, 1)
	rec := api.RecorderFunc(func(ctx context.Context, _ *api.DecisionRecord) error {
		close(started)
		select {
		case <-ctx.Done():
			outcome <- ctx.Err()
			return ctx.Err()
		case <-release:
			outcome <- nil
			return nil
		}
	})
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", recorder: rec})
	// A front for the same server that hands the test each request's context:
	// it ends when the server has seen the caller hang up.
	requests := make(chan context.Context, 1)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests <- r.Context()
		h.server.Handler().ServeHTTP(w, r)
	}))
	defer front.Close()

	ctx, hangUp := context.WithCancel(context.Background())
	httpReq, err := http.NewRequestWithContext(ctx, "POST", front.URL+"/v1/decisions", strings.NewReader(`{"session_id":"t-allow"}`))
	if err != nil {
		t.Fatal(err)
	}
	httpReq.Header.Set("Authorization", "Bearer "+keyCheckout)
	httpReq.Header.Set("Content-Type", "application/json")
	sent := make(chan error, 1)
	go func() {
		resp, err := h.client.Do(httpReq)
		if err == nil {
			resp.Body.Close()
		}
		sent <- err
	}()
	select {
	case <-started:
	case <-time.After(testwait.Timeout):
		t.Fatal("the decision never reached the log")
	}
	hangUp()
	if err := <-sent; err == nil {
		t.Fatal("the request finished although the caller hung up")
	}
	// Let the write finish only once the server has seen the hang-up: a write
	// tied to the request's context would have been cancelled by then.
	<-(<-requests).Done()
	close(release)
	if err := <-outcome; err != nil {
		t.Fatalf("the decision log write was cut off when the caller hung up: %v", err)
	}
}
