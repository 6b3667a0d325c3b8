package fetcher

// Waiters returns how many callers wait on the session's shared fetch, the
// leader included; 0 when none is under way. For tests that must know the
// waiters have joined before they act.
func Waiters(c *Client, id string) int {
	c.flights.mu.Lock()
	defer c.flights.mu.Unlock()
	if call, ok := c.flights.calls[id]; ok {
		return call.waiters
	}
	return 0
}
