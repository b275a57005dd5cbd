//go:build !unix

package history

import (
	"io/fs"
	"os"
)

// openFlags is empty: there is no O_NOFOLLOW here, see refuseLink.
const openFlags = 0

// refuseLink refuses a link at path before the open. It is racy where O_NOFOLLOW is not,
// but making a symbolic link on Windows takes a privilege or developer mode.
func refuseLink(path string) error {
	if info, err := os.Lstat(path); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		return &UnsafeError{Path: path, Reason: "it is a symbolic link"}
	}
	return nil
}

// fileOwner is unknown here: access is a matter of ACLs, not of an owner and mode bits.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }

func linkCount(fs.FileInfo) uint64 { return 1 }
