package engine

import "strings"

// suggest returns the known name closest to a misspelt one, if any is within
// an edit distance of 2. It is bounded, since a hostile policy can misspell
// thousands of names against thousands of variables: the distance is computed
// only within that band, for names of at most maxSuggestLen bytes, and at
// most maxSuggestions times per policy.
func (c *compiler) suggest(name string) string {
	if c.suggested >= maxSuggestions || len(name) > maxSuggestLen {
		return ""
	}
	c.suggested++
	name = strings.ToLower(name)
	best, bestD := "", 3
	try := func(k string) {
		if d := editDistanceWithin(name, k, bestD-1); d < bestD {
			best, bestD = k, d
		}
	}
	for _, k := range rootNames {
		try(k)
	}
	for k := range c.vars {
		try(k)
	}
	return best
}

// Bounds of suggest.
const (
	maxSuggestions = 100
	maxSuggestLen  = 64
)

// editDistanceWithin is the edit distance between a and b when it is at most
// k, and k+1 otherwise, computed only in the band |i-j| <= k: O(len(a)·k).
func editDistanceWithin(a, b string, k int) int {
	if k < 0 {
		return 0
	}
	if d := len(a) - len(b); d > k || -d > k {
		return k + 1
	}
	inf := k + 1
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = min(j, inf)
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-k), min(len(b), i+k)
		for j := range cur {
			cur[j] = inf
		}
		if i <= k {
			cur[0] = i
		}
		rowMin := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost, inf)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= inf {
			return inf
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], inf)
}
