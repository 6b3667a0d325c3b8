package api

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/verdicthq/verdict/audit"
)

// reviewCollector reports the review queue's gauges at scrape time, from the
// decision log (so every replica reports the shared queue).
type reviewCollector struct {
	rv     audit.Reviews
	now    func() time.Time
	open   *prometheus.Desc
	oldest *prometheus.Desc
}

// watchReviews registers the review queue's gauges: verdict_reviews_open
// and verdict_review_oldest_open_age_seconds. A registry that has them
// already (one Metrics shared by several servers) keeps the first.
func (m *Metrics) watchReviews(rv audit.Reviews, now func() time.Time) {
	_ = m.reg.Register(&reviewCollector{rv: rv, now: now,
		open:   prometheus.NewDesc("verdict_reviews_open", "Reviews waiting for an analyst (claimed or not).", nil, nil),
		oldest: prometheus.NewDesc("verdict_review_oldest_open_age_seconds", "Age of the oldest open review; 0 when none is open.", nil, nil),
	})
}

// Describe implements prometheus.Collector.
func (c *reviewCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.oldest
}

// Collect implements prometheus.Collector: one query, bounded to 2 s; a log
// that does not answer leaves the gauges out of this scrape.
func (c *reviewCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.rv.ReviewStats(ctx)
	if err != nil {
		return
	}
	age := 0.0
	if !st.OldestOpen.IsZero() {
		age = max(0, c.now().Sub(st.OldestOpen).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(st.Open))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
