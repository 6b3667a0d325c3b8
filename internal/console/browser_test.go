package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser tests drive Debian's Chromium headless through chromedp. They
// skip, saying why, where no Chromium is installed — unless
// VERDICT_REQUIRE_BROWSER is set (as .ci/run sets it after installing
// Chromium), when a missing browser fails them.

// chromeBinary finds Chromium.
func chromeBinary() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// chrome is one headless browser tab for a test, with where its screenshots go.
type chrome struct {
	t    *testing.T
	ctx  context.Context
	dir  string // screenshots
	shot int
}

func newChrome(t *testing.T) *chrome {
	t.Helper()
	bin := chromeBinary()
	if bin == "" {
		if os.Getenv("VERDICT_REQUIRE_BROWSER") != "" {
			t.Fatal("VERDICT_REQUIRE_BROWSER is set but no Chromium is installed (apt-get install -y chromium)")
		}
		t.Skip("no Chromium installed: browser tests skipped (apt-get install -y chromium; .ci/run installs it)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second) // a bound against a hung browser, not a timing
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start Chromium (%s): %v", bin, err)
	}
	dir := os.Getenv("VERDICT_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &chrome{t: t, ctx: ctx, dir: dir}
}

// run runs actions, failing the test on error.
func (c *chrome) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

// value runs an action that returns a value, failing the test on error.
func value[T any](c *chrome, what string, a chromedp.Action[T]) T {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, a)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](c *chrome, what, expr string) T {
	c.t.Helper()
	return value(c, what, chromedp.Evaluate[T](expr))
}

// screenshot saves the whole page as NN-name.png in the test's folder.
func (c *chrome) screenshot(name string) {
	c.t.Helper()
	buf := value(c, "screenshot "+name, chromedp.FullScreenshot(100))
	c.shot++
	path := filepath.Join(c.dir, fmt.Sprintf("%02d-%s.png", c.shot, name))
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		c.t.Fatal(err)
	}
	if len(buf) < 1000 {
		c.t.Errorf("screenshot %s is %d bytes: nothing drawn", name, len(buf))
	}
}

