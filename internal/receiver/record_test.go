package receiver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/comethook/comethook/simulate"
)

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
		enc := json.NewEncoder(io.Discard)
		enc.SetEscapeHTML(false)
		for b.Loop() {
			enc.Encode(rec)
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
