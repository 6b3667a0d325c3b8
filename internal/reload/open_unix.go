//go:build unix

package reload

import (
	"os"
	"syscall"
)

// openFlags opens a policy file without blocking: opening a FIFO for reading
// otherwise waits for a writer.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
