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
// wrote. The report appears inline as JSON (compacted), or as report_base64
// when the bytes received were not JSON.
func ExportJSONL(ctx context.Context, s Store, since, until time.Time, w io.Writer) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var n int64
	err := s.Export(ctx, since, until, func(t *Trace) error {
		if err := enc.Encode(t); err != nil {
			return fmt.Errorf("write trace %s: %w", t.ID, err)
		}
		n++
		return nil
	})
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write export: %w", ferr)
	}
	return n, err
}
