package audit

import "fmt"

// Migration is one schema version of a SQL backend: statements applied in
// order, once. Never edit a released one: add a new version.
type Migration struct {
	Version int
	Stmts   []string
	// Rebuilds names a table the statements drop and create anew (SQLite
	// cannot change a primary key in place): the indexes and triggers other
	// migrations put on it, and these statements do not re-create, are
	// re-created after them.
	Rebuilds string
}

// Pending returns the migrations of ms (in ascending version order) that a
// schema at version current still lacks. It refuses a schema newer than the
// last of ms, which this binary cannot read.
func Pending(ms []Migration, current int) ([]Migration, error) {
	latest := ms[len(ms)-1].Version
	if current > latest {
		return nil, fmt.Errorf("schema version %d is newer than this verdict knows (%d): upgrade verdict", current, latest)
	}
	var out []Migration
	for _, m := range ms {
		if m.Version > current {
			out = append(out, m)
		}
	}
	return out, nil
}

// CheckVersion refuses, for a read-only open (which never migrates), a schema
// at any version but the last of ms.
func CheckVersion(ms []Migration, current int) error {
	latest := ms[len(ms)-1].Version
	switch {
	case current > latest:
		return fmt.Errorf("schema version %d is newer than this verdict knows (%d): upgrade verdict", current, latest)
	case current < latest:
		return fmt.Errorf("schema version %d is older than this verdict reads (%d): upgrade the log in place by opening it once for writing (verdict serve, or any verdict command that writes), then read it", current, latest)
	}
	return nil
}
