package simulate

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// The helpers below shape values for JSON records (send --json, listen --json, captures).

// BodyValue is how an HTTP body appears in JSON records: the JSON value itself when it is
// JSON, the text otherwise, null when empty.
func BodyValue(b []byte) any {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return nil
	}
	if json.Valid(t) {
		// A record is a JSON line, which must be valid UTF-8: bad bytes (only ever inside
		// strings) become U+FFFD. A string value gets the same from encoding/json.
		return json.RawMessage(bytes.ToValidUTF8(t, []byte("\uFFFD")))
	}
	return string(b)
}

// MaskHeaders flattens headers for display and records, with credentials masked.
func MaskHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		if isSecretHeader(k) {
			v = maskCredential(k, v)
		}
		out[k] = v
	}
	return out
}

func isSecretHeader(k string) bool {
	switch strings.ToLower(k) {
	case "authorization", "proxy-authorization", "cookie", "set-cookie", "apikey", "api-key", "x-api-key", "secret", "key":
		return true
	}
	return false
}

// maskCredential keeps the scheme of an Authorization value ("Basic") and hides the rest.
// Other secret headers are hidden whole: the text before a space of a cookie is its value.
func maskCredential(k, v string) string {
	auth := strings.EqualFold(k, "authorization") || strings.EqualFold(k, "proxy-authorization")
	if scheme, _, ok := strings.Cut(v, " "); ok && auth && !strings.ContainsAny(scheme, "=;,") {
		return scheme + " ****"
	}
	return "****"
}

// DurationMs is how durations appear in JSON records: milliseconds, to the microsecond.
func DurationMs(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
