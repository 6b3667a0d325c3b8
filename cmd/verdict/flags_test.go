package main

import (
	"bytes"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseNoArgs(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOK     bool
		wantStderr string
	}{
		{"no args", nil, 0, true, ""},
		{"a flag", []string{"-x", "1"}, 0, true, ""},
		{"help", []string{"-h"}, 0, false, ""},
		{"bad flag", []string{"-nope"}, 2, false, ""},
		{"argument", []string{"extra"}, 2, false, `verdict demo: unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("demo", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.String("x", "", "")
			var stderr bytes.Buffer
			code, ok := parseNoArgs(fs, tc.args, "verdict demo", &stderr)
			if code != tc.wantCode || ok != tc.wantOK {
				t.Errorf("parseNoArgs(%q) = %d, %v; want %d, %v", tc.args, code, ok, tc.wantCode, tc.wantOK)
			}
			if got := strings.TrimSpace(stderr.String()); got != tc.wantStderr {
				t.Errorf("stderr = %q, want %q", got, tc.wantStderr)
			}
		})
	}
}

func TestParsePaths(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantPaths []string
		wantCode  int
		wantOK    bool
	}{
		{"default rules", nil, []string{"rules"}, 0, true},
		{"given paths", []string{"a", "b/c.yaml"}, []string{"a", "b/c.yaml"}, 0, true},
		{"help", []string{"-h"}, nil, 0, false},
		{"bad flag", []string{"-nope"}, nil, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("demo", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			paths, code, ok := parsePaths(fs, tc.args)
			if !reflect.DeepEqual(paths, tc.wantPaths) || code != tc.wantCode || ok != tc.wantOK {
				t.Errorf("parsePaths(%q) = %q, %d, %v; want %q, %d, %v", tc.args, paths, code, ok, tc.wantPaths, tc.wantCode, tc.wantOK)
			}
		})
	}
}
