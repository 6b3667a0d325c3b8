package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/lists"
)

// Page sizes of GET /v1/lists/{name}/items.
const (
	defaultItemsLimit = 100
	maxItemsLimit     = 1000
)

// maxTTL bounds a list item's ttl and expires_at: ten years.
const maxTTL = 10 * 365 * 24 * time.Hour

// listInfo is one list in GET /v1/lists.
type listInfo struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	File        string `json:"file,omitempty"`
	Description string `json:"description,omitempty"`
	ReadOnly    bool   `json:"read_only"`
	Items       int    `json:"items"`
}

// listItem is one item in the list routes' answers.
type listItem struct {
	Value     string     `json:"value"`
	Comment   string     `json:"comment,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	AddedAt   time.Time  `json:"added_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	KeyID     string     `json:"key_id"`
}

func newListItem(it audit.ListItem) listItem {
	out := listItem{Value: it.Value, Comment: it.Comment, AddedAt: it.AddedAt, UpdatedAt: it.UpdatedAt, KeyID: it.KeyID}
	if !it.ExpiresAt.IsZero() {
		e := it.ExpiresAt
		out.ExpiresAt = &e
	}
	return out
}

// putItemRequest is the body of POST /v1/lists/{name}/items.
type putItemRequest struct {
	Value     *string `json:"value"`
	Comment   string  `json:"comment"`
	TTL       *string `json:"ttl"`
	ExpiresAt *string `json:"expires_at"`
}

// listsOf returns the list service, or the 503 of a server without one.
func (s *Server) listService() (*lists.Service, error) {
	if s.lists == nil {
		return nil, errNoLog
	}
	return s.lists, nil
}

// getLists answers GET /v1/lists: the lists the live policy set declares.
func (s *Server) getLists(c echo.Context) error {
	svc, err := s.listService()
	if err != nil {
		return err
	}
	infos := svc.Lists()
	out := make([]listInfo, len(infos))
	for i, in := range infos {
		out[i] = listInfo{Name: in.Name, Kind: in.Kind, File: in.File, Description: in.Description, ReadOnly: in.File != "", Items: in.Items}
	}
	return c.JSON(http.StatusOK, map[string]any{"lists": out})
}

// getListItems answers GET /v1/lists/{name}/items: a page of the items
// present now, by value, with next_cursor when more follow.
func (s *Server) getListItems(c echo.Context) error {
	svc, err := s.listService()
	if err != nil {
		return err
	}
	name := c.Param("name")
	if _, err := svc.Decl(name); err != nil {
		return listError(err)
	}
	limit := defaultItemsLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxItemsLimit {
			return apiError(http.StatusBadRequest, CodeInvalidQuery, "limit: want a whole number from 1 to %d", maxItemsLimit)
		}
		limit = n
	}
	items := make([]listItem, 0, min(limit, 64))
	err = svc.Store.ListItems(c.Request().Context(), audit.ListQuery{List: name, After: c.QueryParam("cursor"), Limit: limit + 1},
		func(it audit.ListItem) error {
			items = append(items, newListItem(it))
			return nil
		})
	if err != nil {
		return readError(fmt.Errorf("read list %s: %w", name, err))
	}
	body := map[string]any{}
	if len(items) > limit {
		items = items[:limit]
		body["next_cursor"] = items[limit-1].Value
	}
	body["items"] = items
	return c.JSON(http.StatusOK, body)
}

// putListItem answers POST /v1/lists/{name}/items: 201 with the item when it
// was added, 200 when the value was there and is updated.
func (s *Server) putListItem(c echo.Context) error {
	svc, err := s.listService()
	if err != nil {
		return err
	}
	name := c.Param("name")
	if _, err := svc.Decl(name); err != nil {
		return listError(err)
	}
	var req putItemRequest
	if _, err := decodeJSON(c, s.bodyLimit, &req); err != nil {
		return err
	}
	if req.Value == nil {
		return apiError(http.StatusBadRequest, CodeInvalidItem, "value is required")
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	it := audit.ListItem{Value: *req.Value, Comment: req.Comment, KeyID: keyID(c), UpdatedAt: now}
	if it.ExpiresAt, err = expiry(req.TTL, req.ExpiresAt, now); err != nil {
		return err
	}
	created, stored, err := svc.Put(c.Request().Context(), name, it)
	if err != nil {
		return listError(err)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, newListItem(stored))
}

// deleteListItem answers DELETE /v1/lists/{name}/items/{value}: 204, or 404
// when the list does not hold the value.
func (s *Server) deleteListItem(c echo.Context) error {
	svc, err := s.listService()
	if err != nil {
		return err
	}
	name := c.Param("name")
	value := c.Param("value")
	if c.Request().URL.RawPath != "" { // Echo routed on the escaped path: %2F stays one segment
		if value, err = url.PathUnescape(value); err != nil {
			return apiError(http.StatusBadRequest, CodeInvalidItem, "value: bad escape in the path")
		}
	}
	if err := svc.Delete(c.Request().Context(), name, value, audit.ListChange{KeyID: keyID(c)}); err != nil {
		return listError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// expiry reads the item's ttl or expires_at (at most one) as an expiry
// time; none gives the zero time (never).
func expiry(ttl, at *string, now time.Time) (time.Time, error) {
	switch {
	case ttl != nil && at != nil:
		return time.Time{}, apiError(http.StatusBadRequest, CodeInvalidItem, "give ttl or expires_at, not both")
	case ttl != nil:
		d, err := parseTTL(*ttl)
		if err != nil || d <= 0 || d > maxTTL {
			return time.Time{}, apiError(http.StatusBadRequest, CodeInvalidItem, "ttl: want a positive duration up to 10 years, such as \"720h\" or \"30d\"")
		}
		return now.Add(d), nil
	case at != nil:
		t, err := time.Parse(time.RFC3339Nano, *at)
		if err != nil {
			return time.Time{}, apiError(http.StatusBadRequest, CodeInvalidItem, "expires_at: want an RFC 3339 time such as 2027-01-01T00:00:00Z")
		}
		if !t.After(now) || t.Sub(now) > maxTTL {
			return time.Time{}, apiError(http.StatusBadRequest, CodeInvalidItem, "expires_at: want a time in the future, within 10 years")
		}
		return t.UTC(), nil
	}
	return time.Time{}, nil
}

// parseTTL reads a Go duration ("720h", "90m") or a number of days ("30d").
func parseTTL(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n > 100000 {
			return 0, fmt.Errorf("bad number of days %q", d)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// listError maps the list service's errors to API errors.
func listError(err error) error {
	switch {
	case errors.Is(err, lists.ErrUndeclared):
		return &Error{Status: http.StatusNotFound, Code: CodeListNotFound, Message: "no policy declares this list", err: err}
	case errors.Is(err, lists.ErrFileBacked):
		return &Error{Status: http.StatusConflict, Code: CodeListReadOnly, Message: err.Error(), err: err}
	case errors.Is(err, audit.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeItemNotFound, Message: "the list does not hold this value", err: err}
	case errors.Is(err, audit.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidItem, Message: strings.TrimPrefix(err.Error(), "audit: invalid input: "), err: err}
	case errors.Is(err, lists.ErrNoLog):
		return errNoLog
	}
	return readError(err)
}
