package main

import (
	"bufio"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// logWriter buffers log lines and writes them in batches: every interval,
// when the buffer fills, at once for warnings and errors, and on Close. At
// tens of thousands of requests per second this turns one write system call
// per access-log line into a few per interval. A crash can lose at most
// interval's worth of info lines; the decision log, not this one, is the
// durable record.
type logWriter struct {
	mu   sync.Mutex
	bw   *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

var _ zerolog.LevelWriter = (*logWriter)(nil)

func newLogWriter(w io.Writer, interval time.Duration) *logWriter {
	lw := &logWriter{bw: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(lw.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				lw.flush()
			case <-lw.stop:
				lw.flush()
				return
			}
		}
	}()
	return lw
}

// Write buffers p (one log line).
func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.bw.Write(p)
}

// WriteLevel buffers p and flushes at once for warnings and above, so
// they are never held back.
func (lw *logWriter) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	n, err := lw.bw.Write(p)
	if err == nil && l >= zerolog.WarnLevel && l != zerolog.NoLevel {
		err = lw.bw.Flush()
	}
	return n, err
}

func (lw *logWriter) flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	_ = lw.bw.Flush()
}

// Close flushes what is buffered and stops the flusher.
func (lw *logWriter) Close() error {
	close(lw.stop)
	<-lw.done
	return nil
}
