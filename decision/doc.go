// Package decision is the decide sequence of verdict, written once: every
// path that decides — POST /v1/decisions, POST /v1/evaluate, `verdict eval`
// and `verdict replay` — goes through Pipeline.Decide and differs only in
// where the report comes from and which time the decision is made at.
//
// One decision runs these steps, in this order:
//
//  1. fetch: the session's report through a Fetcher (serve), or the report
//     the caller handed in (evaluate, eval, replay). A report that cannot be
//     had is not an error: its report.Status is kept and the policy's
//     on_error decides.
//  2. select: the live and the shadow policy, by the session's tags
//     (engine.Set.Select).
//  3. check context: the caller's context against the live policy's declared
//     fields; a mismatch is the caller's error (*engine.ContextError), unless
//     the request is lenient (replay: the stored caller was answered once).
//  4. memory (not yet): list memberships and counter values the selected
//     policies read, as of the decision time. The seam is marked in
//     Pipeline.Decide; what it reads goes into engine.Facts and the Result,
//     so the trace keeps it and replay is exact.
//  5. evaluate, or fall back: live (and shadow) over engine.Facts with Now
//     pinned to the decision time; Fallback (on_error) when there is no
//     report.
//
// The result is one value, Result: the answer a caller gets and the trace
// the decision log keeps are both derived from it (Result.Trace). Steps after
// the decision — recording the trace (durable before the answer), updating
// counters, opening a review, queueing a webhook — belong to the caller of
// Decide (package api for serve), which holds the Result; they never change
// it.
//
// The package knows nothing of HTTP: no Echo, no net/http, no logging. It
// imports engine, report and audit (for the trace and replay types), and
// audit does not import it.
package decision
