package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestErrorCodesDocumented: the error codes of errors.go, the enum of
// openapi.json's Error.code and the table of docs/api.md name the same
// codes.
func TestErrorCodesDocumented(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Code struct {
							Enum []string `json:"enum"`
						} `json:"code"`
					} `json:"properties"`
				} `json:"Error"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Components.Schemas.Error.Properties.Code.Enum
	if len(enum) < 20 {
		t.Fatalf("openapi.json lists %d error codes", len(enum))
	}

	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Names) == 1 && strings.HasPrefix(vs.Names[0].Name, "Code") && len(vs.Values) == 1 {
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				consts = append(consts, s)
			}
		}
		return true
	})
	if len(consts) < 20 {
		t.Fatalf("errors.go declares %d error codes", len(consts))
	}
	md, err := os.ReadFile(filepath.Join("..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range consts {
		if !slices.Contains(enum, c) {
			t.Errorf("code %q (errors.go) is not in openapi.json's Error.code enum", c)
		}
	}
	for _, c := range enum {
		if !slices.Contains(consts, c) {
			t.Errorf("code %q (openapi.json) is not declared in errors.go", c)
		}
		if !strings.Contains(string(md), "| `"+c+"` |") {
			t.Errorf("code %q (openapi.json) is not in the error table of docs/api.md", c)
		}
	}
}
