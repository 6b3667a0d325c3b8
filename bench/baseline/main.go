// Command baseline is the floor for verdict's load figures: a bare Echo v4
// server whose POST /v1/decisions returns a fixed JSON body (by default the
// size of a verdict decision) and does nothing else — no auth, no decoding,
// no fetch, no policy, no logs.
//
//	go run ./bench/baseline --addr 127.0.0.1:18081 --body-file decision.json
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen `address`")
	bodyFile := flag.String("body-file", "", "`file` holding the JSON body to return (default: a 600-byte object)")
	flag.Parse()

	body := []byte(`{"pad":"` + string(bytes.Repeat([]byte("x"), 590)) + `"}`)
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(2)
		}
		body = bytes.TrimSpace(b)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/v1/decisions", func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, body)
	})
	fmt.Fprintf(os.Stderr, "baseline: %d-byte body on http://%s/v1/decisions\n", len(body), *addr)
	if err := e.Start(*addr); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}
