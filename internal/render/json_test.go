package render

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/comethook/comethook/simulate"
)

func TestMaskedHeaders(t *testing.T) {
	secrets := []string{"dXNlcjpwYXNz", "abc.def.ghi", "s3cr3t", "k3y-value", "tok3n"}
	h := http.Header{
		"Authorization":       {"Basic dXNlcjpwYXNz"},
		"Proxy-Authorization": {"Bearer abc.def.ghi"},
		"Cookie":              {"session=s3cr3t; theme=dark"},
		"Set-Cookie":          {"session=s3cr3t; Path=/; HttpOnly", "other=s3cr3t"},
		"X-Api-Key":           {"k3y-value"},
		"Apikey":              {"k3y-value"},
		"Api-Key":             {"k3y-value"},
		"Key":                 {"k3y-value"},
		"Secret":              {"s3cr3t"},
		"authorization":       {"tok3n"}, // not canonical: set by hand
		"Content-Type":        {"application/json"},
		"X-Multi":             {"a", "b"},
	}
	got := simulate.MaskHeaders(h)
	for k, v := range got {
		for _, s := range secrets {
			if strings.Contains(v, s) {
				t.Errorf("%s: %q shows the credential %q", k, v, s)
			}
		}
	}
	for k, want := range map[string]string{
		"Authorization":       "Basic ****",
		"Proxy-Authorization": "Bearer ****",
		"X-Api-Key":           "****",
		"authorization":       "****",
		"Content-Type":        "application/json",
		"X-Multi":             "a, b",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	if len(got) != len(h) {
		t.Errorf("%d headers, want %d", len(got), len(h))
	}
	if h.Get("Authorization") != "Basic dXNlcjpwYXNz" {
		t.Errorf("MaskedHeaders changed its input")
	}
	if len(simulate.MaskHeaders(nil)) != 0 {
		t.Errorf("nil headers give entries")
	}
}

func TestHeaderLines(t *testing.T) {
	lines := headerLines(http.Header{
		"X-B":           {"evil\x1b]52;c;AAAA\x07value"},
		"Authorization": {"Basic dXNlcjpwYXNz"},
		"A":             {"1"},
	})
	want := []string{"A: 1", "Authorization: Basic ****", "X-B: evilvalue"}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("headerLines = %q, want %q", lines, want)
	}
}

func TestBodyValue(t *testing.T) {
	tests := []struct {
		in   string
		want string // the body as it appears in a JSON record
	}{
		{"", `null`},
		{"  \n", `null`},
		{`{"a":1,"b":[true,null]}`, `{"a":1,"b":[true,null]}`},
		{" [1, 2] \n", `[1,2]`},
		{`"text"`, `"text"`},
		{`42`, `42`},
		{`OK`, `"OK"`},
		{`{"a":`, `"{\"a\":"`},
		{"  spaced  ", `"  spaced  "`},
		{"<b>&</b>", `"<b>&</b>"`},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, map[string]any{"body": simulate.BodyValue([]byte(tt.in))}); err != nil {
			t.Fatalf("simulate.BodyValue(%q): %v", tt.in, err)
		}
		if got := buf.String(); got != `{"body":`+tt.want+"}\n" {
			t.Errorf("simulate.BodyValue(%q) in a record = %s, want {\"body\":%s}", tt.in, strings.TrimSpace(got), tt.want)
		}
	}
	if simulate.BodyValue(nil) != nil {
		t.Errorf("simulate.BodyValue(nil) is not nil")
	}
}

func TestCompactAndWriteJSON(t *testing.T) {
	if got, ok := Compact([]byte(" {\n \"b\": 1,\n \"a\": \"<@uid:x>\"\n}\n")); !ok || got != `{"b":1,"a":"<@uid:x>"}` {
		t.Errorf("Compact = %q, %v", got, ok)
	}
	if _, ok := Compact([]byte("not json")); ok {
		t.Errorf("Compact accepted text")
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, map[string]string{"text": "<@uid:cometchat-uid-2> & co"}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != `{"text":"<@uid:cometchat-uid-2> & co"}`+"\n" {
		t.Errorf("WriteJSON = %q", got)
	}
}

func TestPrettyJSON(t *testing.T) {
	in := []byte(`{"zeta":1,"alpha":{"yy":1.50,"bb":[1,2e3,-0.5]},"mid":"<@uid:x> \"q\"","t":true,"f":false,"n":null,"big":12345678901234567890}`)
	want := `{
  "zeta": 1,
  "alpha": {
    "yy": 1.50,
    "bb": [
      1,
      2e3,
      -0.5
    ]
  },
  "mid": "<@uid:x> \"q\"",
  "t": true,
  "f": false,
  "n": null,
  "big": 12345678901234567890
}`
	got, ok := newStyles(false).prettyJSON(in)
	if !ok || got != want {
		t.Errorf("prettyJSON without colour =\n%s\nwant\n%s", got, want)
	}
	coloured, ok := newStyles(true).prettyJSON(in)
	if !ok || !strings.Contains(coloured, "\x1b[") {
		t.Fatalf("prettyJSON with colour has no colour: %q", coloured)
	}
	if plain := sgr.ReplaceAllString(coloured, ""); plain != want {
		t.Errorf("prettyJSON with colour, colours removed =\n%s\nwant\n%s", plain, want)
	}
	for _, bad := range []string{"", "  ", "OK", `{"a":`, `{"a":1} {"b":2}`} {
		if s, ok := newStyles(false).prettyJSON([]byte(bad)); ok {
			t.Errorf("prettyJSON(%q) = %q, ok; want not JSON", bad, s)
		}
	}
}

func TestPrettyJSONCleansStrings(t *testing.T) {
	// C1 controls and bidi overrides are valid inside JSON strings (an 8-bit CSI goes with
	// its parameters and final byte); escaped ESC stays
	// visible text (\u001b), which is harmless.
	in := []byte("{\"text\":\"\u009b2Jhi\u202Eexe\",\"esc\":\"\\u001b[31m\"}")
	for _, colour := range []bool{false, true} {
		got, ok := newStyles(colour).prettyJSON(in)
		if !ok {
			t.Fatal("not JSON")
		}
		assertOnlySGR(t, "pretty JSON", got)
		plain := sgr.ReplaceAllString(got, "")
		if !strings.Contains(plain, `"text": "hiexe"`) || !strings.Contains(plain, `"esc": "\u001b[31m"`) {
			t.Errorf("colour %v: %q", colour, plain)
		}
	}
}

func TestMillisAndDurationMs(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.0 ms"},
		{1500 * time.Microsecond, "1.5 ms"},
		{4 * time.Millisecond, "4.0 ms"},
		{812 * time.Millisecond, "812 ms"},
		{2400 * time.Millisecond, "2.4 s"},
	} {
		if got := Millis(tt.d); got != tt.want {
			t.Errorf("Millis(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	for _, tt := range []struct {
		d    time.Duration
		want float64
	}{
		{12500 * time.Microsecond, 12.5},
		{1234567 * time.Nanosecond, 1.234},
		{2 * time.Second, 2000},
	} {
		if got := simulate.DurationMs(tt.d); got != tt.want {
			t.Errorf("simulate.DurationMs(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
	var v any
	b, _ := json.Marshal(simulate.DurationMs(12500 * time.Microsecond))
	if err := json.Unmarshal(b, &v); err != nil || v != 12.5 {
		t.Errorf("durationMs in JSON = %s", b)
	}
}
