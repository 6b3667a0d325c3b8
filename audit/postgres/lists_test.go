package postgres_test

import (
	"testing"

	"github.com/verdicthq/verdict/internal/audittest"
)

func TestListConformance(t *testing.T) {
	audittest.RequirePostgres(t)
	audittest.RunLists(t, func(t *testing.T) string { return newSchema(t) })
}
