package lists

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// List kinds, as policies declare them.
const (
	KindStrings = "strings" // items are strings (the default)
	KindCIDR    = "cidr"    // items are IP ranges
)

// Decl is a list as the live policy set declares it.
type Decl struct {
	Name        string
	Kind        string // KindStrings or KindCIDR
	File        string // path relative to the rules folder; "" when the list lives in the log
	Description string
}

// Errors of the list service; the API maps them to statuses.
var (
	// ErrUndeclared: no policy of the live set declares the list (404).
	ErrUndeclared = errors.New("no policy declares this list")
	// ErrFileBacked: the list is read from a file in the rules folder and
	// changes only with it (409).
	ErrFileBacked = errors.New("the list is file-backed: change its file in the rules folder")
	// ErrNoLog: the list cannot be written without a decision log (503).
	ErrNoLog = errors.New("lists need a decision log")
)

// Service is what the list routes and `verdict lists` do: it checks a
// write against the declared lists, writes it to the log, and (with a
// Memory) brings the snapshot up to date before returning, so every
// decision that starts afterwards sees it.
type Service struct {
	Store    audit.ListStore
	Memory   *Memory                // nil: no snapshot to update (the CLI)
	Declared func() map[string]Decl // the lists the live policy set declares
	Now      func() time.Time       // default time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Decl returns a declared list, or ErrUndeclared.
func (s *Service) Decl(name string) (Decl, error) {
	var decls map[string]Decl
	if s.Declared != nil {
		decls = s.Declared()
	}
	d, ok := decls[name]
	if !ok {
		return Decl{}, fmt.Errorf("list %q: %w", name, ErrUndeclared)
	}
	return d, nil
}

// Info describes a declared list for GET /v1/lists.
type Info struct {
	Decl
	Items int // items present now (from the snapshot)
}

// Lists returns the declared lists, by name, with their item counts.
func (s *Service) Lists() []Info {
	var decls map[string]Decl
	if s.Declared != nil {
		decls = s.Declared()
	}
	out := make([]Info, 0, len(decls))
	now := s.now()
	for _, d := range decls {
		n := 0
		if s.Memory != nil {
			n = s.Memory.Len(d.Name, now)
		}
		out = append(out, Info{Decl: d, Items: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Put adds or updates one item of a declared, log-backed list; created says
// it was added. The value is canonicalized first (see Canonical).
func (s *Service) Put(ctx context.Context, name string, it audit.ListItem) (created bool, stored audit.ListItem, err error) {
	d, err := s.writable(name)
	if err != nil {
		return false, it, err
	}
	if it.Value, err = Canonical(d.Kind, it.Value); err != nil {
		return false, it, err
	}
	if it.UpdatedAt.IsZero() {
		it.UpdatedAt = s.now()
	}
	items := []audit.ListItem{it}
	n, err := s.Store.PutListItems(ctx, name, items)
	if err != nil {
		return false, it, fmt.Errorf("put into list %s: %w", name, err)
	}
	return n == 1, items[0], s.sync(ctx)
}

// Delete removes one item of a declared, log-backed list; audit.ErrNotFound
// when it is absent.
func (s *Service) Delete(ctx context.Context, name, value string, by audit.ListChange) error {
	d, err := s.writable(name)
	if err != nil {
		return err
	}
	if v, err := Canonical(d.Kind, value); err == nil {
		value = v
	}
	if by.At.IsZero() {
		by.At = s.now()
	}
	if err := s.Store.DeleteListItem(ctx, name, value, by); err != nil {
		if errors.Is(err, audit.ErrNotFound) {
			return fmt.Errorf("list %s has no item %.60q: %w", name, value, err)
		}
		return fmt.Errorf("delete from list %s: %w", name, err)
	}
	return s.sync(ctx)
}

// Import adds or updates many items in one transaction: all or none. It
// returns how many were added and how many updated.
func (s *Service) Import(ctx context.Context, name string, items []audit.ListItem) (added, updated int, err error) {
	d, err := s.writable(name)
	if err != nil {
		return 0, 0, err
	}
	now := s.now()
	for i := range items {
		if items[i].Value, err = Canonical(d.Kind, items[i].Value); err != nil {
			return 0, 0, fmt.Errorf("item %d: %w", i+1, err)
		}
		if items[i].UpdatedAt.IsZero() {
			items[i].UpdatedAt = now
		}
	}
	n, err := s.Store.PutListItems(ctx, name, items)
	if err != nil {
		return 0, 0, fmt.Errorf("import into list %s: %w", name, err)
	}
	return n, len(items) - n, s.sync(ctx)
}

func (s *Service) writable(name string) (Decl, error) {
	d, err := s.Decl(name)
	if err != nil {
		return d, err
	}
	if d.File != "" {
		return d, fmt.Errorf("list %q (file %s): %w", name, d.File, ErrFileBacked)
	}
	if s.Store == nil {
		return d, ErrNoLog
	}
	return d, nil
}

// sync brings the snapshot up to date with the write just committed. The
// write itself is durable: a failure here is reported, and the poller
// catches up.
func (s *Service) sync(ctx context.Context) error {
	if s.Memory == nil {
		return nil
	}
	if err := s.Memory.Sync(ctx, s.Store); err != nil {
		return fmt.Errorf("the change is stored, but this server's lists are not yet updated: %w", err)
	}
	return nil
}

// Canonical checks a value for a list of kind and returns the form it is
// stored in: a string list keeps it as given; a cidr list takes an IP range
// or a single address and stores the range with its host bits cleared
// ("10.1.2.3/8" is stored as "10.0.0.0/8", "192.0.2.7" as "192.0.2.7/32",
// an IPv4-mapped IPv6 address as IPv4). An error wraps audit.ErrInvalid.
func Canonical(kind, value string) (string, error) {
	if err := audit.CheckListItem(audit.ListItem{Value: value}); err != nil {
		return "", err
	}
	if kind != KindCIDR {
		return value, nil
	}
	v := strings.TrimSpace(value)
	if p, err := netip.ParsePrefix(v); err == nil {
		a := p.Addr()
		bits := p.Bits()
		if a.Is4In6() {
			if bits < 96 {
				return "", fmt.Errorf("%w: %q is not an IP range this list can hold", audit.ErrInvalid, value)
			}
			a, bits = a.Unmap(), bits-96
		}
		return netip.PrefixFrom(a, bits).Masked().String(), nil
	}
	if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()).String(), nil
	}
	return "", fmt.Errorf("%w: %.60q is not an IP range (10.0.0.0/8, 2001:db8::/32) or an IP address", audit.ErrInvalid, value)
}
