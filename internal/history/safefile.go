package history

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// UnsafeError says why a capture directory, or a file in it, was refused: another user of
// the machine could have planted it, or could plant files in it. A symbolic link planted
// where listen writes would have it write chat (or its state) wherever the link points; a
// state file planted where replay reads would send captured chat, with the Basic Auth
// header, to the planter.
type UnsafeError struct {
	Path string
	// Dir says that Path is the capture directory, not a file in it.
	Dir bool
	// Writable says that it is the user's own directory, only too open: a chmod fixes it.
	Writable bool
	// Reason completes "refusing <path>: ", e.g. "it is a symbolic link".
	Reason string
}

func (e *UnsafeError) Error() string {
	if e.Dir {
		return fmt.Sprintf("refusing the capture directory %s: %s", e.Path, e.Reason)
	}
	return fmt.Sprintf("refusing %s: %s", e.Path, e.Reason)
}

// CheckDir refuses a capture directory that someone else could plant files in: one that
// belongs to another user, or that group or others may write to, or a symbolic link another
// user made. A directory that does not exist yet passes: it is created 0700 when first
// written, so check again after creating it.
//
// The owner and mode are only checked where they mean something (not on Windows, where
// the user's profile directory is private by its ACL).
func CheckDir(dir string) error {
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the capture directory: %w", err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		// A link is fine when it is the user's own (a cache directory moved to another
		// disk); one made by someone else could be turned to any directory at any time.
		if uid, ok := fileOwner(info); ok && uid != os.Getuid() {
			return &UnsafeError{Path: dir, Dir: true, Reason: fmt.Sprintf("it is a symbolic link made by another user (uid %d)", uid)}
		}
		if info, err = os.Stat(dir); err != nil {
			return fmt.Errorf("checking the capture directory: %w", err)
		}
	}
	if !info.IsDir() {
		return &UnsafeError{Path: dir, Dir: true, Reason: "it is not a directory"}
	}
	uid, ok := fileOwner(info)
	switch {
	case !ok:
	case uid != os.Getuid():
		return &UnsafeError{Path: dir, Dir: true, Reason: fmt.Sprintf("it belongs to another user (uid %d)", uid)}
	case info.Mode().Perm()&0o022 != 0:
		return &UnsafeError{Path: dir, Dir: true, Writable: true, Reason: fmt.Sprintf("other users can write to it (mode %#o)", info.Mode().Perm())}
	}
	return nil
}

// OpenFile opens a file of the capture directory (a capture, a listener's state) like
// os.OpenFile, but never through a symbolic link at path, and only when it is a regular
// file of the current user's with no other hard link: a planted link or file is refused
// with an *UnsafeError instead of being written through or believed. With O_CREATE|O_EXCL
// a new file is created or nothing is (a link at path counts as existing).
func OpenFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	if err := refuseLink(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, flag|openFlags, perm)
	if err != nil {
		// What a link makes O_NOFOLLOW fail with differs by system (ELOOP, EMLINK,
		// EFTYPE): look at what is there to say so plainly.
		if info, lerr := os.Lstat(path); lerr == nil && info.Mode()&fs.ModeSymlink != 0 {
			return nil, &UnsafeError{Path: path, Reason: "it is a symbolic link"}
		}
		return nil, err
	}
	info, err := f.Stat()
	if err == nil {
		err = checkFile(path, info)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkFile refuses what OpenFile opened unless it is a regular file of the user's with one
// name: a hard link planted beside the user's own file would have it appended to.
func checkFile(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return &UnsafeError{Path: path, Reason: "it is not a regular file"}
	}
	if uid, ok := fileOwner(info); ok && uid != os.Getuid() {
		return &UnsafeError{Path: path, Reason: fmt.Sprintf("it belongs to another user (uid %d)", uid)}
	}
	if n := linkCount(info); n > 1 {
		return &UnsafeError{Path: path, Reason: fmt.Sprintf("it has %d hard links", n)}
	}
	return nil
}
