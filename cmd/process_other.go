//go:build !unix

package cmd

// processAlive cannot be told cheaply here; a stale state file is then used as it is.
func processAlive(pid int) bool { return pid > 0 }
