package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogWriter(t *testing.T) {
	out := &lockedBuilder{}
	lw := newLogWriter(out, time.Hour) // only explicit flushes in this test
	log := zerolog.New(lw)
	log.Info().Msg("held back")
	if out.String() != "" {
		t.Fatalf("info line written at once: %q", out.String())
	}
	log.Warn().Msg("urgent")
	if s := out.String(); !strings.Contains(s, "held back") || !strings.Contains(s, "urgent") {
		t.Fatalf("a warning did not flush the buffer: %q", s)
	}
	log.Info().Msg("last words")
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "last words") {
		t.Fatalf("Close did not flush: %q", out.String())
	}
}
