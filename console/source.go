package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/verdicthq/verdict/internal/reload"
)

// SourceFinder looks up a policy's exact source by version (the decision
// log keeps them). It returns an error wrapping ErrNoSource when it has none.
type SourceFinder interface {
	PolicySource(ctx context.Context, version string) ([]byte, error)
}

// ErrNoSource: no source is known for this policy version.
var ErrNoSource = errors.New("console: no source for this policy version")

// policySource returns the source of a policy version: from Options.Sources
// when set, else from the live set's file of that version, read as the
// reloader reads it and kept only when its SHA-256 still is the version (a
// file edited since it was loaded is not that version's source).
func (c *Console) policySource(ctx context.Context, version string) ([]byte, string, error) {
	if src, from, ok := c.sources.get(version); ok {
		return src, from, nil
	}
	src, from, err := c.findSource(ctx, version)
	if err == nil {
		c.sources.put(version, src, from)
	}
	return src, from, err
}

func (c *Console) findSource(ctx context.Context, version string) ([]byte, string, error) {
	if c.opts.Sources != nil {
		src, err := c.opts.Sources.PolicySource(ctx, version)
		if err == nil {
			return src, "the decision log", nil
		}
		if !errors.Is(err, ErrNoSource) {
			return nil, "", fmt.Errorf("policy source %s: %w", version, err)
		}
	}
	set := c.opts.Live.Load()
	if set == nil {
		return nil, "", ErrNoSource
	}
	for _, p := range set.Policies() {
		if p.Version != version {
			continue
		}
		data, err := reload.ReadPolicyFile(p.File)
		if err != nil {
			return nil, "", fmt.Errorf("%w: read %s: %v", ErrNoSource, p.File, err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != version {
			return nil, "", fmt.Errorf("%w: %s has changed since it was loaded", ErrNoSource, p.File)
		}
		return data, p.File, nil
	}
	return nil, "", ErrNoSource
}

// sourceCache keeps policy sources by version. A version is the SHA-256
// of its source, so a cached source can never be stale: a file edited since
// is another version. Bounded: past maxCachedSources it starts again.
type sourceCache struct {
	mu sync.Mutex
	m  map[string]cachedSource
}

type cachedSource struct {
	src   []byte
	from  string
	spans map[string][2]int // ruleSpans(src)
}

const maxCachedSources = 64

func (sc *sourceCache) get(version string) ([]byte, string, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	e, ok := sc.m[version]
	return e.src, e.from, ok
}

func (sc *sourceCache) put(version string, src []byte, from string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.m == nil || len(sc.m) >= maxCachedSources {
		sc.m = map[string]cachedSource{}
	}
	sc.m[version] = cachedSource{src: src, from: from, spans: ruleSpans(src)}
}

// spans returns the rule spans of a cached version's source.
func (sc *sourceCache) spans(version string) map[string][2]int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.m[version].spans
}

// sourceLine is one numbered line of a policy's source.
type sourceLine struct {
	N    int
	Text string
	Mark bool // a line of the rule or error shown
}

// numbered splits src into numbered lines.
func numbered(src []byte) []sourceLine {
	text := strings.TrimSuffix(string(src), "\n")
	parts := strings.Split(text, "\n")
	out := make([]sourceLine, len(parts))
	for i, l := range parts {
		out[i] = sourceLine{N: i + 1, Text: strings.TrimSuffix(l, "\r")}
	}
	return out
}

// ruleSpans finds, in a policy's YAML, the first and last line of each rule
// by id (a rule's mapping runs until the next rule or the end of the list).
// A source that does not parse gives no spans.
func ruleSpans(src []byte) map[string][2]int {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil
	}
	lines := strings.Count(strings.TrimSuffix(string(src), "\n"), "\n") + 1
	var rules *yaml.Node
	var after int // the line of the key after rules:, if any
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "rules" {
			rules = root.Content[i+1]
			if i+2 < len(root.Content) {
				after = root.Content[i+2].Line
			}
		}
	}
	if rules == nil || rules.Kind != yaml.SequenceNode {
		return nil
	}
	spans := map[string][2]int{}
	for j, r := range rules.Content {
		end := lines
		if j+1 < len(rules.Content) {
			end = rules.Content[j+1].Line - 1
		} else if after > 0 {
			end = after - 1
		}
		if r.Kind != yaml.MappingNode {
			continue
		}
		for k := 0; k+1 < len(r.Content); k += 2 {
			if r.Content[k].Value == "id" {
				spans[r.Content[k+1].Value] = [2]int{r.Line, trimBlank(src, r.Line, end)}
			}
		}
	}
	return spans
}

// trimBlank moves end up past blank and comment-only lines, but not above start.
func trimBlank(src []byte, start, end int) int {
	ls := numbered(src)
	for end > start && end <= len(ls) {
		t := strings.TrimSpace(ls[end-1].Text)
		if t != "" && !strings.HasPrefix(t, "#") {
			break
		}
		end--
	}
	return end
}

// ruleSource is the lines of one rule in a policy's source.
func ruleSource(src []byte, spans map[string][2]int, id string) []sourceLine {
	sp, ok := spans[id]
	if !ok {
		return nil
	}
	ls := numbered(src)
	if sp[0] < 1 || sp[1] > len(ls) || sp[0] > sp[1] {
		return nil
	}
	return ls[sp[0]-1 : sp[1]]
}
