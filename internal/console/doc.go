// Package console is verdict's browser console: server-rendered pages for
// auditors and analysts over the same services the API handlers use — the
// decision log's query methods and the live policy set — never over HTTP to
// the API itself.
//
// It is a plain net/http handler that package api mounts at /console/. Pages
// are html/template files and one stylesheet, embedded in the binary; there is
// no JavaScript build and no asset from a CDN.
//
// Sign-in takes an API key (form field "key" posted to /console/login) and
// answers a session cookie holding only a random session id; the server maps
// it to the key's id and scopes (the key itself is never kept). Sessions end
// after 8 hours idle or on sign-out. Every state-changing form carries a CSRF
// token; a POST without it is a 403. What a page shows and allows follows the
// key's scopes: audit reads, review also works reviews and lists, admin also
// validates and backtests drafts.
//
// The console is not the API: it answers HTML, keeps sessions in this
// process's memory (several replicas need sticky sessions, or a sign-in per
// replica), and never prints a key.
package console
