package fetcher_test

import (
	"testing"
	"unicode/utf8"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func isValidUTF8(s string) bool { return utf8.ValidString(s) }
