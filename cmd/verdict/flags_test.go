package main

import (
	"errors"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// cliCases names, for every command, a bad flag value and (for commands
// that take none) an extra argument. TestCLIConventions fails when a
// command is registered without a row here.
var cliCases = map[string]struct {
	badValue []string // a flag with a value the command refuses; nil: none takes a value
	wantBad  string   // what the error says about it
	paths    bool     // takes PATH arguments, so an argument is not extra
}{
	"audit export":      {badValue: []string{"--since", "last tuesday"}, wantBad: "--since"},
	"eval":              {badValue: []string{"--report", "r.json", "--format", "xml"}, wantBad: `--format "xml": want json or text`},
	"healthcheck":       {badValue: []string{"--timeout", "soon"}, wantBad: `invalid value "soon" for flag --timeout`},
	"labels import":     {paths: true},
	"lint":              {paths: true},
	"lists export":      {paths: true},
	"lists import":      {badValue: []string{"--ttl", "soon"}, wantBad: `invalid value "soon" for flag --ttl`, paths: true},
	"replay":            {badValue: []string{"--samples", "many"}, wantBad: `invalid value "many" for flag --samples`},
	"rules performance": {badValue: []string{"--format", "xml"}, wantBad: `--format "xml": want text or json`},
	"serve":             {badValue: []string{"--config", "testdata/no-such-config.yaml"}, wantBad: "no-such-config.yaml"},
	"sim":               {badValue: []string{"--latency", "-1s"}, wantBad: "--latency must not be negative"},
	"test":              {badValue: []string{"-v=maybe"}, wantBad: `invalid boolean value "maybe" for flag -v`, paths: true},
	"version":           {},
}

// commandNames lists every command as typed, with the subcommands of audit.
func commandNames(t *testing.T) []string {
	t.Helper()
	var names []string
	for n := range commands {
		if n == "audit" {
			names = append(names, "audit export")
			continue
		}
		if n == "labels" {
			names = append(names, "labels import")
			continue
		}
		if n == "rules" {
			names = append(names, "rules performance")
			continue
		}
		if n == "lists" {
			names = append(names, "lists export", "lists import")
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// flagToken is a flag as a usage line or an error writes it, with what
// follows: "--rules DIR", "-v".
var flagToken = regexp.MustCompile(`(^|[\s\[])(--?[a-z][a-z-]*)( [A-Za-z:|]+)?`)

// TestCLIConventions checks the rules every command follows (flags.go):
// --help and -h print to stdout and exit 0; a bad flag, a bad flag value or
// an extra argument is an error on stderr starting with "verdict <command>:"
// and exit 2; the usage line writes flags as the flag list does.
func TestCLIConventions(t *testing.T) {
	for _, name := range commandNames(t) {
		c, ok := cliCases[name]
		if !ok {
			t.Errorf("command %q has no row in cliCases", name)
			continue
		}
		words := strings.Fields(name)
		prefix := "verdict " + name + ": "
		t.Run(name+"/help", func(t *testing.T) {
			for _, h := range []string{"--help", "-h"} {
				code, out, errOut := run(append(words, h)...)
				if code != 0 || errOut != "" || !strings.HasPrefix(out, "Usage: verdict "+name) {
					t.Fatalf("%s: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout only", h, code, out, errOut)
				}
			}
			_, out, _ := run(append(words, "--help")...)
			usageLine, _, _ := strings.Cut(out, "\n")
			_, list, hasList := strings.Cut(out, "\nFlags:\n")
			for _, m := range flagToken.FindAllStringSubmatch(usageLine, -1) {
				token := m[2] + strings.TrimRight(m[3], "]")
				if !hasList || !strings.Contains(list, "  "+token+"\n") && !strings.Contains(list, ", "+token+"\n") && !strings.Contains(list, "  "+token+", ") {
					t.Errorf("usage line %q writes %q, which the flag list does not show:\n%s", usageLine, token, list)
				}
			}
			for _, line := range strings.Split(list, "\n") {
				if strings.HasPrefix(line, "  -") && !regexp.MustCompile(`^  (-[a-z], )?--[a-z][a-z-]+( \S+)?$`).MatchString(line) {
					t.Errorf("flag list line %q is not written as --name VALUE", line)
				}
			}
		})
		t.Run(name+"/unknown flag", func(t *testing.T) {
			code, out, errOut := run(append(words, "--no-such-flag")...)
			if code != 2 || out != "" || !strings.HasPrefix(errOut, prefix+"unknown flag --no-such-flag\n") || !strings.Contains(errOut, "Usage: verdict "+name) {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
		if c.badValue != nil {
			t.Run(name+"/bad value", func(t *testing.T) {
				code, out, errOut := run(append(words, c.badValue...)...)
				if code != 2 || out != "" || !strings.HasPrefix(errOut, prefix) || !strings.Contains(errOut, c.wantBad) {
					t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, c.wantBad)
				}
			})
		}
		if !c.paths {
			t.Run(name+"/extra argument", func(t *testing.T) {
				code, out, errOut := run(append(words, "extra")...)
				if code != 2 || out != "" || !strings.HasPrefix(errOut, prefix+`unexpected argument "extra"`) {
					t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
				}
			})
		}
	}
}

// TestTopLevel checks the rules of `verdict` itself and of `verdict audit`.
func TestTopLevel(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		code    int
		stdout  string // prefix of stdout ("" wants it empty)
		stderr  string // prefix of stderr ("" wants it empty)
		version bool   // stdout is the version line
	}{
		{name: "alone", args: nil, code: 2, stderr: "verdict: no command given\nUsage: verdict <command>"},
		{name: "--help", args: []string{"--help"}, code: 0, stdout: "Usage: verdict <command>"},
		{name: "-h", args: []string{"-h"}, code: 0, stdout: "Usage: verdict <command>"},
		{name: "help", args: []string{"help"}, code: 0, stdout: "Usage: verdict <command>"},
		{name: "help CMD", args: []string{"help", "eval"}, code: 0, stdout: "Usage: verdict eval"},
		{name: "help unknown", args: []string{"help", "nope"}, code: 2, stderr: `verdict help: unknown command "nope"`},
		{name: "--version", args: []string{"--version"}, code: 0, version: true},
		{name: "-v", args: []string{"-v"}, code: 0, version: true},
		{name: "version", args: []string{"version"}, code: 0, version: true},
		{name: "unknown command", args: []string{"nope"}, code: 2, stderr: `verdict: unknown command "nope"`},
		{name: "unknown flag", args: []string{"--nope"}, code: 2, stderr: `verdict: unknown flag "--nope"`},
		{name: "audit alone", args: []string{"audit"}, code: 2, stderr: "verdict audit: no command given\nUsage: verdict audit <command>"},
		{name: "audit --help", args: []string{"audit", "--help"}, code: 0, stdout: "Usage: verdict audit <command>"},
		{name: "audit help export", args: []string{"audit", "help", "export"}, code: 0, stdout: "Usage: verdict audit export"},
		{name: "audit unknown", args: []string{"audit", "purge"}, code: 2, stderr: `verdict audit: unknown command "purge"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if tc.version {
				if !regexp.MustCompile(`^verdict \S+`).MatchString(out) || errOut != "" {
					t.Errorf("stdout %q, stderr %q; want the version on stdout", out, errOut)
				}
				return
			}
			if !strings.HasPrefix(out, tc.stdout) || (tc.stdout == "") != (out == "") {
				t.Errorf("stdout %q, want prefix %q", out, tc.stdout)
			}
			if !strings.HasPrefix(errOut, tc.stderr) || (tc.stderr == "") != (errOut == "") {
				t.Errorf("stderr %q, want prefix %q", errOut, tc.stderr)
			}
		})
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantRest  []string
		wantX     string
		wantCode  int
		wantOK    bool
		wantError string
	}{
		{"no args", nil, nil, "", 0, true, ""},
		{"a flag", []string{"--x", "1"}, nil, "1", 0, true, ""},
		{"flag after an argument", []string{"a", "--x", "1", "b"}, []string{"a", "b"}, "1", 0, true, ""},
		{"double dash ends flags", []string{"a", "--", "--x", "1"}, []string{"a", "--x", "1"}, "", 0, true, ""},
		{"help", []string{"a", "-h"}, nil, "", 0, false, ""},
		{"bad flag", []string{"-nope"}, nil, "", 2, false, "verdict demo: unknown flag --nope\n"},
		{"missing value", []string{"--x"}, nil, "", 2, false, "verdict demo: flag --x needs a value\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFlags("demo", "[--x V] [ARG...]", "")
			x := fs.String("x", "", "a `V`")
			var stdout, stderr strings.Builder
			rest, code, ok := fs.parse(tc.args, &stdout, &stderr)
			if !reflect.DeepEqual(rest, tc.wantRest) || code != tc.wantCode || ok != tc.wantOK || *x != tc.wantX {
				t.Errorf("parse(%q) = %q, %d, %v (x %q); want %q, %d, %v (x %q)", tc.args, rest, code, ok, *x, tc.wantRest, tc.wantCode, tc.wantOK, tc.wantX)
			}
			if !strings.HasPrefix(stderr.String(), tc.wantError) || (tc.wantError == "") != (stderr.Len() == 0) {
				t.Errorf("stderr %q, want prefix %q", stderr.String(), tc.wantError)
			}
		})
	}
}

func TestFlagMessage(t *testing.T) {
	f := newFlags("demo", "", "")
	f.Bool("verbose", false, "")
	f.alias("v", "verbose")
	for in, want := range map[string]string{
		"flag provided but not defined: -nope":                       "unknown flag --nope",
		"flag provided but not defined: -x":                          "unknown flag --x",
		"flag needs an argument: -rules":                             "flag --rules needs a value",
		`invalid value "soon" for flag -timeout: parse error`:        `invalid value "soon" for flag --timeout: parse error`,
		`invalid boolean value "maybe" for -v: parse error`:          `invalid boolean value "maybe" for flag -v: parse error`,
		`invalid boolean value "maybe" for -verbose: parse error`:    `invalid boolean value "maybe" for flag --verbose: parse error`,
		"bad flag syntax: ---x":                                      "bad flag syntax: ---x",
		`invalid value "x" for flag -samples: value out of range: x`: `invalid value "x" for flag --samples: value out of range: x`,
	} {
		if got := f.flagMessage(errors.New(in)); got != want {
			t.Errorf("flagMessage(%q) = %q, want %q", in, got, want)
		}
	}
}
