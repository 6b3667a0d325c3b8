package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// reviewsView is the review queue's page.
type reviewsView struct {
	Status, Policy, Rule string
	Reviews              []reviewRow
	NextURL              string
	Error                string
	NoQueue              bool
}

// reviewRow is one review in the queue, with its claim as it holds now.
type reviewRow struct {
	*audit.Review
	Claimer string // who holds a live claim, "" when none
	Age     string
}

// reviewQueue is the decision log's review queue, or nil.
func (c *Console) reviewQueue() audit.Reviews {
	rv, _ := c.opts.Log.(audit.Reviews)
	return rv
}

// reviews shows the queue, oldest opened first, keyset-paged.
func (c *Console) reviews(w http.ResponseWriter, r *http.Request, s *session) {
	v := reviewsView{}
	rv := c.reviewQueue()
	if rv == nil {
		v.NoQueue = true
		c.render(w, r, s, http.StatusServiceUnavailable, "reviews", "Review queue", v)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		v.Error = "The filter could not be read: " + err.Error()
		c.render(w, r, s, http.StatusBadRequest, "reviews", "Review queue", v)
		return
	}
	f := audit.ReviewFilter{Status: q.Get("status"), Policy: strings.TrimSpace(q.Get("policy")), Rule: strings.TrimSpace(q.Get("rule")), Cursor: q.Get("cursor")}
	v.Status, v.Policy, v.Rule = f.Status, f.Policy, f.Rule
	if v.Status == "" {
		v.Status = audit.ReviewOpen
	}
	if _, err := f.Normalize(); err != nil {
		v.Error = err.Error()
		c.render(w, r, s, http.StatusBadRequest, "reviews", "Review queue", v)
		return
	}
	page, err := rv.Reviews(r.Context(), f)
	if err != nil {
		status := http.StatusServiceUnavailable
		v.Error = "The review queue is unavailable; retry."
		if errors.Is(err, audit.ErrInvalid) {
			status, v.Error = http.StatusBadRequest, err.Error()
		}
		c.render(w, r, s, status, "reviews", "Review queue", v)
		return
	}
	now := c.now()
	for _, rev := range page.Reviews {
		v.Reviews = append(v.Reviews, c.reviewRow(rev, now))
	}
	if page.NextCursor != "" {
		next := url.Values{"status": {v.Status}, "cursor": {page.NextCursor}}
		if v.Policy != "" {
			next.Set("policy", v.Policy)
		}
		if v.Rule != "" {
			next.Set("rule", v.Rule)
		}
		v.NextURL = "/console/reviews?" + next.Encode()
	}
	c.render(w, r, s, http.StatusOK, "reviews", "Review queue", v)
}

func (c *Console) reviewRow(rev *audit.Review, now time.Time) reviewRow {
	row := reviewRow{Review: rev, Age: age(now.Sub(rev.OpenedAt))}
	if by, ok := rev.ClaimHeld(now); ok {
		row.Claimer = by
	}
	return row
}

// age says how long ago, in the largest whole unit.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(int(d/(24*time.Hour)), "day")
	}
}

func plural(n int, unit string) string {
	s := strconv.Itoa(n) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s + " ago"
}

// reviewView is one review's page.
type reviewView struct {
	Row      reviewRow
	Trace    *audit.Trace
	MineHeld bool   // the session's key holds the claim
	Next     string // the next open review to work, "" when none
	Message  string // what the last action did
	Error    string
}

// review shows one review with its decision, history, claim and resolve forms.
func (c *Console) review(w http.ResponseWriter, r *http.Request, s *session) {
	c.showReview(w, r, s, http.StatusOK, r.URL.Query().Get("done"), "")
}

