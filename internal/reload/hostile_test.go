//go:build unix

package reload_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/reload"
	"github.com/verdicthq/verdict/internal/testwait"
	"gopkg.in/yaml.v3"
)

// rulesDirCase is one entry of testdata/hostile/rules-dirs/cases.yaml.
type rulesDirCase struct {
	Name   string `yaml:"name"`
	Note   string `yaml:"note"`
	Layout []struct {
		Path    string `yaml:"path"`
		Policy  string `yaml:"policy"`
		Text    string `yaml:"text"`
		Size    int    `yaml:"size"`
		FIFO    bool   `yaml:"fifo"`
		Socket  bool   `yaml:"socket"`
		Symlink string `yaml:"symlink"`
		Dir     bool   `yaml:"dir"`
	} `yaml:"layout"`
	Rules  string `yaml:"rules"`
	Expect struct {
		OK    int    `yaml:"ok"`
		Error string `yaml:"error"`
		File  string `yaml:"file"`
	} `yaml:"expect"`
}

// TestHostileRulesDirs builds each hostile layout and loads it: special
// files are refused by name with a clear error, nothing blocks, nothing is
// read without bound, and a bad folder never yields a set.
func TestHostileRulesDirs(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/hostile/rules-dirs/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct{ Cases []rulesDirCase }
	if err := yaml.Unmarshal(raw, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Cases) < 10 {
		t.Fatalf("only %d cases", len(corpus.Cases))
	}
	for _, c := range corpus.Cases {
		t.Run(c.Name, func(t *testing.T) {
			root := t.TempDir()
			for _, e := range c.Layout {
				buildEntry(t, root, e.Path, func(path string) error {
					switch {
					case e.FIFO:
						return syscall.Mkfifo(path, 0o644)
					case e.Socket:
						ln, err := net.Listen("unix", path)
						if err == nil {
							t.Cleanup(func() { ln.Close() })
						}
						return err
					case e.Symlink != "":
						return os.Symlink(e.Symlink, path)
					case e.Dir:
						return os.Mkdir(path, 0o755)
					case e.Policy != "":
						return os.WriteFile(path, []byte(strings.Replace(goodPolicy, "name: checkout", "name: "+e.Policy, 1)), 0o644)
					case e.Size > 0:
						pad := e.Size - len(goodPolicy) - len("#\n")
						return os.WriteFile(path, []byte(goodPolicy+"#"+strings.Repeat("x", pad)+"\n"), 0o644)
					default:
						return os.WriteFile(path, []byte(e.Text), 0o644)
					}
				})
			}
			dir := filepath.Join(root, c.Rules)
			type result struct {
				set *engine.Set
				err error
			}
			done := make(chan result, 1)
			go func() {
				set, err := reload.LoadDir(dir)
				done <- result{set, err}
			}()
			var got result
			bound := time.NewTimer(testwait.Timeout) // a bound on waiting, never reached by a correct loader
			defer bound.Stop()
			select {
			case got = <-done:
			case <-bound.C:
				t.Fatalf("loading the folder blocked (%s)", c.Note)
			}
			if c.Expect.Error == "" {
				if got.err != nil || got.set == nil || len(got.set.Policies()) != c.Expect.OK {
					t.Fatalf("got %v, %v; want a set of %d", got.set, got.err, c.Expect.OK)
				}
				return
			}
			var les engine.LoadErrors
			if got.set != nil || !errors.As(got.err, &les) {
				t.Fatalf("got %v, %v; want LoadErrors", got.set, got.err)
			}
			want := filepath.Join(root, c.Expect.File)
			for _, le := range les {
				if le.File == want && strings.Contains(le.Message, c.Expect.Error) {
					return
				}
			}
			t.Fatalf("no error naming %s with %q in:\n%v", c.Expect.File, c.Expect.Error, got.err)
		})
	}
}

// buildEntry makes the parent folders of rel under root, then the entry.
func buildEntry(t *testing.T, root, rel string, make func(path string) error) {
	t.Helper()
	path := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := make(path); err != nil {
		t.Fatalf("build %s: %v", rel, err)
	}
}
