package render

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func envOf(m map[string]string) Env {
	return func(k string) string { return m[k] }
}

func TestUseColor(t *testing.T) {
	tests := []struct {
		mode    string
		env     map[string]string
		tty     bool
		want    bool
		wantErr bool
	}{
		// --color always and never win over everything.
		{mode: "always", tty: false, want: true},
		{mode: "always", env: map[string]string{"NO_COLOR": "1"}, want: true},
		{mode: "always", env: map[string]string{"TERM": "dumb"}, want: true},
		{mode: "never", tty: true, want: false},
		{mode: "never", tty: true, env: map[string]string{"CLICOLOR_FORCE": "1"}, want: false},
		// auto: NO_COLOR, then CLICOLOR_FORCE, then the terminal.
		{mode: "auto", tty: true, want: true},
		{mode: "", tty: true, want: true},
		{mode: "auto", tty: false, want: false},
		{mode: "auto", tty: true, env: map[string]string{"NO_COLOR": "1"}, want: false},
		{mode: "auto", tty: true, env: map[string]string{"NO_COLOR": "0"}, want: false}, // any non-empty value
		{mode: "auto", tty: true, env: map[string]string{"NO_COLOR": ""}, want: true},
		{mode: "auto", tty: false, env: map[string]string{"NO_COLOR": "1", "CLICOLOR_FORCE": "1"}, want: false},
		{mode: "auto", tty: false, env: map[string]string{"CLICOLOR_FORCE": "1"}, want: true},
		{mode: "auto", tty: false, env: map[string]string{"CLICOLOR_FORCE": "0"}, want: false},
		{mode: "auto", tty: false, env: map[string]string{"CLICOLOR_FORCE": "1", "TERM": "dumb"}, want: true},
		{mode: "auto", tty: true, env: map[string]string{"TERM": "dumb"}, want: false},
		{mode: "auto", tty: true, env: map[string]string{"TERM": "xterm-256color"}, want: true},
		{mode: "auto", tty: false, env: map[string]string{"TERM": "xterm-256color"}, want: false},
		{mode: "yes", wantErr: true},
		{mode: "Always", wantErr: true},
		{mode: "true", tty: true, wantErr: true},
	}
	for _, tt := range tests {
		got, err := UseColor(tt.mode, tt.tty, envOf(tt.env))
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), "want always, never or auto") || !strings.Contains(err.Error(), tt.mode) {
				t.Errorf("UseColor(%q) error = %v, want one naming the value and the choices", tt.mode, err)
			}
			if got {
				t.Errorf("UseColor(%q) = true with an error", tt.mode)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("UseColor(%q, tty=%v, %v) = %v, %v; want %v", tt.mode, tt.tty, tt.env, got, err, tt.want)
		}
	}
}

// testPrinter returns a printer writing to buffers, with colour on or off on both streams.
func testPrinter(colour bool) (*Printer, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	p := NewPrinter(Streams{Out: &out, ErrOut: &errb, OutTTY: colour, ErrTTY: colour}, colour, colour)
	return p, &out, &errb
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// assertNoEscapes fails when s holds any escape byte or C1 control.
func assertNoEscapes(t *testing.T, what, s string) {
	t.Helper()
	if i := strings.IndexByte(s, 0x1b); i >= 0 {
		t.Errorf("%s contains ESC at %d: %q", what, i, s)
	}
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			t.Errorf("%s contains C1 control %U: %q", what, r, s)
			return
		}
	}
}

// assertOnlySGR fails when s holds escapes other than colour (SGR) sequences: the ones a
// payload could use to move the cursor, set the title, write the clipboard or add links.
func assertOnlySGR(t *testing.T, what, s string) {
	t.Helper()
	assertNoEscapes(t, what+" without its colours", sgr.ReplaceAllString(s, ""))
}

func TestPrinterConversation(t *testing.T) {
	const hostile = "bad\x1b]52;c;cm0gLXJmIH4=\x07 \x1b[2J\x1b]8;;https://evil.test\x1b\\link\x1b]8;;\x1b\\"
	for _, colour := range []bool{false, true} {
		p, out, errb := testPrinter(colour)
		p.Errorf("cannot reach the endpoint", "is your app running?", "")
		p.Warn("slow answer")
		p.Note("a note")
		p.Say("listening on %s", "http://localhost:3000")
		got := errb.String()
		plain := sgr.ReplaceAllString(got, "")
		want := "error: cannot reach the endpoint\nhint: is your app running?\nwarning: slow answer\na note\nlistening on http://localhost:3000\n"
		if plain != want {
			t.Errorf("colour %v: stderr =\n%q\nwant\n%q", colour, plain, want)
		}
		if out.Len() != 0 {
			t.Errorf("colour %v: conversation written to stdout: %q", colour, out.String())
		}
		if colour != strings.Contains(got, "\x1b[") {
			t.Errorf("colour %v: escapes present = %v", colour, !colour)
		}
	}

	// Without colour, nothing that reaches the stream carries an escape, whatever the text.
	p, out, errb := testPrinter(false)
	p.Errorf(hostile, hostile)
	p.Warn(hostile)
	p.Note(hostile)
	p.Say("%s", hostile)
	assertNoEscapes(t, "stderr", errb.String())
	assertNoEscapes(t, "stdout", out.String())
	if !strings.Contains(errb.String(), "error: bad") || !strings.Contains(errb.String(), "warning: bad") {
		t.Errorf("stderr lost the words: %q", errb.String())
	}

	// With colour, the words are styled but the text they carry is not obeyed.
	p, _, errb = testPrinter(true)
	p.Errorf(hostile, hostile)
	p.Warn(hostile)
	p.Note(hostile)
	for _, line := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if plain := stripSGR(line); strings.ContainsRune(plain, '\x1b') || strings.ContainsRune(plain, '\a') {
			t.Errorf("colour on: hostile text reached the terminal: %q", line)
		}
	}
	if n := strings.Count(errb.String(), "\n"); n != 4 {
		t.Errorf("colour on: %d lines, want 4 (error, hint, warning, note)", n)
	}
}

// stripSGR removes colour sequences (ESC [ … m), the only escapes the printer itself writes.
func stripSGR(s string) string { return sgr.ReplaceAllString(s, "") }
