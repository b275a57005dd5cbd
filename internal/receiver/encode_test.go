package receiver

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/comethook/comethook/simulate"
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
			Response: RecordResponse{Status: status, Body: bodyValueForTest(answer), DurationMs: ms, Source: SourceMock, CallerGone: gone},
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

// bodyValueForTest is what simulate.BodyValue makes of an answer (receiver cannot import
// simulate's test helpers; the rule is the same: JSON as a RawMessage, else a string).
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

// BenchmarkAppendLine compares the record's line written by hand with encoding/json's, in
// the same run.
func BenchmarkAppendLine(b *testing.B) {
	d := mockDeliveryForBench(b)
	rec := d.Record()
	b.Run("by hand", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf, _ = rec.AppendLine(buf[:0])
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			referenceLine(b, rec)
		}
	})
}

// mockDeliveryForBench is one before_message delivery answered by the mock, as listen
// records it.
func mockDeliveryForBench(b *testing.B) *Delivery {
	var got *Delivery
	h := New(Config{Rules: simulate.DefaultRules(), Emit: func(d *Delivery) { got = d }})
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(beforeMessage))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Basic Y2M6czNjcmV0")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got == nil {
		b.Fatal("no delivery")
	}
	return got
}

// A before_message record says whether CometChat drops the message; other triggers' records
// and refused requests say nothing of it.
func TestRecordDrop(t *testing.T) {
	h := New(Config{Rules: simulate.DefaultRules(), Mock: Mock{Drop: true}, Emit: func(d *Delivery) {
		rec := d.Record()
		switch {
		case d.Event != nil && d.Event.Trigger == "before_message":
			if rec.Drop == nil || !*rec.Drop {
				t.Errorf("before_message answered do_not_propagate: drop %v, want true", rec.Drop)
			}
		case rec.Drop != nil:
			t.Errorf("%s: drop %v, want none", rec.Trigger, *rec.Drop)
		}
	}})
	for _, body := range []string{beforeMessage, afterMessage} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
