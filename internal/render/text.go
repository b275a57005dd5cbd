package render

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/comethook/comethook/simulate"
)

// Clean makes untrusted text safe for a terminal: escape sequences (CSI, OSC, DCS and the
// rest) are removed whole, other control characters dropped, invalid UTF-8 replaced.
// Newlines and tabs are kept when keepLines is set and become spaces otherwise.
func Clean(s string, keepLines bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune('\uFFFD')
		case r == 0x1b || r == 0x9b || r == 0x9d || r == 0x90 || r == 0x9e || r == 0x9f || r == 0x98:
			i += skipEscape(s[i:], r, size)
			continue
		case r == '\r':
			// dropped: a carriage return lets text overwrite what came before it
		case r == '\n' || r == '\t':
			if keepLines {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case unicode.IsControl(r) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			// C0/C1 controls, line separators and bidi overrides that can disguise text.
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlain is the fast path: printable ASCII only.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// skipEscape returns the length of the escape sequence at the start of s.
func skipEscape(s string, r rune, size int) int {
	i := size
	kind := r
	if r == 0x1b {
		if i >= len(s) {
			return i
		}
		switch s[i] {
		case '[':
			kind = 0x9b
		case ']':
			kind = 0x9d
		case 'P':
			kind = 0x90
		case '^':
			kind = 0x9e
		case '_':
			kind = 0x9f
		case 'X':
			kind = 0x98
		default:
			return i + 1 // two-byte escape such as ESC c
		}
		i++
	}
	if kind == 0x9b { // CSI: parameters and intermediates, then one final byte
		for i < len(s) {
			c := s[i]
			i++
			if c >= 0x40 && c <= 0x7e {
				break
			}
		}
		return i
	}
	// String sequences (OSC, DCS, PM, APC, SOS) end with BEL or ST (ESC \ or 0x9c).
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
		i++
	}
	return i
}

// Shorten cuts s to at most n characters (runes), ending with "…" when cut.
func Shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// OutcomeWords counts outcomes in words, in the vocabulary's order: "4 delivered, 1 injected".
func OutcomeWords(counts map[simulate.Outcome]int) string {
	var words []string
	for _, o := range simulate.Outcomes() {
		if n := counts[o]; n > 0 {
			words = append(words, fmt.Sprintf("%d %s", n, o))
		}
	}
	return strings.Join(words, ", ")
}

// Deliveries counts: "1 delivery", "2 deliveries".
func Deliveries(n int) string {
	if n == 1 {
		return "1 delivery"
	}
	return fmt.Sprintf("%d deliveries", n)
}
