// Package webhook delivers verdict's webhook events (review.opened,
// review.resolved, decision.denied) from the decision log's outbox to the
// configured endpoints: signed, at least once, retried with exponential
// backoff and jitter for up to 24 hours, across restarts, never on a
// decision's path. It knows HTTP and the audit.Outbox interface, nothing of
// the API or the pipeline.
package webhook
