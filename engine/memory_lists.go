package engine

import (
	"fmt"
	"net/netip"
	"slices"
)

// StaticLists is Lists over fixed contents: a suite case's lists, a test's.
// It is safe for concurrent use once built. Membership does not allocate.
type StaticLists struct {
	texts map[string]map[string]struct{}
	nets  map[string]*prefixSet
}

// prefixSet is a cidr list's ranges, by prefix length: a membership masks the
// address once per length present and looks it up, never a scan of ranges.
type prefixSet struct {
	lengths []int // present, longest first
	byLen   map[int]map[netip.Prefix]struct{}
}

func (ps *prefixSet) add(p netip.Prefix) {
	m := ps.byLen[p.Bits()]
	if m == nil {
		m = map[netip.Prefix]struct{}{}
		ps.byLen[p.Bits()] = m
		ps.lengths = append(ps.lengths, p.Bits())
		slices.SortFunc(ps.lengths, func(a, b int) int { return b - a })
	}
	m[p] = struct{}{}
}

func (ps *prefixSet) contains(ip netip.Addr) bool {
	for _, bits := range ps.lengths {
		if bits > ip.BitLen() {
			continue
		}
		p, err := ip.Prefix(bits)
		if err != nil {
			continue
		}
		if _, ok := ps.byLen[bits][p]; ok {
			return true
		}
	}
	return false
}

// NewStaticLists builds StaticLists from items by list name, for the lists
// decls declares: texts for a strings list, IP ranges ("10.0.0.0/8") or
// addresses for a cidr list. A name decls does not declare, or a cidr item
// that is not a range or an address, is an error.
func NewStaticLists(decls []ListDecl, items map[string][]string) (*StaticLists, error) {
	s := &StaticLists{texts: map[string]map[string]struct{}{}, nets: map[string]*prefixSet{}}
	for name, values := range items {
		i := slices.IndexFunc(decls, func(d ListDecl) bool { return d.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("list %q is not declared by the policy", name)
		}
		if decls[i].Kind == ListCIDR {
			ps := &prefixSet{byLen: map[int]map[netip.Prefix]struct{}{}}
			s.nets[name] = ps
			for _, v := range values {
				p, err := ParseCIDRItem(v)
				if err != nil {
					return nil, fmt.Errorf("list %q: %w", name, err)
				}
				ps.add(p)
			}
			continue
		}
		set := make(map[string]struct{}, len(values))
		for _, v := range values {
			set[v] = struct{}{}
		}
		s.texts[name] = set
	}
	return s, nil
}

// ParseCIDRItem reads an item of a cidr list: a range such as 10.0.0.0/8 or
// 2001:db8::/32, or one address (a /32 or /128). The range is masked
// (10.1.2.3/8 is 10.0.0.0/8) and IPv4-mapped IPv6 is taken as IPv4.
func ParseCIDRItem(v string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(v); err == nil {
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, fmt.Errorf("%q: an IPv4-mapped range shorter than /96", v)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an IP range (10.0.0.0/8) nor an address", v)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Contains reports whether value is in the strings list.
func (s *StaticLists) Contains(list, value string) bool {
	_, ok := s.texts[list][value]
	return ok
}

// ContainsIP reports whether ip is in a range of the cidr list.
func (s *StaticLists) ContainsIP(list string, ip netip.Addr) bool {
	ps := s.nets[list]
	return ps != nil && ps.contains(ip)
}
