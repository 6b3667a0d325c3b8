package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/lists"
)

// Bounds of the list pages.
const (
	listPageSize   = 100     // items per page
	listScanLimit  = 100_000 // items a search looks through before it stops
	listHistoryMax = 100     // changes shown, the latest
	maxListTTL     = 10 * 365 * 24 * time.Hour
)

// listsView is the lists page: the declared lists.
type listsView struct {
	Lists  []lists.Info
	NoList bool
}

// listsPage shows the lists the live policy set declares.
func (c *Console) listsPage(w http.ResponseWriter, r *http.Request, s *session) {
	if c.opts.Lists == nil {
		c.render(w, r, s, http.StatusServiceUnavailable, "lists", "Lists", listsView{NoList: true})
		return
	}
	c.render(w, r, s, http.StatusOK, "lists", "Lists", listsView{Lists: c.opts.Lists.Lists()})
}

// listView is one list's page: its items (a page, or a search), the add
// form, and its latest changes.
type listView struct {
	Decl      lists.Decl
	Items     []audit.ListItem
	Q         string
	NextURL   string
	Truncated bool // the search stopped at listScanLimit
	History   []audit.ListChange
	Message   string
	Error     string
	Form      struct{ Value, TTL, Comment string }
}

// listPage shows one list.
func (c *Console) listPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showList(w, r, s, http.StatusOK, doneListMessage(r.URL.Query().Get("done")), "", nil)
}

func doneListMessage(code string) string {
	switch code {
	case "added":
		return "Added. Decisions from now on see it."
	case "updated":
		return "Updated. Decisions from now on see it."
	case "removed":
		return "Removed. Decisions from now on no longer see it."
	}
	return ""
}

func (c *Console) showList(w http.ResponseWriter, r *http.Request, s *session, status int, msg, errMsg string, form url.Values) {
	svc := c.opts.Lists
	if svc == nil {
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "No lists", "This server keeps no lists.")
		return
	}
	name := r.PathValue("name")
	d, err := svc.Decl(name)
	if err != nil {
		c.errorPage(w, r, s, http.StatusNotFound, "No such list", "No live policy declares a list of this name.")
		return
	}
	v := listView{Decl: d, Message: msg, Error: errMsg}
	if form != nil {
		v.Form.Value, v.Form.TTL, v.Form.Comment = form.Get("value"), form.Get("ttl"), form.Get("comment")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		q = url.Values{}
	}
	v.Q = strings.TrimSpace(q.Get("q"))
	cursor := q.Get("cursor")
	scanned := 0
	stop := errors.New("stop")
	needle := strings.ToLower(v.Q)
	var last string
	err = svc.Store.ListItems(r.Context(), audit.ListQuery{List: name, After: cursor, Limit: listScanLimit + 1}, func(it audit.ListItem) error {
		scanned++
		if scanned > listScanLimit {
			v.Truncated = true
			return stop
		}
		last = it.Value
		if needle != "" && !strings.Contains(strings.ToLower(it.Value), needle) && !strings.Contains(strings.ToLower(it.Comment), needle) {
			return nil
		}
		if len(v.Items) == listPageSize {
			next := url.Values{"cursor": {v.Items[len(v.Items)-1].Value}}
			if v.Q != "" {
				next.Set("q", v.Q)
			}
			v.NextURL = "/console/lists/" + url.PathEscape(name) + "?" + next.Encode()
			return stop
		}
		v.Items = append(v.Items, it)
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "Lists unavailable", "The list could not be read; retry.")
		return
	}
	if v.Truncated {
		next := url.Values{"cursor": {last}, "q": {v.Q}}
		v.NextURL = "/console/lists/" + url.PathEscape(name) + "?" + next.Encode()
	}
	v.History = c.listHistory(r, name)
	c.render(w, r, s, status, "list", "List "+name, v)
}