func (c *Console) showReview(w http.ResponseWriter, r *http.Request, s *session, status int, msg, errMsg string) {
	rv := c.reviewQueue()
	if rv == nil {
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "No review queue", "This server's decision log keeps no review queue.")
		return
	}
	id := r.PathValue("id")
	rev, err := rv.Review(r.Context(), id)
	switch {
	case errors.Is(err, audit.ErrNotFound):
		c.errorPage(w, r, s, http.StatusNotFound, "No such review", "No review was opened for this decision.")
		return
	case err != nil:
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "Review queue unavailable", "The review could not be read; retry.")
		return
	}
	now := c.now()
	v := reviewView{Row: c.reviewRow(rev, now), Message: doneMessage(msg), Error: errMsg}
	v.MineHeld = v.Row.Claimer == s.KeyID
	if t, err := c.opts.Log.Get(r.Context(), id); err == nil {
		v.Trace = t
	}
	v.Next = c.nextReview(r, rv, id)
	c.render(w, r, s, status, "review", "Review "+id, v)
}

// nextReview is the oldest open review other than id that no one else holds.
func (c *Console) nextReview(r *http.Request, rv audit.Reviews, id string) string {
	now := c.now()
	f := audit.ReviewFilter{Status: audit.ReviewOpen, Limit: 20}
	for range 5 { // at most 100 reviews looked at
		page, err := rv.Reviews(r.Context(), f)
		if err != nil {
			return ""
		}
		for _, rev := range page.Reviews {
			if rev.DecisionID == id {
				continue
			}
			if _, held := rev.ClaimHeld(now); !held {
				return rev.DecisionID
			}
		}
		if page.NextCursor == "" {
			return ""
		}
		f.Cursor = page.NextCursor
	}
	return ""
}

func doneMessage(code string) string {
	switch code {
	case "claimed":
		return "You hold this review for 30 minutes."
	case "resolved":
		return "The previous review is resolved."
	}
	return ""
}

// claimReview claims a review for the session's key.
func (c *Console) claimReview(w http.ResponseWriter, r *http.Request, s *session) {
	rv := c.reviewQueue()
	if rv == nil {
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "No review queue", "This server's decision log keeps no review queue.")
		return
	}
	id := r.PathValue("id")
	_, err := rv.ClaimReview(r.Context(), id, s.KeyID, c.now())
	if err != nil {
		status, msg := reviewErr(err)
		c.showReview(w, r, s, status, "", msg)
		return
	}
	http.Redirect(w, r, "/console/reviews/"+url.PathEscape(id)+"?done=claimed", http.StatusSeeOther)
}

// resolveReview resolves a review to allow or deny with a note, then goes
// to the next open review.
func (c *Console) resolveReview(w http.ResponseWriter, r *http.Request, s *session) {
	rv := c.reviewQueue()
	if rv == nil {
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "No review queue", "This server's decision log keeps no review queue.")
		return
	}
	id := r.PathValue("id")
	out := engine.Outcome(r.PostForm.Get("outcome"))
	if out != engine.Allow && out != engine.Deny {
		c.showReview(w, r, s, http.StatusBadRequest, "", "Resolve with allow or deny.")
		return
	}
	note := strings.TrimSpace(r.PostForm.Get("note"))
	if len(note) > audit.MaxNote {
		c.showReview(w, r, s, http.StatusBadRequest, "", "The note is longer than 4,096 bytes.")
		return
	}
	_, err := rv.ResolveReview(r.Context(), id, audit.Resolution{Outcome: out, Note: note, By: s.KeyID, At: c.now()})
	if err != nil {
		status, msg := reviewErr(err)
		c.showReview(w, r, s, status, "", msg)
		return
	}
	if next := c.nextReview(r, rv, id); next != "" {
		http.Redirect(w, r, "/console/reviews/"+url.PathEscape(next)+"?done=resolved", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/reviews?done=resolved", http.StatusSeeOther)
}

// reviewErr maps the queue's errors to a status and a sentence.
func reviewErr(err error) (int, string) {
	switch {
	case errors.Is(err, audit.ErrNotFound):
		return http.StatusNotFound, "No review was opened for this decision."
	case errors.Is(err, audit.ErrResolved):
		return http.StatusConflict, "This review is already resolved."
	case errors.Is(err, audit.ErrClaimed):
		return http.StatusConflict, "Another analyst holds this review; it is theirs until their claim lapses."
	case errors.Is(err, audit.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	}
	return http.StatusServiceUnavailable, "The review queue is unavailable; retry."
}
