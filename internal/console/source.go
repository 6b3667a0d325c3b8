package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/verdicthq/verdict/engine"
)

// SourceFinder looks up a policy's exact source by version (the decision
// log keeps them). It returns an error wrapping ErrNoSource when it has none.
type SourceFinder interface {
	PolicySource(ctx context.Context, version string) ([]byte, error)
}

// ErrNoSource: no source is known for this policy version.
var ErrNoSource = errors.New("console: no source for this policy version")

// policySource returns the source of a policy version: the live set's own
// copy when the version is live (engine.Policy.Source), else the decision
// log's (Options.Sources). Sources are cached by version.
func (c *Console) policySource(ctx context.Context, version string) ([]byte, string, error) {
	if src, from, ok := c.sources.get(version); ok {
		return src, from, nil
	}
	src, from, p, err := c.findSource(ctx, version)
	if err == nil {
		c.sources.put(version, src, from, p)
	}
	return src, from, err
}

func (c *Console) findSource(ctx context.Context, version string) ([]byte, string, *engine.Policy, error) {
	if set := c.opts.Live.Load(); set != nil {
		for _, info := range set.Policies() {
			if info.Version == version {
				if p := set.Policy(info.Name); p != nil && len(p.Source()) > 0 {
					return p.Source(), "the live policy set (" + info.File + ")", p, nil
				}
			}
		}
	}
	if c.opts.Sources == nil {
		return nil, "", nil, ErrNoSource
	}
	src, err := c.opts.Sources.PolicySource(ctx, version)
	if err != nil {
		if errors.Is(err, ErrNoSource) {
			return nil, "", nil, err
		}
		return nil, "", nil, fmt.Errorf("policy source %s: %w", version, err)
	}
	return src, "the decision log", nil, nil
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
	spans map[string][2]int // each rule's first and last line
}

const maxCachedSources = 64

func (sc *sourceCache) get(version string) ([]byte, string, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	e, ok := sc.m[version]
	return e.src, e.from, ok
}

// put caches a version's source with its rules' lines: the engine's
// (engine.Policy.RuleLines) from p, or from the source loaded again, or —
// for a source today's engine no longer loads — read from its YAML.
func (sc *sourceCache) put(version string, src []byte, from string, p *engine.Policy) {
	if p == nil {
		p, _ = engine.ParsePolicy("policy.yaml", src)
	}
	var spans map[string][2]int
	if p != nil {
		spans = map[string][2]int{}
		for _, id := range p.RuleIDs() {
			if first, last, ok := p.RuleLines(id); ok {
				spans[id] = [2]int{first, last}
			}
		}
	} else {
		spans = ruleSpans(src)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.m == nil || len(sc.m) >= maxCachedSources {
		sc.m = map[string]cachedSource{}
	}
	sc.m[version] = cachedSource{src: src, from: from, spans: spans}
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
