package engine

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Load error codes of the memory and score features.
const (
	CodeUnknownList    = "unknown_list"    // lists.x where x is not declared under lists:
	CodeUnknownCounter = "unknown_counter" // counters.x where x is not declared under counters:
	CodeWindow         = "window"          // a counter window that does not parse or is out of range
	CodeBands          = "bands"           // score bands missing, out of order, or given without strategy score
)

// listSpec is a list as written.
type listSpec struct {
	name, kind, file, description string
	line, col                     int
}

// counterSpec is a counter as written.
type counterSpec struct {
	name        string
	key, where  src
	agg         string
	value       src // the distinct/sum/max expression
	window      time.Duration
	windowText  string
	line, col   int
	hasKey, bad bool
}

var listKeys = []string{"description", "file", "kind"}

func parseLists(el *errList, v *yaml.Node) []listSpec {
	if v.Kind != yaml.MappingNode {
		el.add(v.Line, v.Column, CodeInvalid, "lists: want a mapping of name: {description, file, kind}, got %s", kindName(v))
		return nil
	}
	var out []listSpec
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, d := v.Content[i], v.Content[i+1]
		if !identRE.MatchString(k.Value) {
			el.add(k.Line, k.Column, CodeInvalid, "list %q: use letters, digits and '_', starting with a letter", k.Value)
			continue
		}
		ls := listSpec{name: k.Value, kind: ListStrings, line: k.Line, col: k.Column}
		if d.Kind == yaml.ScalarNode && d.Tag == "!!null" {
			out = append(out, ls)
			continue
		}
		if d.Kind != yaml.MappingNode {
			el.add(d.Line, d.Column, CodeInvalid, "list %q: want a mapping {description, file, kind}, got %s", k.Value, kindName(d))
			continue
		}
		for j := 0; j+1 < len(d.Content); j += 2 {
			fk, fv := d.Content[j], d.Content[j+1]
			switch fk.Value {
			case "description":
				ls.description = scalar(el, "lists."+k.Value+".description", fv)
			case "kind":
				if c := choice(el, "lists."+k.Value+".kind", fv, ListStrings, ListCIDR); c != "" {
					ls.kind = c
				}
			case "file":
				f := scalar(el, "lists."+k.Value+".file", fv)
				if f == "" {
					continue
				}
				if clean := path.Clean(f); strings.HasPrefix(f, "/") || strings.Contains(f, "\\") || clean != f || clean == ".." || strings.HasPrefix(clean, "../") {
					el.add(fv.Line, fv.Column, CodeInvalid, "lists.%s.file: %q must be a clean relative path inside the rules folder (like lists/vip_users.txt)", k.Value, f)
					continue
				}
				ls.file = f
			default:
				el.add(fk.Line, fk.Column, CodeUnknownKey, "list %q: unknown key %q (known: %s)", k.Value, fk.Value, strings.Join(listKeys, ", "))
			}
		}
		out = append(out, ls)
	}
	return out
}

var counterKeys = []string{"key", "window", "where", "distinct", "sum", "max", "description"}

func parseCounters(el *errList, v *yaml.Node) []counterSpec {
	if v.Kind != yaml.MappingNode {
		el.add(v.Line, v.Column, CodeInvalid, "counters: want a mapping of name: {key, window, where?, distinct|sum|max?}, got %s", kindName(v))
		return nil
	}
	var out []counterSpec
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, d := v.Content[i], v.Content[i+1]
		if !identRE.MatchString(k.Value) {
			el.add(k.Line, k.Column, CodeInvalid, "counter %q: use letters, digits and '_', starting with a letter", k.Value)
			continue
		}
		if d.Kind != yaml.MappingNode {
			el.add(d.Line, d.Column, CodeInvalid, "counter %q: want a mapping {key, window, ...}, got %s", k.Value, kindName(d))
			continue
		}
		cs := counterSpec{name: k.Value, agg: AggCount, line: k.Line, col: k.Column}
		seenWindow := false
		for j := 0; j+1 < len(d.Content); j += 2 {
			fk, fv := d.Content[j], d.Content[j+1]
			what := "counters." + k.Value + "." + fk.Value
			expr := func() src { return src{text: scalar(el, what, fv), line: fv.Line, col: fv.Column, style: fv.Style} }
			switch fk.Value {
			case "key":
				cs.key, cs.hasKey = expr(), true
			case "where":
				cs.where = expr()
			case "description":
				scalar(el, what, fv)
			case "window":
				seenWindow = true
				cs.windowText = scalar(el, what, fv)
				if cs.windowText == "" {
					cs.bad = true
					continue
				}
				w, err := parseWindow(cs.windowText)
				if err != nil {
					el.add(fv.Line, fv.Column, CodeWindow, "%s: %v", what, err)
					cs.bad = true
					continue
				}
				cs.window = w
			case AggDistinct, AggSum, AggMax:
				if cs.agg != AggCount {
					el.add(fk.Line, fk.Column, CodeInvalid, "counter %q: one of distinct, sum and max at most (it has %s and %s)", k.Value, cs.agg, fk.Value)
					cs.bad = true
					continue
				}
				cs.agg, cs.value = fk.Value, expr()
			default:
				el.add(fk.Line, fk.Column, CodeUnknownKey, "counter %q: unknown key %q (known: %s)", k.Value, fk.Value, strings.Join(counterKeys, ", "))
				cs.bad = true
			}
		}
		if !cs.hasKey {
			el.add(d.Line, d.Column, CodeMissing, "counter %q: missing key \"key\" (what it counts by, such as user_id)", k.Value)
			cs.bad = true
		}
		if !seenWindow {
			el.add(d.Line, d.Column, CodeMissing, "counter %q: missing key \"window\" (from 1m to 90d, such as 24h or 7d)", k.Value)
			cs.bad = true
		}
		out = append(out, cs)
	}
	return out
}

