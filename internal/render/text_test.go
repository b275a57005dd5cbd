package render

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // with keepLines false
		keep string // with keepLines true; "" means the same as want
	}{
		{name: "plain", in: "hello, world", want: "hello, world"},
		{name: "empty", in: "", want: ""},
		{name: "SGR colour", in: "\x1b[31mred\x1b[0m text", want: "red text"},
		{name: "SGR 256 and reset", in: "\x1b[1;38;5;196mX\x1b[m", want: "X"},
		{name: "clear screen and cursor moves", in: "a\x1b[2J\x1b[Hb\x1b[10;20Hc\x1b[1A\x1b[?25l", want: "abc"},
		{name: "erase line", in: "fake prompt\x1b[2K\x1b[1Greal", want: "fake promptreal"},
		{name: "OSC 8 hyperlink with ST", in: "\x1b]8;;https://evil.test/\x1b\\click me\x1b]8;;\x1b\\", want: "click me"},
		{name: "OSC 8 hyperlink with BEL", in: "\x1b]8;;https://evil.test/\x07click me\x1b]8;;\x07", want: "click me"},
		{name: "OSC 52 clipboard with BEL", in: "before\x1b]52;c;cm0gLXJmIH4=\x07after", want: "beforeafter"},
		{name: "OSC 52 clipboard with ST", in: "before\x1b]52;c;cm0gLXJmIH4=\x1b\\after", want: "beforeafter"},
		{name: "OSC title with 8-bit ST", in: "\x1b]0;pwned\u009cafter", want: "after"},
		{name: "OSC without terminator eats the rest", in: "ok\x1b]52;c;AAAA", want: "ok"},
		{name: "8-bit C1 CSI", in: "\u009b31mred\u009b0m", want: "red"},
		{name: "8-bit C1 OSC", in: "\u009d52;c;AAAA\u0007x", want: "x"},
		{name: "8-bit C1 DCS", in: "\u0090q#0;2\u009cx", want: "x"},
		{name: "DCS with ST", in: "\x1bPq#0;2;0;0;0\x1b\\x", want: "x"},
		{name: "APC, PM, SOS", in: "\x1b_app\x1b\\a\x1b^pm\x07b\x1bXsos\x1b\\c", want: "abc"},
		{name: "raw 0x9b byte is not UTF-8", in: "\x9b31m", want: "\uFFFD31m"},
		{name: "bare ESC at the end", in: "abc\x1b", want: "abc"},
		{name: "ESC c full reset", in: "\x1bcX", want: "X"},
		{name: "ESC 7 / ESC 8 cursor save and restore", in: "\x1b7X\x1b8Y", want: "XY"},
		{name: "double ESC", in: "\x1b\x1b[31mx", want: "[31mx"},
		{name: "CSI without final byte", in: "x\x1b[31", want: "x"},
		{name: "carriage return overwrite", in: "safe text\rEVIL", want: "safe textEVIL"},
		{name: "CRLF", in: "a\r\nb", want: "a b", keep: "a\nb"},
		{name: "newline and tab", in: "a\nb\tc", want: "a b c", keep: "a\nb\tc"},
		{name: "backspaces", in: "abc\b\b\bxyz", want: "abcxyz"},
		{name: "BEL, NUL, DEL, vertical tab, form feed", in: "a\x07b\x00c\x7fd\x0be\x0cf", want: "abcdef"},
		{name: "C1 NEL and others", in: "a\u0085b\u0080c\u0099d", want: "abcd"},
		{name: "C1 APC runs to its terminator", in: "a\u009fhidden\u009cb", want: "ab"},
		{name: "bidi override", in: "invoice\u202Efdp.exe", want: "invoicefdp.exe"},
		{name: "bidi embeddings and isolates", in: "\u202Aa\u202Bb\u202Cc\u202Dd\u2066e\u2067f\u2068g\u2069", want: "abcdefg"},
		{name: "line and paragraph separators", in: "a\u2028b\u2029c", want: "abc"},
		{name: "invalid UTF-8", in: "a\xffb\xc3", want: "a\uFFFDb\uFFFD"},
		{name: "overlong encoding", in: "\xc0\xaf", want: "\uFFFD\uFFFD"},
		{name: "emoji kept", in: "👍🏽 👨‍👩‍👧 🥾 🏒", want: "👍🏽 👨‍👩‍👧 🥾 🏒"},
		{name: "CJK and other scripts kept", in: "你好，世界 こんにちは 안녕 مرحبا Ünïcødé", want: "你好，世界 こんにちは 안녕 مرحبا Ünïcødé"},
		{name: "mention markup kept", in: "<@uid:cometchat-uid-2> hi & bye", want: "<@uid:cometchat-uid-2> hi & bye"},
		{name: "escape inside emoji text", in: "🥾\x1b[5m🥾\x1b[0m", want: "🥾🥾"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keep := tt.keep
			if keep == "" {
				keep = tt.want
			}
			if got := Clean(tt.in, false); got != tt.want {
				t.Errorf("Clean(%q, false) = %q, want %q", tt.in, got, tt.want)
			}
			if got := Clean(tt.in, true); got != keep {
				t.Errorf("Clean(%q, true) = %q, want %q", tt.in, got, keep)
			}
		})
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello world", 5, "hell…"},
		{"hello world", 1, "…"},
		{"hello", 0, ""},
		{"", 0, ""},
		{"👍👍👍", 3, "👍👍👍"},
		{"👍👍👍", 2, "👍…"},
		{"你好，世界", 4, "你好，…"},
	}
	for _, tt := range tests {
		got := Shorten(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("Shorten(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if utf8.RuneCountInString(got) > max(tt.n, 0) || !utf8.ValidString(got) {
			t.Errorf("Shorten(%q, %d) = %q: longer than %d characters or invalid", tt.in, tt.n, got, tt.n)
		}
	}
}