// text is the visible text of the first element matching sel.
func (c *chrome) text(sel string) string {
	c.t.Helper()
	return value(c, "read "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// signIn signs in with key from wherever the browser is sent to sign in.
func (c *chrome) signIn(base, path, key string) {
	c.t.Helper()
	c.run("open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.ID("key")))
	title := value(c, "title", chromedp.Title())
	if title != "Sign in · verdict console" {
		c.t.Fatalf("without a session %s shows %q, want the sign-in page", path, title)
	}
	c.checkAccessible("sign-in")
	c.screenshot("sign-in")
	c.run("sign in", chromedp.SendKeys(chromedp.ID("key"), key), chromedp.Submit(chromedp.ID("key")),
		chromedp.WaitVisible(chromedp.CSS("header.top nav")))
}

// accessibilityScript lists what a page lacks: a label on every control,
// headings in order (one h1 first, no level skipped), names on buttons and
// links, alt on images, a lang on the page.
const accessibilityScript = `(() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("html has no lang");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const named = (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.closest("label") ||
      el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) problems.push("control without a label: " + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!el.textContent.trim() && !el.getAttribute("aria-label")) problems.push("unnamed " + el.tagName + ": " + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push("img without alt");
  }
  let prev = 0, h1 = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const lvl = Number(h.tagName[1]);
    if (lvl === 1) h1++;
    if (prev === 0 && lvl !== 1) problems.push("first heading is " + h.tagName);
    if (prev && lvl > prev + 1) problems.push("heading " + h.tagName + " after H" + prev + ": " + h.textContent.trim().slice(0, 40));
    prev = lvl;
  }
  if (h1 !== 1) problems.push(h1 + " h1 elements, want 1");
  return problems;
})()`

// focusables lists a key for every element Tab should reach.
const focusablesScript = `Array.from(document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary'))
  .filter(el => !el.disabled && el.offsetParent !== null)
  .map((el, i) => { el.dataset.tabcheck = String(i); return String(i); })`

const activeScript = `(document.activeElement && document.activeElement.dataset.tabcheck) || ""`

// checkAccessible runs the accessibility checks on the page shown, then
// tabs through it and checks every control and link is reached by keyboard.
func (c *chrome) checkAccessible(page string) {
	c.t.Helper()
	problems := eval[[]string](c, "accessibility of "+page, accessibilityScript)
	for _, p := range problems {
		c.t.Errorf("%s: %s", page, p)
	}
	want := eval[[]string](c, "list focusables", focusablesScript)
	reached := map[string]bool{}
	for i := 0; i < len(want)+5 && len(reached) < len(want); i++ {
		c.run("tab", chromedp.KeyEvent(kb.Tab))
		got := eval[string](c, "focused element", activeScript)
		if got != "" {
			reached[got] = true
		}
	}
	if len(reached) < len(want) {
		c.t.Errorf("%s: Tab reaches %d of %d controls and links", page, len(reached), len(want))
	}
}

func TestBrowserSignInSearchOpenDecision(t *testing.T) {
	h := newHarness(t)
	c := newChrome(t)
	for _, s := range []string{"t-allow", "t-review", "t-deny", "t-vpn"} {
		h.decide(s, `{"amount": 700}`)
	}
	c.signIn(h.url, "/console/decisions", keyAuditor)

	if got := c.text("h1"); got != "Decisions" {
		t.Fatalf("after sign-in: h1 %q, want Decisions", got)
	}
	rows := eval[int](c, "count rows", `document.querySelectorAll("table.list tbody tr").length`)
	if rows != 4 {
		t.Errorf("%d decisions listed, want 4", rows)
	}
	c.checkAccessible("decisions")
	c.screenshot("decisions")

	// Search: outcome deny, by the form.
	c.run("search deny", chromedp.SetValue(chromedp.ID("f-outcome"), "deny"), chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//h2[contains(., "Matching decisions")]`)))
	rows = eval[int](c, "count rows", `document.querySelectorAll("table.list tbody tr").length`)
	if rows != 1 {
		t.Errorf("deny search lists %d decisions, want 1", rows)
	}
	if got := c.text("table.list tbody tr"); !strings.Contains(got, "t-deny") || !strings.Contains(got, "deny") {
		t.Errorf("deny search shows %q", got)
	}
	c.screenshot("search-deny")

	// Open it.
	c.run("open the decision", chromedp.Click(chromedp.CSS(`table.list tbody tr a`)),
		chromedp.WaitVisible(chromedp.ID("h-outcome")))
	if got := c.text("#h-outcome"); got != "Outcome: deny" {
		t.Errorf("decision outcome %q", got)
	}
	if got := c.text("tr.detected"); !strings.Contains(got, "bot") || !strings.Contains(got, "Detected") {
		t.Errorf("the detected check row reads %q", got)
	}
	bg := eval[string](c, "detected style", `getComputedStyle(document.querySelector("tr.detected td")).backgroundColor`)
	if bg == "" || bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("a Detected check does not stand out (background %q): the stylesheet did not load", bg)
	}
	if got := c.text("article.rule"); !strings.Contains(got, "high-risk-score") || !strings.Contains(got, "risk_score") || !strings.Contains(got, "88") {
		t.Errorf("fired rule reads %q", got)
	}
	if got := c.text("article.rule pre.source"); !strings.Contains(got, "when: risk_score >= 70") {
		t.Errorf("the rule's source reads %q", got)
	}
	c.checkAccessible("decision")
	c.screenshot("decision")

	// The raw trace is one click away.
	c.run("raw trace", chromedp.Click(chromedp.Search(`//a[text()="Raw trace (JSON)"]`)),
		chromedp.WaitVisible(chromedp.CSS("pre")))
	raw := value(c, "raw trace text", chromedp.Text(chromedp.CSS("body")))
	if !regexp.MustCompile(`"outcome": "deny"`).MatchString(raw) {
		t.Errorf("raw trace: %.200s", raw)
	}
}

func TestBrowserValidateBrokenDraftAndBacktest(t *testing.T) {
	h := newHarness(t)
	c := newChrome(t)
	for _, s := range []string{"t-allow", "t-review", "t-deny"} {
		h.decide(s, "")
	}
	c.signIn(h.url, "/console/drafts", keyAdmin)
	if got := c.text("h1"); got != "Drafts and backtests" {
		t.Fatalf("h1 %q", got)
	}
	c.checkAccessible("drafts")
	c.screenshot("drafts")

	broken := "name: checkout\ndefault: allow\non_error: review\nrules:\n  - id: vpn\n    when: device_checks.vnp == \"Detected\"\n    action: deny\n"
	c.run("validate", chromedp.SetValue(chromedp.ID("d-draft"), broken),
		chromedp.Click(chromedp.Search(`//button[text()="Validate"]`)), chromedp.WaitVisible(chromedp.CSS("ol.load-errors")))
	if got := c.text("ol.load-errors"); !strings.Contains(got, "line 6, column") || !strings.Contains(got, "vnp") {
		t.Errorf("validation errors read %q", got)
	}
	if got := c.text(".ln.bad"); strings.TrimSpace(got) != "6" {
		t.Errorf("the marked line is %q, want 6", got)
	}
	c.checkAccessible("draft-errors")
	c.screenshot("draft-errors")

	draft := "name: checkout\ndefault: allow\non_error: review\nrules:\n  - id: strict-score\n    when: risk_score >= 40\n    action: deny\n"
	c.run("backtest", chromedp.SetValue(chromedp.ID("d-draft"), draft), chromedp.SetValue(chromedp.ID("d-since"), "1h"),
		chromedp.Click(chromedp.Search(`//button[text()="Backtest"]`)), chromedp.WaitVisible(chromedp.ID("h-backtest")))
	if got := c.text("#h-backtest + p"); !strings.Contains(got, "3 stored decisions read, 3 decided again") {
		t.Errorf("backtest summary %q", got)
	}
	if got := c.text("table.matrix"); !strings.Contains(got, "review") {
		t.Errorf("matrix %q", got)
	}
	moved := eval[int](c, "moved cells", `document.querySelectorAll("table.matrix td.moved").length`)
	if moved == 0 {
		t.Errorf("the matrix marks no moved decisions")
	}
	c.checkAccessible("backtest")
	c.screenshot("backtest")
}

// TestBrowserAccessibilityCheckFindsProblems: the checks above can fail — a
// page with an unlabelled control, a heading skipped and no h1 is caught.
func TestBrowserAccessibilityCheckFindsProblems(t *testing.T) {
	c := newChrome(t)
	c.run("open a bad page", chromedp.Navigate(`data:text/html,<html><body><h2>x</h2><h4>y</h4><input id="a"><button></button></body></html>`),
		chromedp.WaitReady(chromedp.CSS("input")))
	problems := strings.Join(eval[[]string](c, "accessibility", accessibilityScript), "\n")
	for _, want := range []string{"html has no lang", "control without a label", "unnamed BUTTON", "first heading is H2", "heading H4 after H2", "0 h1 elements"} {
		if !strings.Contains(problems, want) {
			t.Errorf("the check misses %q; it found:\n%s", want, problems)
		}
	}
}

func TestBrowserResolveReviewByKeyboard(t *testing.T) {
	h := newHarness(t)
	c := newChrome(t)
	first := h.decide("t-review", "")
	second := h.decide("t-vpn", `{"amount": 900}`)
	c.signIn(h.url, "/console/reviews", keyAnalyst)
	if got := c.text("h1"); got != "Review queue" {
		t.Fatalf("h1 %q", got)
	}
	rows := eval[int](c, "count rows", `document.querySelectorAll("table.list tbody tr").length`)
	if rows != 2 {
		t.Errorf("%d open reviews listed, want 2", rows)
	}
	c.checkAccessible("reviews")
	c.screenshot("reviews")

	c.run("open the oldest", chromedp.Click(chromedp.CSS(`table.list tbody tr a`)), chromedp.WaitVisible(chromedp.ID("h-review")))
	if loc := value(c, "location", chromedp.Location()); !strings.HasSuffix(loc, "/console/reviews/"+first) {
		t.Fatalf("opened %s, want the oldest review %s", loc, first)
	}
	c.checkAccessible("review")
	c.screenshot("review")

	// c claims, from the keyboard.
	c.run("claim with c", chromedp.KeyEvent("c"), chromedp.WaitVisible(chromedp.Search(`//p[contains(., "You hold this review")]`)))
	if got := c.text("section.summary dl"); !strings.Contains(got, "analyst") {
		t.Errorf("claimed review reads %q", got)
	}
	// Typing a note: its letters are the note's, not shortcuts.
	c.run("type a note", chromedp.SendKeys(chromedp.ID("note"), "customer called; card is theirs"))
	if loc := value(c, "location", chromedp.Location()); !strings.Contains(loc, first) {
		t.Fatalf("typing in the note triggered a shortcut: now at %s", loc)
	}
	c.screenshot("review-claimed")
	// Leave the field, then a allows: on to the next open review.
	c.run("allow with a", chromedp.Blur(chromedp.ID("note")), chromedp.KeyEvent("a"),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "The previous review is resolved.")]`)))
	if loc := value(c, "location", chromedp.Location()); !strings.Contains(loc, "/console/reviews/"+second) {
		t.Errorf("after resolving: at %s, want the next review %s", loc, second)
	}
	c.screenshot("next-review")
	// The first is resolved allow with the note, in its history.
	c.run("open the first again", chromedp.Navigate(h.url+"/console/reviews/"+first), chromedp.WaitVisible(chromedp.ID("h-review")))
	if got := c.text("#h-review"); got != "Resolved: allow" {
		t.Errorf("first review: %q", got)
	}
	if got := c.text("ol.events"); !strings.Contains(got, "customer called; card is theirs") {
		t.Errorf("history %q lacks the note", got)
	}
	// n goes to the next open review.
	c.run("next with n", chromedp.KeyEvent("n"), chromedp.WaitVisible(chromedp.Search(`//h2[contains(., "Open, waiting")]`)))
	if loc := value(c, "location", chromedp.Location()); !strings.HasSuffix(loc, "/console/reviews/"+second) {
		t.Errorf("n went to %s, want %s", loc, second)
	}

	// The resolution is a label: rule performance counts it, and draws the fires.
	c.run("performance", chromedp.Click(chromedp.Search(`//nav//a[text()="Rule performance"]`)), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if got := c.text("table.perf"); !strings.Contains(got, "medium-risk-score") {
		t.Errorf("performance table %q", got)
	}
	if n := eval[int](c, "series", `document.querySelectorAll("svg.chart polyline.series").length`); n < 2 {
		t.Errorf("%d series drawn, want one per rule that fired (2)", n)
	}
	if w := eval[float64](c, "chart width", `document.querySelector("svg.chart").getBoundingClientRect().width`); w < 300 {
		t.Errorf("the chart is %v px wide", w)
	}
	c.checkAccessible("performance")
	c.screenshot("performance")
}

func TestBrowserListAddSearchRemove(t *testing.T) {
	h := newHarness(t)
	c := newChrome(t)
	c.signIn(h.url, "/console/lists", keyAnalyst)
	c.run("open the list", chromedp.Click(chromedp.Search(`//table//a[text()="blocked_users"]`)), chromedp.WaitVisible(chromedp.ID("l-value")))
	c.checkAccessible("list-empty")
	c.screenshot("list-empty")
	for _, it := range []struct{ value, ttl, comment string }{
		{"user-t-allow", "30d", "chargeback ring, case 4411"},
		{"user-9001", "", "bot farm"},
	} {
		c.run("add "+it.value, chromedp.SendKeys(chromedp.ID("l-value"), it.value), chromedp.SendKeys(chromedp.ID("l-ttl"), it.ttl),
			chromedp.SendKeys(chromedp.ID("l-comment"), it.comment), chromedp.Click(chromedp.Search(`//button[text()="Add"]`)),
			chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Added. Decisions from now on see it.")]`)))
	}
	if got := c.text("main table.list tbody"); !strings.Contains(got, "user-t-allow") || !strings.Contains(got, "chargeback ring, case 4411") || !strings.Contains(got, "user-9001") {
		t.Errorf("items read %q", got)
	}
	c.checkAccessible("list")
	c.screenshot("list")
	// The list changes the next decision at once.
	id := h.decide("t-allow", "")
	c.run("the decision", chromedp.Navigate(h.url+"/console/decisions/"+id), chromedp.WaitVisible(chromedp.ID("h-outcome")))
	if got := c.text("#h-outcome"); got != "Outcome: deny" {
		t.Errorf("a listed user's decision: %q, want deny", got)
	}
	c.run("back to the list", chromedp.Navigate(h.url+"/console/lists/blocked_users"), chromedp.WaitVisible(chromedp.ID("l-q")))
	c.run("search", chromedp.SendKeys(chromedp.ID("l-q"), "bot"), chromedp.Submit(chromedp.ID("l-q")),
		chromedp.WaitVisible(chromedp.Search(`//h2[contains(., "matching")]`)))
	if n := eval[int](c, "rows", `document.querySelectorAll("main table.list")[0].querySelectorAll("tbody tr").length`); n != 1 {
		t.Errorf("search for bot lists %d items, want 1", n)
	}
	c.screenshot("list-search")
	c.run("remove", chromedp.Click(chromedp.CSS(`button[aria-label="Remove user-9001"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Removed.")]`)))
	if got := c.text("main table.list tbody"); strings.Contains(got, "user-9001") {
		t.Errorf("removed item still listed: %q", got)
	}
	if got := value(c, "history", chromedp.Text(chromedp.Search(`//caption[contains(., "changes, newest first")]/..`))); !strings.Contains(got, "remove") || !strings.Contains(got, "user-9001") {
		t.Errorf("history %q lacks the removal", got)
	}
	c.screenshot("list-removed")
}
