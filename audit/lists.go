package audit

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// ListStore keeps the items of block and allow lists in the decision log,
// with every change as history. Both shipped stores implement it; callers
// type-assert an audit.Store to it.
//
// A list item is present at a time t when it was added (or updated) at or
// before t, not removed since, and its expiry, if any, is after t. An
// expired item is absent everywhere: reads skip it, a removal answers
// ErrNotFound, and putting it again is an add.
type ListStore interface {
	// PutListItems adds or updates items of one list in one transaction: all
	// or none. Every item records a change (action add, or update when the
	// value was present at the items' time). It returns how many were
	// added (the rest were updated).
	PutListItems(ctx context.Context, list string, items []ListItem) (added int, err error)
	// DeleteListItem removes a present item and records the change; it
	// returns ErrNotFound when the value is absent.
	DeleteListItem(ctx context.Context, list, value string, by ListChange) error
	// ListItems calls fn for the items present at q.At (zero: now) of list q.List
	// ("" for every list), ordered by list then value, after q.After, at most
	// q.Limit of them (0: no limit).
	ListItems(ctx context.Context, q ListQuery, fn func(ListItem) error) error
	// ListChanges calls fn for every recorded change with a sequence number
	// above afterSeq, in sequence order. A change is visible to it only once
	// every change with a lower number is (the numbers are given in commit
	// order), so a reader that polls from its last seen number misses none.
	ListChanges(ctx context.Context, afterSeq int64, fn func(ListChange) error) error
	// ListSeq returns the highest change sequence number recorded, 0 when none.
	ListSeq(ctx context.Context) (int64, error)
	// ListSizes returns how many items each list holds, expired ones
	// included (what a reader of every item sizes its maps by).
	ListSizes(ctx context.Context) (map[string]int, error)
}

// ListItem is one item of a list.
type ListItem struct {
	List      string // the list's name: filled by ListItems
	Value     string
	Comment   string
	ExpiresAt time.Time // zero: never expires
	AddedAt   time.Time // when it was (last) added; filled by the store
	UpdatedAt time.Time // when it was last changed: the change's time (zero: now)
	KeyID     string    // the API key (or "cli") that made the last change
}

// ListChange is one recorded change of a list: the history an auditor reads
// and replay computes past memberships from.
type ListChange struct {
	Seq       int64
	List      string
	Value     string
	Action    string // ListAdd, ListUpdate or ListRemove
	Comment   string
	ExpiresAt time.Time // the expiry the item got (add, update); zero: never
	KeyID     string
	At        time.Time
}

// List change actions.
const (
	ListAdd    = "add"
	ListUpdate = "update"
	ListRemove = "remove"
)

// ListQuery selects list items for ListItems.
type ListQuery struct {
	List  string    // "" for every list
	After string    // only values after this one (a page's cursor)
	Limit int       // at most this many; 0: all
	At    time.Time // present at this time; zero: now
	// Lean fills only List, Value and ExpiresAt, in no particular order,
	// ignoring After and Limit: the fastest read of every item, for loading
	// a snapshot.
	Lean bool
}

// MaxListValue is the longest list value, in bytes.
const MaxListValue = 1024

// MaxListComment is the longest comment on a list item or change, in bytes.
const MaxListComment = 4096

// CheckListItem validates what a store keeps of an item: a value of 1 to
// MaxListValue bytes of UTF-8 without NUL, a comment within MaxListComment.
func CheckListItem(it ListItem) error {
	switch {
	case it.Value == "":
		return fmt.Errorf("%w: empty list value", ErrInvalid)
	case len(it.Value) > MaxListValue:
		return fmt.Errorf("%w: list value of %d bytes, over the limit of %d", ErrInvalid, len(it.Value), MaxListValue)
	case !utf8.ValidString(it.Value) || containsNUL(it.Value):
		return fmt.Errorf("%w: list value is not UTF-8 text without NUL", ErrInvalid)
	case len(it.Comment) > MaxListComment:
		return fmt.Errorf("%w: comment of %d bytes, over the limit of %d", ErrInvalid, len(it.Comment), MaxListComment)
	case !utf8.ValidString(it.Comment) || containsNUL(it.Comment):
		return fmt.Errorf("%w: comment is not UTF-8 text without NUL", ErrInvalid)
	}
	return nil
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// PrepareListItems validates items and fills their change time (now when
// zero), truncated to microseconds in UTC as the log keeps times; an item
// already expired at its change time is refused.
func PrepareListItems(list string, items []ListItem, now time.Time) error {
	if list == "" || len(list) > 128 {
		return fmt.Errorf("%w: list name of %d bytes", ErrInvalid, len(list))
	}
	for i := range items {
		it := &items[i]
		if err := CheckListItem(*it); err != nil {
			return fmt.Errorf("item %d: %w", i+1, err)
		}
		if it.UpdatedAt.IsZero() {
			it.UpdatedAt = now
		}
		it.UpdatedAt = it.UpdatedAt.UTC().Truncate(time.Microsecond)
		if !it.ExpiresAt.IsZero() {
			it.ExpiresAt = it.ExpiresAt.UTC().Truncate(time.Microsecond)
			if !it.ExpiresAt.After(it.UpdatedAt) {
				return fmt.Errorf("%w: item %d (%.40q) expires at %s, not after its change time", ErrInvalid, i+1, it.Value, it.ExpiresAt.Format(time.RFC3339))
			}
		}
	}
	return nil
}