// checkClean asserts what a terminal needs from Clean's output.
func checkClean(t *testing.T, in, out string, keepLines bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Clean(%q) = %q: not valid UTF-8", in, out)
	}
	if strings.IndexByte(out, 0x1b) >= 0 {
		t.Fatalf("Clean(%q) = %q: contains ESC", in, out)
	}
	for _, r := range out {
		switch {
		case r >= 0x80 && r <= 0x9f:
			t.Fatalf("Clean(%q) = %q: contains C1 control %U", in, out, r)
		case r == '\n' || r == '\t':
			if !keepLines {
				t.Fatalf("Clean(%q, false) = %q: contains a line break or tab", in, out)
			}
		case r < 0x20 || r == 0x7f:
			t.Fatalf("Clean(%q) = %q: contains C0 control %U", in, out, r)
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
			t.Fatalf("Clean(%q) = %q: contains bidi control or separator %U", in, out, r)
		}
	}
	if again := Clean(out, keepLines); again != out {
		t.Fatalf("Clean is not idempotent: Clean(%q) = %q, cleaned again %q", in, out, again)
	}
}

func FuzzClean(f *testing.F) {
	seeds := []string{
		"", "plain", "\x1b[31mred\x1b[0m", "\x1b]8;;https://x\x1b\\l\x1b]8;;\x1b\\", "\x1b]52;c;QQ==\x07",
		"\u009b31m", "\u009d0;t\u009c", "\x9b", "\x1b", "\x1b\x1b", "a\rb", "\u202e", "\xff\xfe", "👍🏽你好",
		"\x1bP\x1b", "\x1b]\x1b\\", "\xc2", "\xc2\x9b", "\x1b[\xc2\x9b", "\u0090\u009c",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkClean(t, s, Clean(s, false), false)
		checkClean(t, s, Clean(s, true), true)
		if utf8.ValidString(s) && isPlain(s) && Clean(s, false) != s {
			t.Fatalf("printable ASCII %q changed", s)
		}
	})
}
