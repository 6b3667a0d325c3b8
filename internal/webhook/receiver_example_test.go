package webhook_test

// The receiver below is the one docs/webhooks.md shows, byte for byte
// between the markers (TestDocsShowTheReceiver checks): a checkout's side,
// standard library only.

// receiver begins
import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Receiver verifies verdict's webhooks: the signature, the timestamp (a
// request older than Tolerance is refused, so a captured one cannot be
// replayed), and the event id (delivery is at least once: a repeat is
// acknowledged and skipped).
type Receiver struct {
	Secret    string
	Tolerance time.Duration // e.g. 5 * time.Minute
	Handle    func(eventType, decisionID string)

	mu   sync.Mutex
	seen map[string]bool // event ids handled (keep them in your database)
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if !rc.signed(r.Header.Get("Verdict-Signature"), body) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		DecisionID string `json:"decision_id"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	repeat := rc.seen[ev.ID]
	if rc.seen == nil {
		rc.seen = map[string]bool{}
	}
	rc.seen[ev.ID] = true
	rc.mu.Unlock()
	if !repeat {
		rc.Handle(ev.Type, ev.DecisionID)
	}
	w.WriteHeader(http.StatusNoContent) // any 2xx: delivered
}

// signed checks "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func (rc *Receiver) signed(header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(part, "t="); ok {
			ts = v
		} else if v, ok := strings.CutPrefix(part, "v1="); ok {
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if age := time.Since(time.Unix(sec, 0)); age > rc.Tolerance || age < -rc.Tolerance {
		return false // too old (a replay) or from the future
	}
	m := hmac.New(sha256.New, []byte(rc.Secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil))))
}

// receiver ends
