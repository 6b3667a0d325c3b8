package audit

import (
	"fmt"
	"reflect"
	"testing"
)

func TestPendingAndCheckVersion(t *testing.T) {
	ms := []Migration{{Version: 1}, {Version: 2}}
	tests := []struct {
		current     int
		wantPending []int
		wantErr     bool
		wantReadErr bool
	}{
		{0, []int{1, 2}, false, true},
		{1, []int{2}, false, true},
		{2, nil, false, false},
		{3, nil, true, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.current), func(t *testing.T) {
			got, err := Pending(ms, tc.current)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Pending(%d) error = %v, want error %v", tc.current, err, tc.wantErr)
			}
			var versions []int
			for _, m := range got {
				versions = append(versions, m.Version)
			}
			if !reflect.DeepEqual(versions, tc.wantPending) {
				t.Errorf("Pending(%d) = %v, want %v", tc.current, versions, tc.wantPending)
			}
			if err := CheckVersion(ms, tc.current); (err != nil) != tc.wantReadErr {
				t.Errorf("CheckVersion(%d) = %v, want error %v", tc.current, err, tc.wantReadErr)
			}
		})
	}
}
