package record

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// SetBody keeps what arrived so that RawBody gives it back byte for byte, and the payload
// stays valid, compact JSON whatever the body was.
func TestSetBody(t *testing.T) {
	for _, c := range []struct {
		name         string
		body         string
		isJSON       bool
		payload      string
		body64, text bool // whether Body / BodyBase64 are needed
	}{
		{"compact JSON", `{"a":"<b>"}`, true, `{"a":"<b>"}`, false, false},
		{"spaced JSON", "{ \"a\" : 1 }\n", true, `{"a":1}`, false, true},
		{"bad UTF-8 in JSON", "{\"a\":\"x\xffy\"}", true, "{\"a\":\"x\uFFFDy\"}", true, false},
		{"not JSON", "hello", false, "null", false, true},
		{"no body", "", false, "null", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r Record
			var b []byte
			if c.body != "" {
				b = []byte(c.body)
			}
			r.SetBody(b, c.isJSON)
			if string(r.Payload) != c.payload {
				t.Errorf("payload %s, want %s", r.Payload, c.payload)
			}
			if !utf8.Valid(r.Payload) {
				t.Errorf("payload is not valid UTF-8: %q", r.Payload)
			}
			if (r.BodyBase64 != nil) != c.body64 || (r.Body != nil) != c.text {
				t.Errorf("body %v, bodyBase64 %v; want %v, %v", r.Body != nil, r.BodyBase64 != nil, c.text, c.body64)
			}
			if got := r.RawBody(); !bytes.Equal(got, b) {
				t.Errorf("RawBody %q, want the bytes that arrived %q", got, b)
			}
		})
	}
}
