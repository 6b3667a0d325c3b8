package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// PolicyLog is implemented by stores that keep the policies' sources: every
// version that went live or ran as shadow, stored once under its version
// (the hex SHA-256 of its bytes), with each time it went live and how. Both
// shipped stores implement it.
type PolicyLog interface {
	// RecordPolicy stores v's source unless its version is already stored,
	// and adds the activation a. It refuses a source whose SHA-256 is not
	// v.Version.
	RecordPolicy(ctx context.Context, v PolicyVersion, a Activation) error
	// PolicyVersion returns the stored source of a version with its
	// activations, oldest first, or ErrNotFound.
	PolicyVersion(ctx context.Context, version string) (*PolicyVersion, error)
}

// PolicyVersion is one policy's source as it went live.
type PolicyVersion struct {
	Version string    `json:"version"` // hex SHA-256 of Source
	Name    string    `json:"name"`
	File    string    `json:"file"`      // the file it was loaded from, first time
	Source  []byte    `json:"-"`         // the file's exact bytes
	Stored  time.Time `json:"stored_at"` // when the source was first stored
	// Activations lists every time the version went live or shadow.
	Activations []Activation `json:"activations"`
}

// Activation is one time a policy version was put to work.
type Activation struct {
	At time.Time `json:"at"`
	// Mode is "live" or "shadow".
	Mode string `json:"mode"`
	// Trigger says how: "start", "watch", "sighup" or "api".
	Trigger string `json:"trigger"`
	// KeyID names the API key that asked for an "api" reload.
	KeyID string `json:"key_id,omitempty"`
}

// CheckPolicyVersion refuses a version whose source does not hash to it.
func CheckPolicyVersion(v PolicyVersion) error {
	sum := sha256.Sum256(v.Source)
	if hex.EncodeToString(sum[:]) != v.Version {
		return fmt.Errorf("%w: policy %s: the source does not hash to version %s", ErrInvalid, v.Name, v.Version)
	}
	if v.Name == "" {
		return fmt.Errorf("%w: policy version %s has no name", ErrInvalid, v.Version)
	}
	return nil
}

type keyIDKey struct{}

// WithKeyID returns a context naming the API key on whose behalf something
// is done (a reload asked through the API), for the records it leaves.
func WithKeyID(ctx context.Context, keyID string) context.Context {
	return context.WithValue(ctx, keyIDKey{}, keyID)
}

// KeyIDFrom is the key id WithKeyID put in ctx, or "".
func KeyIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(keyIDKey{}).(string)
	return id
}
