package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/tunnel"
)

// ngrok's warnings reach the user, cleaned; its errors and chatter do not.
func TestNgrokWarningsShown(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var errOut bytes.Buffer
		p := render.NewPrinter(streamsFor(&bytes.Buffer{}, &errOut, "", tty), tty, tty)
		log := tunnel.WarnLogger(p.Warn).With("agent", "comethook")
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
		if tunnel.WarnLogger(p.Warn).Enabled(context.Background(), slog.LevelError) {
			t.Error("errors are enabled: they are shown as comethook's own sentences")
		}
	}
}

// A port held by a program that is not a comethook listen: the error says so, without
// guessing at a pid.
func TestListenPortHeldByAnotherProgram(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	code, _, stderr := runTest(t, false, nil, "", "listen", "--port", strconv.Itoa(port), "--inspect", "off")
	want := fmt.Sprintf("error: port %d is already in use on 127.0.0.1:%d\nhint: another program is using it: stop it, or pass --port N, or --port 0 for a free one\n", port, port)
	if code != ExitFail || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant %q", code, stderr, want)
	}
}

// On a terminal, comethook fixtures fits its width: descriptions wrap at words under their
// column (or below the name when the column would be too narrow); piped, it stays whole.
func TestFixturesFitTheTerminal(t *testing.T) {
	for _, cells := range []int{60, 80, 120} {
		code, stdout, _ := runTest(t, true, map[string]string{"COLUMNS": strconv.Itoa(cells)}, "", "fixtures", "--color", "never")
		if code != 0 {
			t.Fatalf("%d cells: exit %d", cells, code)
		}
		for _, l := range strings.Split(stdout, "\n") {
			if n := utf8.RuneCountInString(l); n > cells {
				t.Errorf("%d cells: a line of %d: %q", cells, n, l)
			}
		}
		if !strings.Contains(strings.Join(strings.Fields(stdout), " "), "A message is in flight: the answer is injected into its metadata or drops it") {
			t.Errorf("%d cells: the before_message description is not all there:\n%s", cells, stdout)
		}
	}
	_, piped, _ := runTest(t, false, map[string]string{"COLUMNS": "60"}, "", "fixtures")
	if !strings.Contains(piped, "A message is in flight: the answer is injected into its metadata or drops it\n") {
		t.Errorf("piped output was wrapped:\n%s", piped)
	}
}

// events lists deliveries in seq order though the capture holds them in the order their
// answers were written.
func TestEventsInSeqOrder(t *testing.T) {
	capture := filepath.Join(t.TempDir(), "c.jsonl")
	w, err := history.Create(capture)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int64{2, 1, 4, 3} {
		rec := record.Record{Seq: seq, ReceivedAt: "2026-11-30T10:00:00Z", Method: "POST", Path: "/", Trigger: "message_sent",
			Payload: json.RawMessage(`{"trigger":"message_sent"}`), Response: record.Response{Status: 200}, Outcome: "delivered"}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	for _, args := range [][]string{{"events"}, {"events", "--json"}, {"events", "--last", "3"}} {
		code, stdout, stderr := runTest(t, false, nil, "", append(args, "--capture", capture)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
		var seqs []string
		for _, m := range regexp.MustCompile(`(?m)^(?:#|\{"seq":)(\d+)`).FindAllStringSubmatch(stdout, -1) {
			seqs = append(seqs, m[1])
		}
		want := "1 2 3 4"
		if args[len(args)-1] == "3" {
			want = "1 3 4" // the last three captured, in seq order
		}
		if got := strings.Join(seqs, " "); got != want {
			t.Errorf("%v lists %s, want %s", args, got, want)
		}
	}
}

// listen tunes the collector unless the user did: GOGC and GOMEMLIMIT win.
func TestTuneGCLeavesTheUsersSettings(t *testing.T) {
	prevPercent := debug.SetGCPercent(123)
	prevLimit := debug.SetMemoryLimit(-1) // -1 reads it
	defer func() { debug.SetGCPercent(prevPercent); debug.SetMemoryLimit(prevLimit) }()

	tuneGC(&env{getenv: func(k string) string { return map[string]string{"GOGC": "123", "GOMEMLIMIT": "1GiB"}[k] }})
	if got := debug.SetGCPercent(123); got != 123 {
		t.Errorf("with GOGC set: GC percent %d, want the user's 123", got)
	}
	if got := debug.SetMemoryLimit(-1); got != prevLimit {
		t.Errorf("with GOMEMLIMIT set: memory limit %d, want it untouched (%d)", got, prevLimit)
	}
	tuneGC(&env{getenv: func(string) string { return "" }})
	if got := debug.SetGCPercent(123); got != 400 {
		t.Errorf("GC percent %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 40<<20 {
		t.Errorf("memory limit %d, want 40 MiB", got)
	}
}
