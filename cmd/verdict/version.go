package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func init() {
	register(&command{name: "version", summary: "print the version", run: runVersion})
}

// runVersion is `verdict version` (also `verdict --version` and `-v`).
func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "", "Prints the version and the commit it was built from.")
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	rev := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				rev = " (" + s.Value + ")"
			}
		}
	}
	fmt.Fprintf(stdout, "verdict %s%s\n", version, rev)
	return 0
}
