//go:build unix

package history

import (
	"io/fs"
	"syscall"
)

// openFlags: O_NOFOLLOW refuses a link at the last element of the path, atomically with
// the open; O_NONBLOCK keeps a FIFO planted there from blocking the open (it is then
// refused as not a regular file, and on a regular file the flag does nothing).
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// refuseLink has nothing to do before the open: O_NOFOLLOW does it.
func refuseLink(string) error { return nil }

func fileOwner(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

func linkCount(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
