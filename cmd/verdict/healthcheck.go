package main

import (
	"context"
	"flag"
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
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "the `URL` to probe (default: /healthz on VERDICT_LISTEN_ADDR, or 127.0.0.1:8080)")
	timeout := fs.Duration("timeout", 2*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if *url == "" {
		*url = "http://" + probeAddr(os.Getenv("VERDICT_LISTEN_ADDR")) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: %s answered %s\n", *url, resp.Status)
		return 1
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
