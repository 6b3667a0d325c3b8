package api

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/internal/config"
)

// echoParam matches a path parameter in an Echo route.
var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestEveryRouteIsInTheContract: each route the server registers appears
// in openapi.json with its method, and the document has no route the server
// lacks.
func TestEveryRouteIsInTheContract(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	client, err := fetcher.New(fetcher.Config{BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	keys, _ := config.ParseAPIKeys(config.DemoKey)
	s, err := New(Options{Live: &engine.Live{}, Fetcher: client, Keys: keys, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range s.e.Routes() {
		if strings.HasPrefix(r.Method, "echo_") { // Echo's own not-found entries
			continue
		}
		if r.Path == "/console" || strings.HasPrefix(r.Path, "/console/") { // the browser console: HTML pages, not the API contract
			continue
		}
		path := echoParam.ReplaceAllString(r.Path, "{$1}") // Echo's :id is OpenAPI's {id}
		key := r.Method + " " + path
		served[key] = true
		method := r.Method
		if method == "HEAD" { // documented once, in info.description: HEAD answers as GET without the body
			method = "GET"
		}
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s is served but not in openapi.json", key)
		}
	}
	for key := range served {
		if get, ok := strings.CutPrefix(key, "GET "); ok && !served["HEAD "+get] {
			t.Errorf("%s is served without HEAD", key)
		}
	}
	if !strings.Contains(doc.Info.Description, "HEAD") {
		t.Errorf("info.description does not say that HEAD answers on every GET route")
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("%s %s is in openapi.json but not served", method, path)
			}
		}
	}
	if len(served) < 9 {
		t.Fatalf("only %d routes found", len(served))
	}
}
