package roundtabletest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// loadDir indexes the top-level *.json files of dir by the session_id inside
// each, or by the file name without .json when the file has none or is not
// JSON (with a warning). Sub-folders are not read.
func (s *Server) loadDir(dir string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return fmt.Errorf("roundtabletest: list reports in %s: %w", dir, err)
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("roundtabletest: reports folder: %w", err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("roundtabletest: read report %s: %w", p, err)
		}
		id := sessionIDOf(body)
		if id == "" {
			id = strings.TrimSuffix(filepath.Base(p), ".json")
			s.opts.Logger.Warn().Str("file", p).Str("session_id", id).
				Msg("report has no readable session_id; serving it under its file name")
		}
		if _, dup := s.reports[id]; dup {
			s.opts.Logger.Warn().Str("file", p).Str("session_id", id).Msg("duplicate session_id; the later file wins")
		}
		s.reports[id] = body
	}
	return nil
}

// sessionIDOf returns the session_id string inside a report body, or "".
func sessionIDOf(body []byte) string {
	var head struct {
		SessionID any `json:"session_id"`
	}
	if json.Unmarshal(body, &head) != nil {
		return ""
	}
	id, _ := head.SessionID.(string)
	return id
}

// SetReport serves body as the report of sessionID from now on, as when
// Roundtable's score moves during a live session. The body is served as
// given, valid or not.
func (s *Server) SetReport(sessionID string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports[sessionID] = append([]byte(nil), body...)
}

// DeleteReport makes sessionID answer 404 from now on.
func (s *Server) DeleteReport(sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.reports, sessionID)
}

// Report returns the body served for sessionID, if any.
func (s *Server) Report(sessionID string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.reports[sessionID]
	return append([]byte(nil), b...), ok
}

// SessionIDs returns the sessions served, sorted.
func (s *Server) SessionIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.reports))
	for id := range s.reports {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// synthesize is the report Options.Synthesize serves for a session the
// folder lacks: valid, low to middling risk, the same for the same id.
func synthesize(id string) []byte {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	idJSON, _ := json.Marshal(id) // a string always marshals
	return fmt.Appendf(nil, `{"session_id":%s,"user_id":"user-%08x","tags":["checkout-flow"],"risk_score":%d,`+
		`"risk_explanation":"Synthesized by the Roundtable simulator.","recommended_action":"Auto-accept",`+
		`"biometric_checks":{"agent_behavior":"Not detected","programmatic_typing":"Not detected","teleporting_mouse":"Not detected",`+
		`"no_corrections":"Not detected","all_pasted":"Not detected","jump_scrolling":"Not detected","centered_clicks":"Not detected",`+
		`"programmatic_clicking":"Not detected","external_input":"Not detected"},`+
		`"device_checks":{"bot":"Not detected","virtual_machine":"Not detected","software_renderer":"Not detected","vpn":"Not detected",`+
		`"tor":"Not detected","location_spoofing":"Not detected"}}`, idJSON, h.Sum32(), h.Sum32()%60)
}
