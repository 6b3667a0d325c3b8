package audit

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText prints the report for a risk analyst: the window, what could
// not be replayed, the outcome transition matrix with counts and shares, rule
// fire counts stored against candidate, and sample changed decisions.
func (r *ReplayReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Replayed %d of %d stored decisions (%s)", r.Replayed, r.Read, window(r.Since, r.Until))
	if r.Elapsed > 0 {
		fmt.Fprintf(&b, " in %.2fs, %.0f/s", r.Elapsed.Seconds(), r.PerSecond)
	}
	b.WriteString(".\n")
	if len(r.NotReplayed) > 0 {
		var parts []string
		var n int64
		for status, c := range r.NotReplayed {
			parts = append(parts, fmt.Sprintf("%s %d", status, c))
			n += c
		}
		sort.Strings(parts)
		fmt.Fprintf(&b, "Not replayed, no report to decide on: %d (%s).\n", n, strings.Join(parts, ", "))
	}
	if r.Unreadable > 0 {
		fmt.Fprintf(&b, "Unreadable stored traces: %d (first: %s).\n", r.Unreadable, strings.Join(r.UnreadableIDs, ", "))
	}
	if r.CandidateRuleErrors > 0 {
		fmt.Fprintf(&b, "Candidate rule errors at run time: %d decisions fell to on_error.\n", r.CandidateRuleErrors)
	}
	if len(r.ComputedMemory) > 0 {
		names := make([]string, 0, len(r.ComputedMemory))
		for n := range r.ComputedMemory {
			names = append(names, n)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = fmt.Sprintf("%s for %d", n, r.ComputedMemory[n])
		}
		fmt.Fprintf(&b, "Read by the candidate, not by the stored decisions, so computed as of each decision's time from the decision log and the list history: %s.\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "\nOutcome changed: %d (%s); same outcome but other rules fired: %d.\n",
		r.Changed, pct(r.ChangedShare), r.RulesChanged)

	b.WriteString("\nOutcome transitions (rows: stored, columns: candidate)\n")
	tw := tabwriter.NewWriter(&b, 2, 4, 3, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\t")
	for _, to := range outcomes {
		fmt.Fprintf(tw, "→ %s\t\t", to)
	}
	fmt.Fprintln(tw)
	for i, from := range outcomes {
		fmt.Fprintf(tw, "%s\t", from)
		for j := range outcomes {
			c := r.Transitions[i*len(outcomes)+j]
			fmt.Fprintf(tw, "%d\t%s\t", c.Count, pct(c.Share))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	if len(r.Rules) > 0 {
		b.WriteString("\nRule fires\n")
		tw = tabwriter.NewWriter(&b, 2, 4, 3, ' ', 0)
		fmt.Fprintln(tw, "  rule\tstored\tcandidate\tchange")
		for _, f := range r.Rules {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%+d\n", f.ID, f.Stored, f.Candidate, f.Candidate-f.Stored)
		}
		tw.Flush()
	}
	if len(r.Policies) > 0 {
		b.WriteString("\nPolicies (stored → candidate)\n")
		for _, p := range r.Policies {
			fmt.Fprintf(&b, "  %s@%s → %s@%s: %d\n", p.Stored.Name, short(p.Stored.Version),
				p.Candidate.Name, short(p.Candidate.Version), p.Count)
		}
	}
	if r.Labels != nil {
		r.Labels.writeText(&b) // replay_labels.go
	}
	if len(r.Samples) > 0 {
		b.WriteString("\nSample changed decisions (verdict audit: GET /v1/decisions/{id})\n")
		for _, s := range r.Samples {
			fmt.Fprintf(&b, "  %s → %s  %s  %s  session %s  rules [%s] → [%s]\n", s.From, s.To, s.ID,
				s.DecidedAt.Format(time.RFC3339), s.SessionID, strings.Join(s.StoredRules, ", "), strings.Join(s.CandidateRules, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func window(since, until time.Time) string {
	f := func(t time.Time, open string) string {
		if t.IsZero() {
			return open
		}
		return t.UTC().Format(time.RFC3339)
	}
	return f(since, "the first") + " to " + f(until, "the last")
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

func short(v string) string {
	if len(v) > 12 {
		return v[:12]
	}
	return v
}
