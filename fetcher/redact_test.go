package fetcher

import (
	"strings"
	"testing"
)

// TestRedactPartialKey: an error body that echoes the key twice, the second
// time cut off by the read, must not show any part of the key once the
// first occurrence is replaced by a shorter placeholder and the text cut.
func TestRedactPartialKey(t *testing.T) {
	key := "sk-" + strings.Repeat("0123456789abcdef", 4)
	c := &Client{cfg: Config{APIKey: key}}
	for _, second := range []int{snippetLen, snippetLen + 1, snippetLen + 7, snippetLen + len(key) - 1} {
		body := key + strings.Repeat("x", second-len(key)) + key + " trailer"
		got := c.redact(drain(strings.NewReader(body), snippetLen+len(key)))
		for n := 6; n <= len(key); n++ {
			if strings.Contains(got, key[:n]) {
				t.Fatalf("second key at %d: %d bytes of the key survive: %s", second, n, got)
			}
		}
	}
}
