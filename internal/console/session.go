package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"slices"
	"sync"
	"time"
)

// IdleTimeout is how long a session lives without a request.
const IdleTimeout = 8 * time.Hour

// maxSessions bounds the sessions kept at once; signing in past it first
// drops expired sessions, then the one idle longest.
const maxSessions = 10000

// Identity is who a session acts as: the API key's id and scopes, never the
// key itself.
type Identity struct {
	KeyID  string
	Scopes []string
}

// Has reports whether the identity holds scope.
func (id Identity) Has(scope string) bool { return slices.Contains(id.Scopes, scope) }

// HasAny reports whether the identity holds one of scopes.
func (id Identity) HasAny(scopes ...string) bool {
	for _, s := range scopes {
		if id.Has(s) {
			return true
		}
	}
	return false
}

// session is one signed-in browser.
type session struct {
	Identity
	csrf     string    // the token every state-changing form carries
	lastSeen time.Time // for the idle expiry
}

// sessions maps session ids to sessions. The map is keyed by the SHA-256 of
// the id, so the ids themselves (the cookie values) are not kept in memory.
type sessions struct {
	mu   sync.Mutex
	m    map[[sha256.Size]byte]*session
	idle time.Duration
	now  func() time.Time
}

func newSessions(idle time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[[sha256.Size]byte]*session{}, idle: idle, now: now}
}

// randomToken returns 32 random bytes, base64url.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for id and returns its session id.
func (s *sessions) create(id Identity) (string, *session) {
	sid := randomToken()
	sess := &session{Identity: id, csrf: randomToken(), lastSeen: s.now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxSessions {
		s.sweepLocked()
	}
	s.m[sha256.Sum256([]byte(sid))] = sess
	return sid, sess
}

// sweepLocked drops expired sessions and, when still full, the idlest one.
func (s *sessions) sweepLocked() {
	now := s.now()
	var oldestKey [sha256.Size]byte
	var oldest *session
	for k, v := range s.m {
		if now.Sub(v.lastSeen) >= s.idle {
			delete(s.m, k)
			continue
		}
		if oldest == nil || v.lastSeen.Before(oldest.lastSeen) {
			oldest, oldestKey = v, k
		}
	}
	if len(s.m) >= maxSessions && oldest != nil {
		delete(s.m, oldestKey)
	}
}

// get returns the live session of sid and marks it seen, or nil when there
// is none or it has been idle too long (it is then dropped).
func (s *sessions) get(sid string) *session {
	if sid == "" {
		return nil
	}
	k := sha256.Sum256([]byte(sid))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[k]
	if sess == nil {
		return nil
	}
	if now.Sub(sess.lastSeen) >= s.idle {
		delete(s.m, k)
		return nil
	}
	sess.lastSeen = now
	return sess
}

// end drops the session of sid.
func (s *sessions) end(sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sha256.Sum256([]byte(sid)))
}

// len is how many sessions are kept (expired ones not yet dropped included).
func (s *sessions) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// tokensEqual compares two tokens in constant time; empty never matches.
func tokensEqual(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