// parseWindow reads a counter window: a Go duration (90m, 24h, 1h30m) or a
// whole number of days (7d), from MinWindow to MaxWindow.
func parseWindow(s string) (time.Duration, error) {
	var w time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("%q is not a window: write minutes, hours or days such as 30m, 24h or 7d", s)
		}
		if days > 90 {
			return 0, fmt.Errorf("%q is over the longest window, 90d", s)
		}
		w = time.Duration(days) * 24 * time.Hour
	} else {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a window: write minutes, hours or days such as 30m, 24h or 7d", s)
		}
		w = d
	}
	switch {
	case w < MinWindow:
		return 0, fmt.Errorf("%q is under the shortest window, 1m", s)
	case w > MaxWindow:
		return 0, fmt.Errorf("%q is over the longest window, 90d", s)
	}
	return w, nil
}

// parseBands reads a score policy's bands: {review: N, deny: M}, at least one,
// review below deny.
func parseBands(el *errList, v *yaml.Node) (b bands, line, col int) {
	line, col = v.Line, v.Column
	if v.Kind != yaml.MappingNode {
		el.add(v.Line, v.Column, CodeInvalid, "bands: want a mapping like {review: 40, deny: 80}, got %s", kindName(v))
		return b, line, col
	}
	bad := false
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, n := v.Content[i], v.Content[i+1]
		x, err := strconv.Atoi(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || x < -maxBand || x > maxBand {
			el.add(n.Line, n.Column, CodeInvalid, "bands.%s: want a whole number from %d to %d, got %q", k.Value, -maxBand, maxBand, n.Value)
			bad = true
			continue
		}
		switch k.Value {
		case "review":
			b.review, b.hasReview = x, true
		case "deny":
			b.deny, b.hasDeny = x, true
		default:
			el.add(k.Line, k.Column, CodeUnknownKey, "bands: unknown key %q (known: review, deny)", k.Value)
		}
	}
	switch {
	case bad:
	case !b.hasReview && !b.hasDeny:
		el.add(v.Line, v.Column, CodeBands, "bands: give review, deny or both (a total at or above deny is deny, at or above review is review)")
	case b.hasReview && b.hasDeny && b.review >= b.deny:
		el.add(v.Line, v.Column, CodeBands, "bands: review (%d) must be below deny (%d)", b.review, b.deny)
	}
	return b, line, col
}

// checkScoring checks what strategy score asks of a policy and what only it
// allows: bands, and each rule's score or action.
func checkScoring(el *errList, s *spec) {
	score := s.strategy == StrategyScore
	if score && !s.hasBands {
		el.add(s.strategyLine, s.strategyCol, CodeBands, "strategy score needs bands, such as bands: {review: 40, deny: 80}")
	}
	if !score && s.hasBands {
		el.add(s.bandsLine, s.bandsCol, CodeBands, "bands: only a policy with strategy: score has bands")
	}
	for i, r := range s.rules {
		switch {
		case r.hasScore && !score:
			el.add(r.scoreLine, r.scoreCol, CodeInvalid, "rules[%d]%s: score: only a policy with strategy: score scores rules", i, ruleLabel(r.id))
		case !r.hasAction && !score:
			el.add(r.line, r.col, CodeMissing, "rules[%d]%s: missing key %q", i, ruleLabel(r.id), "action")
		case !r.hasAction && !r.hasScore:
			el.add(r.line, r.col, CodeMissing, "rules[%d]%s: a rule of a score policy needs a score, an action, or both", i, ruleLabel(r.id))
		}
	}
}

// maxScore bounds a rule's score, so a total over the rules limit cannot
// overflow.
const maxScore = 1_000_000

// maxBand bounds a band: beyond what scores can reach is a typo.
const maxBand = 1_000_000_000
