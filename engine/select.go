package engine

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Set is an immutable, compiled set of policies, one per file of a folder.
// A session's live policy is the live policy matching one of its tags, else
// the default (the live policy without match); its shadow policy likewise
// among shadow policies (a shadow default is optional).
type Set struct {
	policies      []*Policy
	loadedAt      time.Time
	live, shadow  map[string]*Policy // by tag
	liveDefault   *Policy
	shadowDefault *Policy
	lists         []ListDecl    // union over the policies, in name order
	counters      []CounterDecl // union over the policies, in name order
}

// index builds the tag maps and returns the set-level errors.
func (s *Set) index(dir string) LoadErrors {
	var errs LoadErrors
	byName := map[string]*Policy{}
	for _, p := range s.policies {
		if p.name == "" {
			continue
		}
		if q := byName[p.name]; q != nil {
			errs = append(errs, &LoadError{File: p.file, Line: p.nameLine, Col: 1, Code: CodeDuplicate,
				Message: fmt.Sprintf("policy name %q is also used by %s", p.name, q.file)})
			continue
		}
		byName[p.name] = p
		tags, def := s.live, &s.liveDefault
		if p.mode == ModeShadow {
			tags, def = s.shadow, &s.shadowDefault
		}
		if len(p.matchTags) == 0 {
			if *def != nil {
				errs = append(errs, &LoadError{File: p.file, Line: p.nameLine, Col: 1, Code: CodeDefault,
					Message: fmt.Sprintf("two %s default policies (without match): %q and %q (%s); give one of them match.tags", p.mode, (*def).name, p.name, (*def).file)})
				continue
			}
			*def = p
			continue
		}
		for _, t := range p.matchTags {
			if q := tags[t]; q != nil && q != p {
				errs = append(errs, &LoadError{File: p.file, Line: p.matchLine, Col: 1, Code: CodeMatch,
					Message: fmt.Sprintf("%s policies %q and %q (%s) both match tag %q", p.mode, q.name, p.name, q.file, t)})
				continue
			}
			tags[t] = p
		}
	}
	errs = append(errs, s.unionMemory()...)
	if s.liveDefault == nil && len(s.policies) > 0 {
		errs = append(errs, &LoadError{File: dir, Code: CodeDefault,
			Message: "no live default policy: exactly one live policy must omit match, to decide sessions no other policy matches"})
	}
	return errs
}

// Select returns the live policy for a session with these tags — the live
// policy matching the first of its tags that any matches, else the default,
// so never nil for a loaded Set — and the shadow policy chosen the same way
// among shadow policies, or nil.
func (s *Set) Select(tags []string) (live, shadow *Policy) {
	live, shadow = s.liveDefault, s.shadowDefault
	foundLive, foundShadow := false, false
	for _, t := range tags {
		if p := s.live[t]; p != nil && !foundLive {
			live, foundLive = p, true
		}
		if p := s.shadow[t]; p != nil && !foundShadow {
			shadow, foundShadow = p, true
		}
	}
	return live, shadow
}

// Policy returns the policy with this name, or nil.
func (s *Set) Policy(name string) *Policy {
	for _, p := range s.policies {
		if p.name == name {
			return p
		}
	}
	return nil
}

// Policies lists the set's policies in file order.
func (s *Set) Policies() []PolicyInfo {
	out := make([]PolicyInfo, len(s.policies))
	for i, p := range s.policies {
		out[i] = p.Info()
	}
	return out
}

// LoadedAt is when the set was compiled.
func (s *Set) LoadedAt() time.Time { return s.loadedAt }

// Live holds the current Set and swaps it atomically on reload.
type Live struct{ p atomic.Pointer[Set] }

// Load returns the current set.
func (l *Live) Load() *Set { return l.p.Load() }

// Store swaps in a new set; callers holding the old one finish on it.
func (l *Live) Store(s *Set) { l.p.Store(s) }
