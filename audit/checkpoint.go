package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Checkpoint is a chain's head at a moment: the hash of its trace at Seq,
// signed with the log's Ed25519 key when one is configured. An auditor who
// holds exported checkpoints and the public key can tell, without trusting
// the database, that the chain up to Seq is the one that was signed, and
// retention leaves one for the range it removes (Reason "retention").
type Checkpoint struct {
	Chain  string    `json:"chain"`
	Seq    int64     `json:"seq"`
	Hash   string    `json:"hash"` // hex
	At     time.Time `json:"at"`
	Reason string    `json:"reason"` // "periodic", "retention" or "manual"
	// Removed is, for a retention checkpoint, how many traces it sums up.
	Removed int64 `json:"removed,omitempty"`
	// PublicKey and Signature (hex) are empty when no key is configured.
	PublicKey string `json:"public_key,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// CheckpointLog is implemented by stores that keep a hash chain: both
// shipped stores.
type CheckpointLog interface {
	// ChainRows calls fn for the chain segments holding every trace with
	// since <= decided_at < until (a zero time leaves that end open), ordered
	// by chain, then seq. The row and its slices are valid only until fn
	// returns.
	ChainRows(ctx context.Context, since, until time.Time, fn func(*ChainRow) error) error
	// Heads returns each chain's last trace as an unsigned checkpoint.
	Heads(ctx context.Context) ([]Checkpoint, error)
	// AddCheckpoint stores a checkpoint (signed or not).
	AddCheckpoint(ctx context.Context, c Checkpoint) error
	// Checkpoints returns the stored checkpoints, oldest first.
	Checkpoints(ctx context.Context) ([]Checkpoint, error)
}

const checkpointTag = "verdict.checkpoint.v1\x00"

// signedBytes is what a checkpoint's signature covers.
func (c *Checkpoint) signedBytes() []byte {
	b := []byte(checkpointTag)
	b = appendField(b, []byte(c.Chain))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Seq))
	b = appendField(b, []byte(c.Hash))
	b = binary.BigEndian.AppendUint64(b, uint64(c.At.UnixMicro()))
	b = appendField(b, []byte(c.Reason))
	return binary.BigEndian.AppendUint64(b, uint64(c.Removed))
}

// Sign signs c with key (nil: c stays unsigned). At is truncated to
// microseconds, in UTC, first.
func (c *Checkpoint) Sign(key ed25519.PrivateKey) {
	c.At = c.At.UTC().Truncate(time.Microsecond)
	if key == nil {
		return
	}
	c.PublicKey = hex.EncodeToString(key.Public().(ed25519.PublicKey))
	c.Signature = hex.EncodeToString(ed25519.Sign(key, c.signedBytes()))
}

// VerifySignature checks c's signature against pub (not against the
// PublicKey it carries, which anyone could replace).
func (c *Checkpoint) VerifySignature(pub ed25519.PublicKey) error {
	if c.Signature == "" {
		return fmt.Errorf("checkpoint %s/%d is not signed", c.Chain, c.Seq)
	}
	sig, err := hex.DecodeString(c.Signature)
	if err != nil || !ed25519.Verify(pub, c.signedBytes(), sig) {
		return fmt.Errorf("checkpoint %s/%d (%s): the signature does not verify with this public key", c.Chain, c.Seq, c.At.Format(time.RFC3339))
	}
	return nil
}

// WriteCheckpoints writes checkpoints as JSON Lines: the file an auditor keeps.
func WriteCheckpoints(w io.Writer, cs []Checkpoint) error {
	enc := json.NewEncoder(w)
	for i := range cs {
		if err := enc.Encode(&cs[i]); err != nil {
			return fmt.Errorf("write checkpoint: %w", err)
		}
	}
	return nil
}

// ReadCheckpoints reads a file WriteCheckpoints wrote.
func ReadCheckpoints(r io.Reader) ([]Checkpoint, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var out []Checkpoint
	for {
		var c Checkpoint
		err := dec.Decode(&c)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", len(out)+1, err)
		}
		if _, err := hex.DecodeString(c.Hash); err != nil || len(c.Hash) != 2*HashSize {
			return nil, fmt.Errorf("checkpoint %d: hash %q is not %d hex bytes", len(out)+1, c.Hash, HashSize)
		}
		out = append(out, c)
	}
}

// ParsePrivateKey reads an Ed25519 private key given as hex: the 32-byte
// seed or the 64-byte key.
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	b, err := hex.DecodeString(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("checkpoint key: not hex: %w", err)
	case len(b) == ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case len(b) == ed25519.PrivateKeySize:
		k := ed25519.PrivateKey(b)
		if !ed25519.NewKeyFromSeed(k.Seed()).Equal(k) {
			return nil, errors.New("checkpoint key: the 64 bytes are not an Ed25519 private key")
		}
		return k, nil
	}
	return nil, fmt.Errorf("checkpoint key: %d bytes; want a 32-byte seed or a 64-byte Ed25519 private key, in hex", len(b))
}

// ParsePublicKey reads an Ed25519 public key given as hex (32 bytes).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key: want %d bytes in hex", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// WriteCheckpoint signs and stores a checkpoint of every chain's head now:
// what the periodic checkpoint loop runs. It returns the checkpoints stored.
func WriteCheckpoint(ctx context.Context, l CheckpointLog, key ed25519.PrivateKey, reason string, now time.Time) ([]Checkpoint, error) {
	heads, err := l.Heads(ctx)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: read chain heads: %w", err)
	}
	for i := range heads {
		heads[i].At, heads[i].Reason = now, reason
		heads[i].Sign(key)
		if err := l.AddCheckpoint(ctx, heads[i]); err != nil {
			return nil, fmt.Errorf("checkpoint: store %s/%d: %w", heads[i].Chain, heads[i].Seq, err)
		}
	}
	return heads, nil
}
