// Command comethook is the local development tool for CometChat webhooks.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/comethook/comethook/cmd"
)

// Set by the linker in release builds (goreleaser): -X main.version=... and so on.
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		// A second Ctrl-C kills at once. The default is restored before the command sees
		// the first: whatever it then does (listen closing its port, say), a second signal
		// sent after seeing that finds the default in place. Cancelling first and restoring
		// after left a window in which the second signal was swallowed.
		signal.Stop(sigs)
		cancel()
	}()
	code := cmd.Main(ctx, os.Args[1:], cmd.Build{Version: version, Commit: commit, Date: date})
	os.Exit(code)
}
