package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"modernc.org/sqlite"
)

// sqliteBusy is SQLite's primary result code for "the file is locked".
const sqliteBusy = 5

// isBusy reports whether err is SQLite's SQLITE_BUSY (or one of its extended codes).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteBusy
}

// migrateWaiting runs migrate, retrying for up to busyWait while another
// process holds the file in a way SQLite reports at once instead of waiting
// on busy_timeout: a new connection switching the file to WAL, or BEGIN
// IMMEDIATE while another connection does, fails with SQLITE_BUSY without
// calling the busy handler. Replicas starting together on one file hit this.
func migrateWaiting(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyWait)
	delay := 5 * time.Millisecond
	for {
		err := migrate(ctx, db)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// busyWait is how long opening a log waits for another process's lock; the
// same as the connections' busy_timeout.
const busyWait = 10 * time.Second
