package idempotency

import (
	"container/list"
	"sync"
	"time"
)

// cache is a bounded LRU of final records. It holds decoded records, which
// are never modified after decoding, so hits share them.
type cache struct {
	max   int
	mu    sync.Mutex
	order *list.List // front: most recently used; values are *cacheEntry
	items map[string]*list.Element
}

type cacheEntry struct {
	key string
	rec *record
}

func newCache(max int) *cache {
	if max <= 0 {
		return nil
	}
	return &cache{max: max, order: list.New(), items: make(map[string]*list.Element, max)}
}

// get returns the unexpired final record at key.
func (c *cache) get(key string, now time.Time) *record {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if !e.rec.until.IsZero() && !now.Before(e.rec.until) {
		c.order.Remove(el)
		delete(c.items, key)
		return nil
	}
	c.order.MoveToFront(el)
	return e.rec
}

// put remembers a final record; in-progress ones are ignored.
func (c *cache) put(key string, r *record) {
	if c == nil || !r.final() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value.(*cacheEntry).rec = r
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, rec: r})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}
