//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package history

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestHardeningCreateRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		w, err := Create(path)
		if err == nil {
			w.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		wantUnsafe(t, err, "it is not a regular file")
	case <-time.After(10 * time.Second):
		t.Fatal("Create blocked on a FIFO")
	}
	// A state file is read, and opening a FIFO to read blocks until someone writes.
	go func() {
		f, err := OpenFile(path, os.O_RDONLY, 0)
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		wantUnsafe(t, err, "it is not a regular file")
	case <-time.After(10 * time.Second):
		t.Fatal("OpenFile blocked on a FIFO")
	}
}
