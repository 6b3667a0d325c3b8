//go:build !unix

package reload

import "os"

// openFlags opens a policy file for reading (the type is checked before and
// after opening).
const openFlags = os.O_RDONLY
