package render

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/comethook/comethook/simulate"
)

// PrettyJSON indents a JSON document keeping its key order and number spelling, colours
// keys and values, and cleans it for the terminal. ok is false when b is not JSON.
func (st styles) prettyJSON(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || !json.Valid(b) {
		return "", false
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return "", false
	}
	out := Clean(buf.String(), true)
	if !st.on {
		return out, true
	}
	return st.colourJSON(out), true
}

// colourJSON colours an indented JSON text token by token: keys blue, strings green,
// numbers cyan, true/false/null magenta.
func (st styles) colourJSON(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			tok := s[i:j]
			if strings.HasPrefix(s[j:], ":") {
				b.WriteString(st.blue.Sprint(tok))
			} else {
				b.WriteString(st.green.Sprint(tok))
			}
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			for j < len(s) && strings.IndexByte("+-.eE0123456789", s[j]) >= 0 {
				j++
			}
			b.WriteString(st.cyan.Sprint(s[i:j]))
			i = j
		case strings.HasPrefix(s[i:], "true"), strings.HasPrefix(s[i:], "null"):
			b.WriteString(st.magenta.Sprint(s[i : i+4]))
			i += 4
		case strings.HasPrefix(s[i:], "false"):
			b.WriteString(st.magenta.Sprint(s[i : i+5]))
			i += 5
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// Compact returns b as one line of JSON when it is JSON, else "" and false.
func Compact(b []byte) (string, bool) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, bytes.TrimSpace(b)); err != nil {
		return "", false
	}
	return buf.String(), true
}

// WriteJSON writes v as one line of JSON with a newline, without HTML escaping.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// headerLines renders headers sorted, one per line, masked and cleaned.
func headerLines(h http.Header) []string {
	m := simulate.MaskHeaders(h)
	keys := sortedKeys(m)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = Clean(k, false) + ": " + Clean(m[k], false)
	}
	return lines
}

// SafeURL hides a password in a URL ("http://user:xxxxx@host/"), for output and records.
func SafeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
