package postgres_test

import (
	"testing"

	"github.com/verdicthq/verdict/internal/audittest"
)

func TestLoopConformance(t *testing.T) {
	audittest.RequirePostgres(t)
	audittest.RunLoop(t, func(t *testing.T) string { return newSchema(t) })
}
