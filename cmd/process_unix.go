//go:build unix

package cmd

import (
	"errors"
	"syscall"
)

// processAlive says whether a process with that pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
