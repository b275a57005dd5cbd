//go:build unix

package history

import (
	"os"
	"path/filepath"
	"testing"
)

// nobody is a uid that is not the test's: files are given to it to play another user's.
const nobody = 65534

func asRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("giving a file to another user takes root")
	}
}

func TestHardeningCreateRefusesOtherUsersFile(t *testing.T) {
	asRoot(t)
	path := filepath.Join(t.TempDir(), "run.jsonl")
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	_, err := Create(path)
	wantUnsafe(t, err, "it belongs to another user (uid 65534)")
	if info, _ := os.Stat(path); info.Size() != 0 {
		t.Errorf("%d bytes written to another user's file", info.Size())
	}
}

func TestHardeningCheckDirOtherUsers(t *testing.T) {
	asRoot(t)
	base := t.TempDir()
	theirs := filepath.Join(base, "theirs")
	os.Mkdir(theirs, 0o700)
	if err := os.Chown(theirs, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	wantUnsafe(t, CheckDir(theirs), "it belongs to another user (uid 65534)")

	// A link someone else made may be pointed at another directory at any time.
	own := filepath.Join(base, "own")
	os.Mkdir(own, 0o700)
	link := filepath.Join(base, "link")
	os.Symlink(own, link)
	if err := os.Lchown(link, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	wantUnsafe(t, CheckDir(link), "it is a symbolic link made by another user (uid 65534)")
}
