package audit

import (
	"context"
	"fmt"
	"time"
)

// Append encodes a trace (EncodeRow, now being the current time) and submits
// it: the whole of a SQL backend's Append once it allows writes.
func (b *Batcher) Append(ctx context.Context, t *Trace) error {
	row, err := EncodeMaskedRow(t, time.Now(), b.Mask)
	if err != nil {
		return err
	}
	return b.Submit(ctx, row)
}

// ConflictError is the error of a trace a backend did not store because its
// id, or its key id and idempotency key, were already stored.
func ConflictError(t *Trace) error {
	return fmt.Errorf("%w: trace id %s or idempotency key %q of key %q", ErrConflict, t.ID, t.IdempotencyKey, t.KeyID)
}

// DeleteInChunks calls del, which deletes at most chunk rows and reports how
// many it deleted, until a call deletes fewer than chunk; it returns the total.
func DeleteInChunks(chunk int64, del func() (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := del()
		if err != nil {
			return total, err
		}
		total += n
		if n < chunk {
			return total, nil
		}
	}
}
