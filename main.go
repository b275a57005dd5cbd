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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// A second Ctrl-C kills at once: once the first cancelled ctx, restore the default.
		<-ctx.Done()
		stop()
	}()
	code := cmd.Main(ctx, os.Args[1:], cmd.Build{Version: version, Commit: commit, Date: date})
	stop()
	os.Exit(code)
}
