package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ExportJSONL streams the traces with since <= decided_at < until to w as
// JSON Lines (one trace per line, oldest first) and returns how many it
// wrote, and how many of those were unreadable entries (a stored trace that
// cannot be decoded: its id, decided_at, why, and the report; see
// DecodeRow). The report appears inline as JSON (compacted), or as
// report_base64 when the bytes received were not JSON.
func ExportJSONL(ctx context.Context, s Store, since, until time.Time, w io.Writer) (n, unreadable int64, err error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err = s.Export(ctx, since, until, func(t *Trace) error {
		if err := enc.Encode(t); err != nil {
			return fmt.Errorf("write trace %s: %w", t.ID, err)
		}
		n++
		if t.Unreadable != "" {
			unreadable++
		}
		return nil
	})
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write export: %w", ferr)
	}
	return n, unreadable, err
}
