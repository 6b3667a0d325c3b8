package audit

import (
	"errors"
	"testing"
)

func TestDeleteInChunks(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		deletes   []int64 // what each call deletes; an entry < 0 fails
		wantTotal int64
		wantCalls int
		wantErr   error
	}{
		{"nothing", []int64{0}, 0, 1, nil},
		{"short first chunk", []int64{3}, 3, 1, nil},
		{"full chunks then short", []int64{5, 5, 2}, 12, 3, nil},
		{"full chunks then empty", []int64{5, 5, 0}, 10, 3, nil},
		{"error keeps the total so far", []int64{5, -1}, 5, 2, boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			total, err := DeleteInChunks(5, func() (int64, error) {
				n := tc.deletes[calls]
				calls++
				if n < 0 {
					return 0, boom
				}
				return n, nil
			})
			if total != tc.wantTotal || calls != tc.wantCalls || !errors.Is(err, tc.wantErr) {
				t.Errorf("total %d, calls %d, err %v; want %d, %d, %v", total, calls, err, tc.wantTotal, tc.wantCalls, tc.wantErr)
			}
		})
	}
}
