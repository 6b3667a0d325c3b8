package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
)

func readHostile(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile("../testdata/hostile/log/" + name)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestHostileCheckpoints runs testdata/hostile/log/checkpoints.yaml: each
// exported file is refused, with the case's words, and nothing panics.
func TestHostileCheckpoints(t *testing.T) {
	var cases []struct {
		Note   string `yaml:"note"`
		File   string `yaml:"file"`
		Resign *struct {
			Seq int64 `yaml:"seq"`
		} `yaml:"resign"`
		Want string `yaml:"want"`
	}
	readHostile(t, "checkpoints.yaml", &cases)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	pub := key.Public().(ed25519.PublicKey)
	for _, c := range cases {
		t.Run(c.Note, func(t *testing.T) {
			file := c.File
			if c.Resign != nil {
				cp := audit.Checkpoint{Seq: 1, Hash: strings.Repeat("ab", 32), At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Reason: "periodic"}
				cp.Sign(key)
				cp.Seq = c.Resign.Seq
				var buf bytes.Buffer
				if err := audit.WriteCheckpoints(&buf, []audit.Checkpoint{cp}); err != nil {
					t.Fatal(err)
				}
				file = buf.String()
			}
			cps, err := audit.ReadCheckpoints(strings.NewReader(file))
			if err == nil {
				for _, cp := range cps {
					if err = cp.VerifySignature(pub); err != nil {
						break
					}
				}
			}
			if err == nil || !strings.Contains(err.Error(), c.Want) {
				t.Fatalf("got %v, want an error with %q", err, c.Want)
			}
		})
	}
}

// TestHostileMask runs testdata/hostile/log/mask.yaml: bad settings are
// refused; traces that try to slip a clear value past masking keep none.
func TestHostileMask(t *testing.T) {
	var cases []struct {
		Note    string   `yaml:"note"`
		Fields  []string `yaml:"fields"`
		Key     *string  `yaml:"key"`
		Error   string   `yaml:"error"`
		Report  string   `yaml:"report"`
		Context string   `yaml:"context"`
		Input   *struct {
			Path  string `yaml:"path"`
			Value any    `yaml:"value"`
		} `yaml:"input"`
		Clear  []string `yaml:"clear"`
		Masked []string `yaml:"masked"`
		Erased []string `yaml:"erased"`
	}
	readHostile(t, "mask.yaml", &cases)
	for _, c := range cases {
		t.Run(c.Note, func(t *testing.T) {
			key := "0123456789abcdef"
			if c.Key != nil {
				key = *c.Key
			}
			m, err := audit.NewMask(c.Fields, []byte(key))
			if c.Error != "" {
				if err == nil || !strings.Contains(err.Error(), c.Error) {
					t.Fatalf("NewMask(%v): %v; want an error with %q", c.Fields, err, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tr := audittest.SampleTrace(1)
			if c.Report != "" {
				tr.Report, tr.ReportStatus, tr.UserID = []byte(c.Report), "invalid", "clear-user-1"
			}
			if c.Context != "" {
				tr.Context = json.RawMessage(c.Context)
			}
			if c.Input != nil {
				v, _ := json.Marshal(c.Input.Value)
				var val any
				_ = json.Unmarshal(v, &val)
				tr.FiredRules = []engine.FiredRule{{ID: "r", Action: engine.Review, Inputs: engine.Inputs{{Path: c.Input.Path, Value: val}}}}
			}
			row, err := audit.EncodeMaskedRow(tr, time.Now(), m)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := json.Marshal(row.Trace)
			if err != nil {
				t.Fatal(err)
			}
			all := append(append(append([]byte{}, stored...), row.Body...), row.Report...)
			all = append(append(all, row.Context...), row.Trace.UserID...)
			for _, clear := range c.Clear {
				if bytes.Contains(all, []byte(clear)) {
					t.Errorf("the clear value %q is still stored: %s", clear, stored)
				}
			}
			if !slices.Equal(row.Trace.Masked, c.Masked) || !slices.Equal(row.Trace.Erased, c.Erased) {
				t.Errorf("masked %v erased %v; want %v and %v", row.Trace.Masked, row.Trace.Erased, c.Masked, c.Erased)
			}
		})
	}
}
