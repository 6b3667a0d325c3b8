package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// maxChartDays bounds the days the fires chart draws (the last ones of the window).
const maxChartDays = 31

// performanceView is the rule performance page.
type performanceView struct {
	Since, Until, Policy string
	Perf                 *audit.Performance
	Chart                *chart
	Error                string
	NoReader             bool
}

// performance shows GET /v1/rules/performance's report — each rule's fires
// against the labels, each policy's outcome × label matrix — and a chart of
// fires per day per rule, drawn here as SVG.
func (c *Console) performance(w http.ResponseWriter, r *http.Request, s *session) {
	v := performanceView{Since: "30d"}
	pr, ok := c.opts.Log.(audit.PerformanceReader)
	if !ok {
		v.NoReader = true
		c.render(w, r, s, http.StatusServiceUnavailable, "performance", "Rule performance", v)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		v.Error = "The filter could not be read: " + err.Error()
		c.render(w, r, s, http.StatusBadRequest, "performance", "Rule performance", v)
		return
	}
	now := c.now()
	if x := strings.TrimSpace(q.Get("since")); x != "" {
		v.Since = x
	}
	v.Until, v.Policy = strings.TrimSpace(q.Get("until")), strings.TrimSpace(q.Get("policy"))
	f := audit.PerfFilter{Policy: v.Policy}
	if f.Since, err = audit.ParseTime(v.Since, now); err != nil {
		v.Error = "since: " + err.Error()
	}
	f.Until = now
	if v.Until != "" && v.Error == "" {
		if f.Until, err = audit.ParseTime(v.Until, now); err != nil {
			v.Error = "until: " + err.Error()
		}
	}
	if v.Error == "" && !f.Since.Before(f.Until) {
		v.Error = "since must be before until"
	}
	if v.Error != "" {
		c.render(w, r, s, http.StatusBadRequest, "performance", "Rule performance", v)
		return
	}
	p, err := pr.RulePerformance(r.Context(), f)
	if err != nil {
		status, msg := http.StatusServiceUnavailable, "The decision log is unavailable; retry."
		if errors.Is(err, audit.ErrInvalid) {
			status, msg = http.StatusBadRequest, err.Error()
		}
		v.Error = msg
		c.render(w, r, s, status, "performance", "Rule performance", v)
		return
	}
	v.Perf = p
	days, err := firesPerDay(r, pr, f)
	if err == nil {
		v.Chart = drawChart(days)
	}
	c.render(w, r, s, http.StatusOK, "performance", "Rule performance", v)
}

// dayFires is one day's fires per rule ("policy/rule").
type dayFires struct {
	Day   time.Time
	Fires map[string]int64
}

// firesPerDay counts each rule's fires per UTC day over the last
// maxChartDays days of f's window: one performance pass per day, together
// one pass over those days.
func firesPerDay(r *http.Request, pr audit.PerformanceReader, f audit.PerfFilter) ([]dayFires, error) {
	end := f.Until.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	start := f.Since.UTC().Truncate(24 * time.Hour)
	if end.Sub(start) > maxChartDays*24*time.Hour {
		start = end.Add(-maxChartDays * 24 * time.Hour)
	}
	var out []dayFires
	for d := start; d.Before(end); d = d.Add(24 * time.Hour) {
		df := audit.PerfFilter{Since: d, Until: d.Add(24 * time.Hour), Policy: f.Policy}
		if df.Since.Before(f.Since) {
			df.Since = f.Since
		}
		if df.Until.After(f.Until) {
			df.Until = f.Until
		}
		day := dayFires{Day: d, Fires: map[string]int64{}}
		if df.Since.Before(df.Until) {
			p, err := pr.RulePerformance(r.Context(), df)
			if err != nil {
				return nil, fmt.Errorf("fires on %s: %w", d.Format(time.DateOnly), err)
			}
			for _, rp := range p.Rules {
				day.Fires[rp.Policy+"/"+rp.RuleID] = rp.Fires
			}
		}
		out = append(out, day)
	}
	return out, nil
}

// chart is an SVG line chart of fires per day per rule, with its data as a table.
type chart struct {
	Width, Height int
	Lines         []chartLine
	Days          []string // x labels, UTC dates
	XTicks        []chartTick
	YTicks        []chartTick
	Max           int64
	Rows          []chartRow // the same data, for the table
	Rules         []string
}

type chartLine struct {
	Rule   string
	Color  string
	Points string // "x,y x,y ..." (numbers only)
	Total  int64
}

type chartTick struct {
	X, Y   float64
	Label  string
	Anchor string // text-anchor: start, middle or end
}

type chartRow struct {
	Day    string
	Counts []int64
}

// palette is colour-blind-safe (Okabe–Ito), cycled.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"}

func drawChart(days []dayFires) *chart {
	if len(days) == 0 {
		return nil
	}
	ch := &chart{Width: 760, Height: 260}
	const left, right, top, bottom = 48.0, 12.0, 12.0, 36.0
	rules := map[string]bool{}
	for _, d := range days {
		for r, n := range d.Fires {
			rules[r] = true
			if n > ch.Max {
				ch.Max = n
			}
		}
	}
	for r := range rules {
		ch.Rules = append(ch.Rules, r)
	}
	sort.Strings(ch.Rules)
	if len(ch.Rules) == 0 {
		return nil
	}
	maxY := ch.Max
	if maxY < 1 {
		maxY = 1
	}
	w, h := float64(ch.Width)-left-right, float64(ch.Height)-top-bottom
	x := func(i int) float64 {
		if len(days) == 1 {
			return left + w/2
		}
		return left + w*float64(i)/float64(len(days)-1)
	}
	y := func(n int64) float64 { return top + h - h*float64(n)/float64(maxY) }
	for i, rule := range ch.Rules {
		var pts []string
		var total int64
		for j, d := range days {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(j), y(d.Fires[rule])))
			total += d.Fires[rule]
		}
		ch.Lines = append(ch.Lines, chartLine{Rule: rule, Color: palette[i%len(palette)], Points: strings.Join(pts, " "), Total: total})
	}
	step := (len(days) + 6) / 7
	for j, d := range days {
		ch.Days = append(ch.Days, d.Day.Format("01-02"))
		if j%step == 0 || j == len(days)-1 {
			anchor := "middle"
			if j == len(days)-1 && len(days) > 1 {
				anchor = "end"
			}
			ch.XTicks = append(ch.XTicks, chartTick{X: x(j), Y: float64(ch.Height) - 12, Label: d.Day.Format("Jan 2"), Anchor: anchor})
		}
		row := chartRow{Day: d.Day.Format(time.DateOnly)}
		for _, rule := range ch.Rules {
			row.Counts = append(row.Counts, d.Fires[rule])
		}
		ch.Rows = append(ch.Rows, row)
	}
	last := int64(-1)
	for k := 0; k <= 4; k++ {
		n := maxY * int64(k) / 4
		if n == last {
			continue
		}
		last = n
		ch.YTicks = append(ch.YTicks, chartTick{X: left - 6, Y: y(n), Label: fmt.Sprint(n), Anchor: "end"})
	}
	return ch
}
