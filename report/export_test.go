package report

// IndexChecks builds a hand-made report's check index as Decode does, from
// its maps, so tests can compare it with a decoded one.
func IndexChecks(r *Report) { r.indexChecks() }

// DecodeReportJSON is the json v2 decoder, for the side-by-side benchmark.
func DecodeReportJSON(raw []byte) (*Report, error) { return decodeReportJSON(raw, true) }
