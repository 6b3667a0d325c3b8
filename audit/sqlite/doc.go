// Package sqlite is the embedded decision-log store, verdict's default: one
// SQLite file (modernc.org/sqlite, pure Go, no cgo) in WAL mode with
// synchronous=FULL, written by one connection through the group-commit
// audit.Batcher and read by a small pool of reader connections.
//
// Importing it registers the "sqlite" backend with audit.Open, which takes a
// file path, sqlite://PATH or file:PATH. A path naming an existing folder
// means the file verdict.db inside it.
package sqlite
