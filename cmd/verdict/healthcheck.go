package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func init() {
	register(&command{name: "healthcheck", summary: "probe a running verdict's /healthz (for container health checks)", run: runHealthcheck})
}

// runHealthcheck is `verdict healthcheck [--url URL]`: GET the health route
// and exit 0 on 200, 1 otherwise. Images without curl use it as HEALTHCHECK.
func runHealthcheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("healthcheck", "[--url URL] [--timeout DURATION]",
		"Probes a running verdict's /healthz: exit 0 on 200, 1 otherwise. For container\nhealth checks in images without curl.")
	url := fs.String("url", "", "probe `URL`; empty: /healthz on VERDICT_LISTEN_ADDR, or 127.0.0.1:8080")
	timeout := fs.Duration("timeout", 2*time.Second, "give up after this long")
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	if *timeout <= 0 {
		return fs.usageError(stderr, "--timeout must be positive")
	}
	if *url == "" {
		*url = "http://" + probeAddr(os.Getenv("VERDICT_LISTEN_ADDR")) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fs.fail(stderr, 2, "--url: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fs.fail(stderr, 1, "%s answered %s", *url, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return 0
}

// probeAddr turns a listen address into one to dial: an unspecified host
// (all interfaces) becomes loopback.
func probeAddr(listen string) string {
	if listen == "" {
		return "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
