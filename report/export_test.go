package report

// IndexChecks builds a hand-made report's check index as Decode does, from
// its maps, so tests can compare it with a decoded one.
func IndexChecks(r *Report) { r.indexChecks() }
