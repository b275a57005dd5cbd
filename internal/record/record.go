// Package record is a delivery as JSON: the line listen writes to the capture and to
// --json, and what events, replay and the inspector read back. It knows nothing of HTTP:
// the receiver builds records, everything downstream only reads them.
package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Record is a delivery as JSON: the `listen --json` line (design.md §3), the capture file's
// line and what the inspector serves. Credentials in headers are masked.
type Record struct {
	Seq        int64             `json:"seq"`
	ReceivedAt string            `json:"receivedAt"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Query      string            `json:"query,omitempty"`
	Trigger    string            `json:"trigger"`
	Webhook    string            `json:"webhook"`
	AppID      string            `json:"appId"`
	Headers    map[string]string `json:"headers"`
	// Payload is the event as received, or null when it is not JSON.
	Payload json.RawMessage `json:"payload"`
	// Body is the raw body when Payload does not give it back byte for byte (not JSON,
	// or JSON with other spacing), so that a replay sends exactly what arrived.
	Body *string `json:"body,omitempty"`
	// BodyBase64 is the raw body, base64, when it is not valid UTF-8: a JSON line must be
	// (strict parsers refuse anything else), and replay must still send the exact bytes.
	// Payload then shows the text with U+FFFD in place of the bad bytes.
	BodyBase64 *string  `json:"bodyBase64,omitempty"`
	Response   Response `json:"response"`
	Outcome    string   `json:"outcome"`
	// Drop says whether CometChat drops the message, for a synchronous trigger
	// (before_message) whose answer was judged: a fact, so that no reader has to find it
	// in the assumptions' words. Left out for other triggers and for refused requests.
	Drop        *bool    `json:"drop,omitempty"`
	Assumptions []string `json:"assumptions,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
	// DuplicateOf is the seq of an earlier delivery of the same event; null when none.
	DuplicateOf *int64  `json:"duplicateOf"`
	Error       *string `json:"error"`
}

// Response is the answer given to CometChat.
type Response struct {
	Status     int     `json:"status"`
	Body       any     `json:"body"`
	DurationMs float64 `json:"durationMs"`
	Source     string  `json:"source"`               // mock, forward (the app) or comethook (for the app)
	CallerGone bool    `json:"callerGone,omitempty"` // the caller hung up first: it never got this answer
}

// SetBody keeps the body that arrived: as the payload when it is JSON (compacted, and valid
// UTF-8, as a JSON line must be), and byte for byte in Body or BodyBase64 whenever the payload
// alone would not give it back, so that a replay sends exactly what arrived.
func (r *Record) SetBody(b []byte, isJSON bool) {
	r.Payload = json.RawMessage("null")
	valid := utf8.Valid(b)
	switch {
	case isJSON:
		r.Payload = json.RawMessage(b)
		if isCompact(b) && valid {
			return
		}
		var buf bytes.Buffer
		if json.Compact(&buf, b) == nil {
			r.Payload = buf.Bytes()
		}
		if !valid { // bad bytes can only sit inside strings: replaced, the JSON stays valid
			r.Payload = bytes.ToValidUTF8(r.Payload, []byte("\uFFFD"))
		}
	case b == nil:
		return
	}
	r.setBody(b, valid)
}

// isCompact says whether json.Compact would give b back unchanged (no whitespace outside
// strings), so the payload alone replays byte for byte. Records are written without HTML
// escaping, which would rewrite <, > and &.
func isCompact(b []byte) bool {
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\n' || c == '\t' || c == '\r'):
			return false
		}
	}
	return true
}

// setBody keeps the exact body: as text, or base64 when it is not valid UTF-8.
func (r *Record) setBody(b []byte, validUTF8 bool) {
	if !validUTF8 {
		enc := base64.StdEncoding.EncodeToString(b)
		r.BodyBase64 = &enc
		return
	}
	raw := string(b)
	r.Body = &raw
}

// ApproxSize is about how many bytes the record holds in memory: its payload, body, answer
// and headers. Readers that hold records (the inspector, events' reordering) bound it.
func (r Record) ApproxSize() int {
	n := len(r.Payload) + 512
	if r.Body != nil {
		n += len(*r.Body)
	}
	if r.BodyBase64 != nil {
		n += len(*r.BodyBase64)
	}
	switch b := r.Response.Body.(type) {
	case json.RawMessage:
		n += len(b)
	case string:
		n += len(b)
	}
	for k, v := range r.Headers {
		n += len(k) + len(v)
	}
	return n
}

// RawBody returns the bytes that arrived, from the record.
func (r Record) RawBody() []byte {
	if r.BodyBase64 != nil {
		if b, err := base64.StdEncoding.DecodeString(*r.BodyBase64); err == nil {
			return b
		}
	}
	if r.Body != nil {
		return []byte(*r.Body)
	}
	if string(r.Payload) == "null" {
		return nil
	}
	return r.Payload
}

// maxTriggerName bounds the trigger part of a fixture's file name.
const maxTriggerName = 64

// FixtureName is the file name of the record's fixture: "<seq>-<trigger>.json", or
// "<seq>-unknown.json" without a trigger. The trigger comes from the payload, so it is cut
// down to lower-case letters, digits and underscores: a hostile "../../x" names no other
// directory.
func (r Record) FixtureName() string {
	t := strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
			return c
		case c >= 'A' && c <= 'Z':
			return c + 'a' - 'A'
		}
		return '_'
	}, r.Trigger)
	t = strings.Trim(t, "_")
	if len(t) > maxTriggerName {
		t = strings.TrimRight(t[:maxTriggerName], "_")
	}
	if t == "" {
		t = "unknown"
	}
	return fmt.Sprintf("%d-%s.json", r.Seq, t)
}

// Fixture returns the record's payload as a fixture `comethook send` reads as it is: indented
// by two spaces, keys in the order they arrived, strings untouched (no HTML escaping), ending
// with a newline. It is an error when the payload is not a JSON object (the body was not JSON,
// so there is nothing send could play).
func (r Record) Fixture() ([]byte, error) {
	p := bytes.TrimSpace(r.Payload)
	if len(p) == 0 || string(p) == "null" {
		return nil, fmt.Errorf("delivery #%d has no JSON payload to save as a fixture: its body was not JSON", r.Seq)
	}
	var buf bytes.Buffer
	buf.Grow(len(p) + len(p)/2)
	if err := json.Indent(&buf, p, "", "  "); err != nil {
		return nil, fmt.Errorf("delivery #%d: the payload is not valid JSON: %w", r.Seq, err)
	}
	if p[0] != '{' {
		return nil, fmt.Errorf("delivery #%d: the payload is not a JSON object, so send cannot play it", r.Seq)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
