package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/internal/syncbuf"
	"github.com/verdicthq/verdict/internal/testwait"
)

func TestSimFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"help", []string{"--help"}, 0, "--reports", ""},
		{"help lists every flag", []string{"-h"}, 0, "-latency", ""},
		{"unknown flag", []string{"--nope"}, 2, "", "unknown flag --nope"},
		{"stray argument", []string{"extra"}, 2, "", `unexpected argument "extra"`},
		{"bad latency", []string{"--latency", "soon"}, 2, "", "invalid value"},
		{"negative latency", []string{"--latency", "-1s"}, 2, "", "must not be negative"},
		{"missing folder", []string{"--reports", "no/such/dir", "--addr", "127.0.0.1:0"}, 1, "", "reports folder"},
		{"bad address", []string{"--reports", "../../report/testdata/reports", "--addr", "127.0.0.1:x"}, 1, "", "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runSim(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr: %s)", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.wantOut)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestSimServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runSim(ctx, []string{"--reports", "../../report/testdata/reports", "--addr", "127.0.0.1:0",
			"--api-key", "sk-cli-test", "--latency", "1ms"}, &stdout, &stderr)
	}()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	var base string
	if !testwait.For(testwait.Timeout, func() bool { base = urlRE.FindString(stdout.String()); return base != "" }) {
		t.Fatalf("no URL announced; stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "5 sessions") || strings.Contains(stdout.String(), "sk-cli-test") {
		t.Errorf("announcement %q", stdout.String())
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	for _, tc := range []struct {
		key  string
		want int
	}{{"sk-cli-test", 200}, {"", 401}} {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/sessions/sess-full/report", nil)
		if tc.key != "" {
			req.Header.Set("Authorization", "Bearer "+tc.key)
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("key %q: status %d, want %d", tc.key, resp.StatusCode, tc.want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after stop, want 0 (stderr %s)", code, stderr.String())
		}
	case <-time.After(testwait.Timeout):
		t.Fatal("sim did not stop")
	}
}
