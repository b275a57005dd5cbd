package record

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// referenceLine is the record's line as encoding/json writes it with HTML escaping off: what
// AppendLine must give, byte for byte.
func referenceLine(t testing.TB, r Record) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return b.Bytes()
}

func FuzzAppendLine(f *testing.F) {
	f.Add(int64(1), "POST", "/hooks", "", "message_sent", "h1", "Basic ****", `{"a":1}`, "", 200, `{}`, 4.25, false, "delivered", "", "", int64(0))
	f.Add(int64(42), "GET", "/a b", "x=1&y=<2>", "", "\x00\x1f\"\\\u2028\u2029\xff", "", "null", "raw \xfe body", 502, "not json\n", 1e-7, true, "failed", "assumed: <&>", "warn\tline", int64(3))
	f.Add(int64(7), "POST", "/", "q", "before_message", "ü 😀", "v", `{"x":"y"}`, "b", 200, " {\n \"a\" : [1, 2]\n} ", 1e21, false, "injected", "a", "w", int64(-1))
	f.Fuzz(func(t *testing.T, seq int64, method, path, query, trigger, header, auth, payload, body string, status int, answer string, ms float64, gone bool, outcome, assumption, warning string, dup int64) {
		if math.IsInf(ms, 0) || math.IsNaN(ms) {
			return // neither encoder writes these; a duration is always finite
		}
		r := Record{Seq: seq, ReceivedAt: "2026-11-30T10:00:00Z", Method: method, Path: path, Query: query,
			Trigger: trigger, Webhook: header, AppID: auth, Headers: map[string]string{"X-H": header, "Authorization": auth, header: method},
			Payload:  json.RawMessage("null"),
			Response: Response{Status: status, Body: bodyValueForTest(answer), DurationMs: ms, Source: "mock", CallerGone: gone},
			Outcome:  outcome}
		if json.Valid([]byte(payload)) {
			var c bytes.Buffer
			json.Compact(&c, []byte(payload))
			r.Payload = bytes.ToValidUTF8(c.Bytes(), []byte("\uFFFD"))
		}
		if body != "" {
			r.Body = &body
			r.BodyBase64 = &body
		}
		if assumption != "" {
			r.Assumptions = []string{assumption, warning}
		}
		if warning != "" {
			r.Warnings = []string{warning}
		}
		if dup != 0 {
			r.DuplicateOf = &dup
			r.Error = &warning
		}
		if status%3 != 0 {
			drop := status%3 == 1
			r.Drop = &drop
		}
		got, err := r.AppendLine([]byte("prefix"))
		if err != nil {
			t.Fatalf("AppendLine: %v", err)
		}
		if want := referenceLine(t, r); !bytes.Equal(got[len("prefix"):], want) {
			t.Fatalf("AppendLine differs from encoding/json:\n got %s\nwant %s", got[len("prefix"):], want)
		}
	})
}

// bodyValueForTest is what simulate.BodyValue makes of an answer: JSON as a RawMessage,
// else a string.
func bodyValueForTest(s string) any {
	t := bytes.TrimSpace([]byte(s))
	switch {
	case len(t) == 0:
		return nil
	case json.Valid(t):
		return json.RawMessage(bytes.ToValidUTF8(t, []byte("\uFFFD")))
	}
	return s
}
