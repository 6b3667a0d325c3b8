package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/internal/lists"
	"github.com/verdicthq/verdict/internal/reload"
)

func init() {
	register(&command{name: "replay", summary: "backtest candidate policies against stored decisions", run: runReplay})
}

func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("replay", "--rules DIR [--since TIME] [--until TIME] [--database URL] [--format text|json] [--samples N]",
		"Decides stored decisions again with candidate policies and shows what would change.\n"+
			"It only reads the decision log.")
	rules := fs.String("rules", "", "the candidate policies: a `DIR` (required)")
	since := fs.String("since", "7d", "the first decision `TIME`: RFC 3339, a date, or back from now (24h, 7d); empty: the oldest")
	until := fs.String("until", "", "the end of the window, exclusive: a `TIME` in the same forms; empty: now")
	db := fs.String("database", "", "the decision log `URL`; empty: $VERDICT_DATABASE_URL, else "+config.DefaultDatabaseURL)
	format := fs.String("format", "text", "the output: `text|json`")
	samples := fs.Int("samples", 5, "show `N` sample changed decisions per outcome transition")
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int { return fs.fail(stderr, code, format, a...) }
	switch {
	case *rules == "":
		return fs.usageError(stderr, "--rules is required: the folder of candidate policies")
	case *format != "text" && *format != "json":
		return fs.usageError(stderr, "--format %q: want text or json", *format)
	case *samples < 1:
		return fs.usageError(stderr, "--samples must be at least 1")
	}
	now := time.Now()
	opts := audit.ReplayOptions{Until: now, SamplesPerTransition: *samples}
	var err error
	if *since != "" {
		if opts.Since, err = audit.ParseTime(*since, now); err != nil {
			return fail(2, "--since: %v", err)
		}
	}
	if *until != "" {
		if opts.Until, err = audit.ParseTime(*until, now); err != nil {
			return fail(2, "--until: %v", err)
		}
	}

	set, err := reload.LoadDir(*rules)
	if err != nil {
		return fail(2, "load candidate policies from %s:\n%v", *rules, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := audit.Open(ctx, databaseURL(*db), audit.Options{ReadOnly: true})
	if err != nil {
		return fail(1, "%v", err)
	}
	defer s.Close()

	var bar *progressBar
	if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		bar = &progressBar{w: stderr, start: time.Now()}
		opts.Progress = bar.update
	}
	mem, err := replayMemory(ctx, s, set, *rules, opts.Since, opts.Until)
	if err != nil {
		return fail(1, "%v", err)
	}
	rep, err := audit.Replay(ctx, s, decision.ReplayMemoryDecider(set, mem), opts)
	bar.finish()
	if err != nil {
		return fail(1, "%v", err)
	}
	if c := mem.Computed(); len(c) > 0 {
		rep.ComputedMemory = c
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		fmt.Fprintf(stdout, "Candidate policies: %s\n", *rules)
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return fail(1, "write report: %v", err)
	}
	return 0
}

// progressBar draws replay progress on a terminal, on one line of stderr.
type progressBar struct {
	w     io.Writer
	start time.Time
	drawn bool
}

func (p *progressBar) update(done, total int64) {
	rate := float64(done) / time.Since(p.start).Seconds()
	if total <= 0 {
		fmt.Fprintf(p.w, "\rreplayed %d decisions, %.0f/s ", done, rate)
	} else {
		const width = 30
		filled := int(float64(width) * float64(done) / float64(total))
		filled = min(max(filled, 0), width)
		fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %d/%d, %.0f/s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
			100*float64(done)/float64(total), done, total, rate)
	}
	p.drawn = true
}

// finish clears the bar's line; it is safe on a nil bar.
func (p *progressBar) finish() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// replayMemory is what the candidates read beyond the reports: each stored
// decision's own reads, and, for what they did not read, the lists as of
// each decision's time (the log's list history, and the candidates'
// file-backed lists) and the counters computed from the log.
func replayMemory(ctx context.Context, s audit.Store, set *engine.Set, rulesDir string, since, until time.Time) (*decision.ReplayMemory, error) {
	m := &decision.ReplayMemory{}
	if len(set.Lists()) > 0 {
		h := lists.NewHistory()
		if ls, ok := s.(audit.ListStore); ok {
			var err error
			if h, err = lists.LoadHistory(ctx, ls); err != nil {
				return nil, err
			}
		}
		for name, d := range lists.DeclsOf(set) {
			if d.File == "" {
				continue
			}
			vs, err := lists.ReadFile(rulesDir, d)
			if err != nil {
				return nil, err
			}
			h.SetFile(name, vs)
		}
		m.AsOf.Lists = func(at time.Time) engine.Lists { return h.At(at) }
	}
	if rs, ok := s.(audit.RowSource); ok && len(set.Counters()) > 0 {
		c, err := counters.History(ctx, set, rs, since, until)
		if err != nil {
			return nil, err
		}
		m.AsOf.Counter = func(d *engine.CounterDecl, key string, at time.Time) float64 {
			v, _ := c.Value(d, key, at)
			return v
		}
	}
	return m, nil
}
