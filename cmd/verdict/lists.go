package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/lists"
)

func init() {
	register(&command{name: "lists", summary: "block and allow lists: lists import, lists export", run: runLists})
}

// listsUsage is the help of `verdict lists`, a group of subcommands.
const listsUsage = `Usage: verdict lists <command> [flags]

Changes and reads the block and allow lists the policies declare, in the decision log.

Commands:
  import NAME FILE   add or update the list's items from FILE (a value a line, or CSV)
  export NAME        write the list's items present now, as CSV, to stdout

Run 'verdict lists <command> --help' for a command's flags.
`

// runLists is `verdict lists`.
func runLists(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, "verdict lists: no command given\n"+listsUsage)
		return 2
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help":
		if len(args) == 2 && args[0] == "help" {
			switch args[1] {
			case "import":
				return runListsImport([]string{"--help"}, stdout, stderr)
			case "export":
				return runListsExport([]string{"--help"}, stdout, stderr)
			}
		}
		fmt.Fprint(stdout, listsUsage)
		return 0
	case args[0] == "import":
		return runListsImport(args[1:], stdout, stderr)
	case args[0] == "export":
		return runListsExport(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "verdict lists: unknown command %q\nRun 'verdict lists --help' for the commands.\n", args[0])
	return 2
}

// listDecl loads the rules folder and returns the named list's declaration.
func listDecl(rulesDir, name string) (lists.Decl, error) {
	set, err := engine.LoadDir(rulesDir)
	if err != nil {
		return lists.Decl{}, fmt.Errorf("load policies from %s: %w", rulesDir, err)
	}
	d, ok := lists.DeclsOf(set)[name]
	if !ok {
		return lists.Decl{}, fmt.Errorf("list %q: no policy in %s declares it", name, rulesDir)
	}
	return d, nil
}

// runListsImport is `verdict lists import NAME FILE`.
func runListsImport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("lists import", "NAME FILE [--comment TEXT] [--ttl DURATION] [--rules PATH] [--database URL]",
		"Adds the items of FILE to the list NAME, or updates those it holds, in one transaction: all\n"+
			"of them or, on any bad line, none. FILE ('-' for stdin) has a value a line (blank lines\n"+
			"and lines starting with # are skipped), or is CSV with a header row naming value and,\n"+
			"optionally, comment and expires_at (RFC 3339). Every change is kept in the list's history\n"+
			"under the key id \"cli\". A running verdict sees the change within a second.")
	comment := fs.String("comment", "", "the comment (`TEXT`) of items the file gives none")
	ttl := fs.Duration("ttl", 0, "how long items the file gives no expiry stay; 0: no expiry")
	rules := fs.String("rules", "rules", "the rules `PATH` whose policies declare the list")
	db := fs.String("database", "", "the decision log `URL`; empty: $VERDICT_DATABASE_URL, else "+config.DefaultDatabaseURL)
	rest, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) != 2 {
		return fs.usageError(stderr, "want NAME and FILE, got %d argument(s)", len(rest))
	}
	if *ttl < 0 {
		return fs.usageError(stderr, "--ttl: want a positive duration")
	}
	name, file := rest[0], rest[1]
	d, err := listDecl(*rules, name)
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	if d.File != "" {
		return fs.fail(stderr, 1, "list %q is file-backed (%s): change its file in the rules folder", name, d.File)
	}
	var in io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fs.fail(stderr, 1, "%v", err)
		}
		defer f.Close()
		in = f
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	items, err := readItems(file, in, d.Kind)
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	for i := range items {
		if items[i].Comment == "" {
			items[i].Comment = *comment
		}
		if items[i].ExpiresAt.IsZero() && *ttl > 0 {
			items[i].ExpiresAt = now.Add(*ttl)
		}
		items[i].KeyID, items[i].UpdatedAt = "cli", now
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := audit.Open(ctx, databaseURL(*db), audit.Options{})
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	defer s.Close()
	ls, ok := s.(audit.ListStore)
	if !ok {
		return fs.fail(stderr, 1, "this decision log keeps no lists")
	}
	svc := &lists.Service{Store: ls, Declared: func() map[string]lists.Decl { return map[string]lists.Decl{name: d} }}
	start := time.Now()
	added, updated, err := svc.Import(ctx, name, items)
	if err != nil {
		return fs.fail(stderr, 1, "nothing imported: %v", err)
	}
	fmt.Fprintf(stderr, "verdict lists import: %s: %d added, %d updated in %s\n", name, added, updated, time.Since(start).Round(time.Millisecond))
	return 0
}

// readItems reads an import file: CSV when its first line is a header
// naming value, else a value a line. Values are canonicalized for kind; an
// error names the line.
func readItems(name string, r io.Reader, kind string) ([]audit.ListItem, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	first, _, _ := strings.Cut(text, "\n")
	if !isCSVHeader(first) {
		vs, err := lists.ParseValues(name, kind, strings.NewReader(text))
		if err != nil {
			return nil, err
		}
		items := make([]audit.ListItem, len(vs))
		for i, v := range vs {
			items[i].Value = v
		}
		return items, nil
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	get := func(rec []string, k string) string {
		if i, ok := col[k]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var items []audit.ListItem
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		v, err := lists.Canonical(kind, get(rec, "value"))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		it := audit.ListItem{Value: v, Comment: get(rec, "comment")}
		if e := get(rec, "expires_at"); e != "" {
			if it.ExpiresAt, err = time.Parse(time.RFC3339Nano, e); err != nil {
				return nil, fmt.Errorf("%s:%d: expires_at: want an RFC 3339 time", name, line)
			}
		}
		items = append(items, it)
	}
	return items, nil
}

func isCSVHeader(line string) bool {
	line = strings.ToLower(strings.TrimSpace(strings.TrimSuffix(line, "\r")))
	return line == "value" || strings.HasPrefix(line, "value,") || strings.Contains(line, ",value")
}

// runListsExport is `verdict lists export NAME`.
func runListsExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("lists export", "NAME [--database URL] > list.csv",
		"Writes the items of the list NAME present now, by value, as CSV (value, comment,\n"+
			"expires_at, added_at, updated_at, key_id) to stdout; `verdict lists import` reads it back.")
	db := fs.String("database", "", "the decision log `URL`; empty: $VERDICT_DATABASE_URL, else "+config.DefaultDatabaseURL)
	rest, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) != 1 {
		return fs.usageError(stderr, "want NAME, got %d argument(s)", len(rest))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := audit.Open(ctx, databaseURL(*db), audit.Options{ReadOnly: true})
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	defer s.Close()
	ls, ok := s.(audit.ListStore)
	if !ok {
		return fs.fail(stderr, 1, "this decision log keeps no lists")
	}
	w := csv.NewWriter(stdout)
	_ = w.Write([]string{"value", "comment", "expires_at", "added_at", "updated_at", "key_id"})
	n := 0
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	err = ls.ListItems(ctx, audit.ListQuery{List: rest[0]}, func(it audit.ListItem) error {
		n++
		return w.Write([]string{it.Value, it.Comment, ts(it.ExpiresAt), ts(it.AddedAt), ts(it.UpdatedAt), it.KeyID})
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		return fs.fail(stderr, 1, "after %d items: %v", n, err)
	}
	fmt.Fprintf(stderr, "verdict lists export: %s: %d items\n", rest[0], n)
	return 0
}