// listHistory is the list's latest changes, newest first.
func (c *Console) listHistory(r *http.Request, name string) []audit.ListChange {
	ring := make([]audit.ListChange, 0, listHistoryMax)
	_ = c.opts.Lists.Store.ListChanges(r.Context(), 0, func(ch audit.ListChange) error {
		if ch.List != name {
			return nil
		}
		if len(ring) == listHistoryMax {
			ring = ring[1:]
		}
		ring = append(ring, ch)
		return nil
	})
	for i, j := 0, len(ring)-1; i < j; i, j = i+1, j-1 {
		ring[i], ring[j] = ring[j], ring[i]
	}
	return ring
}

// addListItem adds (or updates) an item with an optional ttl and comment.
func (c *Console) addListItem(w http.ResponseWriter, r *http.Request, s *session) {
	svc := c.opts.Lists
	if svc == nil {
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "No lists", "This server keeps no lists.")
		return
	}
	name := r.PathValue("name")
	now := c.now().UTC().Truncate(time.Microsecond)
	it := audit.ListItem{Value: strings.TrimSpace(r.PostForm.Get("value")), Comment: strings.TrimSpace(r.PostForm.Get("comment")), KeyID: s.KeyID, UpdatedAt: now}
	if ttl := strings.TrimSpace(r.PostForm.Get("ttl")); ttl != "" {
		d, err := parseTTL(ttl)
		if err != nil {
			c.showList(w, r, s, http.StatusBadRequest, "", err.Error(), r.PostForm)
			return
		}
		it.ExpiresAt = now.Add(d)
	}
	created, _, err := svc.Put(r.Context(), name, it)
	if err != nil {
		status, msg := listErr(err)
		c.showList(w, r, s, status, "", msg, r.PostForm)
		return
	}
	done := "updated"
	if created {
		done = "added"
	}
	http.Redirect(w, r, "/console/lists/"+url.PathEscape(name)+"?done="+done, http.StatusSeeOther)
}

// removeListItem removes an item.
func (c *Console) removeListItem(w http.ResponseWriter, r *http.Request, s *session) {
	svc := c.opts.Lists
	if svc == nil {
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "No lists", "This server keeps no lists.")
		return
	}
	name := r.PathValue("name")
	err := svc.Delete(r.Context(), name, r.PostForm.Get("value"), audit.ListChange{KeyID: s.KeyID, Comment: strings.TrimSpace(r.PostForm.Get("comment")), At: c.now()})
	if err != nil {
		status, msg := listErr(err)
		c.showList(w, r, s, status, "", msg, nil)
		return
	}
	http.Redirect(w, r, "/console/lists/"+url.PathEscape(name)+"?done=removed", http.StatusSeeOther)
}

// parseTTL reads "30d", "12h", "90m": a positive time up to ten years.
func parseTTL(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		days, err = strconv.Atoi(n)
		d = time.Duration(days) * 24 * time.Hour
		if days > 3660 {
			err = errors.New("too long")
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 || d > maxListTTL {
		return 0, fmt.Errorf("ttl %q: give a positive time up to 10 years, such as 30d, 12h or 90m", s)
	}
	return d, nil
}

// listErr maps the list service's errors to a status and a sentence.
func listErr(err error) (int, string) {
	switch {
	case errors.Is(err, lists.ErrUndeclared):
		return http.StatusNotFound, "No live policy declares this list."
	case errors.Is(err, lists.ErrFileBacked):
		return http.StatusConflict, "This list is read from a file in the rules folder: change the file."
	case errors.Is(err, audit.ErrNotFound):
		return http.StatusNotFound, "The list does not hold this value."
	case errors.Is(err, audit.ErrInvalid):
		return http.StatusBadRequest, strings.TrimPrefix(err.Error(), "audit: invalid input: ")
	case errors.Is(err, lists.ErrNoLog):
		return http.StatusServiceUnavailable, "Lists need a decision log."
	}
	return http.StatusServiceUnavailable, "The list could not be changed; retry."
}
