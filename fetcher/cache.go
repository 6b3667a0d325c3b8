package fetcher

import (
	"container/list"
	"sync"
	"time"

	"github.com/verdicthq/verdict/report"
)

// cache is a size-bounded, least-recently-used map of reports that expire
// after a fixed time. Only successful fetches are stored.
type cache struct {
	ttl  time.Duration
	size int

	mu    sync.Mutex
	items map[string]*list.Element
	order *list.List // front: most recently used
}

type cacheEntry struct {
	id      string
	rep     *report.Report
	expires time.Time
}

// newCache returns a cache, or nil (every method is a no-op) when ttl < 0.
func newCache(ttl time.Duration, size int) *cache {
	if ttl < 0 {
		return nil
	}
	return &cache{ttl: ttl, size: size, items: make(map[string]*list.Element), order: list.New()}
}

// get returns the unexpired report for id.
func (c *cache) get(id string, now time.Time) (*report.Report, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[id]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, id)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.rep, true
}

// put stores rep for id until now+ttl, evicting the least recently used
// entry when full.
func (c *cache) put(id string, rep *report.Report, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		e := el.Value.(*cacheEntry)
		e.rep, e.expires = rep, now.Add(c.ttl)
		c.order.MoveToFront(el)
		return
	}
	for c.order.Len() >= c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*cacheEntry).id)
	}
	c.items[id] = c.order.PushFront(&cacheEntry{id: id, rep: rep, expires: now.Add(c.ttl)})
}

// len returns the number of entries, expired ones included.
func (c *cache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}
