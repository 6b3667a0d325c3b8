// Package report is Roundtable's session report: its type, its decoding and
// validation, the check vocabulary, and the reasons a report can be missing
// (not found, unavailable, invalid, ...) with the report_status each maps to.
//
// It is a leaf: it imports only the standard library, so the engine and the
// decision log can read reports without pulling in an HTTP client.
package report
