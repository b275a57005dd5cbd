package cmd

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/comethook/comethook/internal/render"
)

// ngrok's warnings reach the user, cleaned; its errors and chatter do not.
func TestNgrokWarningsShown(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var errOut bytes.Buffer
		p := render.NewPrinter(streamsFor(&bytes.Buffer{}, &errOut, "", tty), tty, tty)
		log := slog.New(warnHandler{p: p}).With("agent", "comethook")
		log.Info("session established")
		log.Error("failed to reconnect session", "err", "EOF")
		log.Warn("agent version deprecated\x1b]0;pwned\x07\x1b[2J", "min_version", "3.0.0")
		log.Debug("heartbeat received")
		got := errOut.String()
		want := "ngrok: agent version deprecated (agent: comethook) (min_version: 3.0.0)\n"
		if !strings.HasSuffix(got, want) || !strings.Contains(got, "warning:") || strings.Count(got, "\n") != 1 {
			t.Errorf("tty=%v: stderr %q, want one warning line ending %q", tty, got, want)
		}
		if strings.ContainsAny(strings.ReplaceAll(got, "\x1b[33m", ""), "\x07") || strings.Contains(got, "pwned") || strings.Contains(got, "[2J") {
			t.Errorf("tty=%v: escape sequences from the server reached the terminal: %q", tty, got)
		}
		if slog.New(warnHandler{p: p}).Enabled(context.Background(), slog.LevelError) {
			t.Error("errors are enabled: they are shown as comethook's own sentences")
		}
	}
}
