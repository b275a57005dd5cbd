package render

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// ownSGR is the printer's own styling: SGR sequences (colours, bold, faint, reset).
var ownSGR = regexp.MustCompile("\x1b\\[[0-9;]*m")

// checkTerminalSafe fails when out holds anything that could drive a terminal: invalid
// UTF-8, ESC (after removing the printer's own SGR styling when colour is on), C0 controls
// other than newlines and tabs, C1 controls, line separators or bidi overrides.
func checkTerminalSafe(t *testing.T, what, out string, colour bool) {
	t.Helper()
	if colour {
		out = ownSGR.ReplaceAllString(out, "")
	}
	if !utf8.ValidString(out) {
		t.Fatalf("%s: output is not valid UTF-8: %q", what, out)
	}
	for i, r := range out {
		if r == '\n' || r == '\t' { // verbose blocks keep the tabs of the text they show
			continue
		}
		if unicode.IsControl(r) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("%s: output holds %U at byte %d: %q", what, r, i, out)
		}
	}
}

// FuzzDeliveryLine renders arbitrary deliveries (payload, request line, errors, warnings,
// outcome) the way listen and events print them, with colour off and on, verbose or not:
// nothing panics, and the output carries no escape or control character of its own: with
// colour off none at all, with colour on only the printer's SGR styling.
func FuzzDeliveryLine(f *testing.F) {
	hostile := []string{"", "POST", "\x1b]0;owned\x07", "\x1b[2J\x1b[H", "\u009b31m", "\u009d0;t\u009c", "a\rb\nc\td",
		"\u202egnp.exe", "\xff\xfe", "\x00", "<script>alert(1)</script>", "\x1bP+q\x1b\\", "\x1b", "\u2028"}
	for i, k := range fixtures.Keys() {
		raw, err := fixtures.Load(k)
		if err != nil {
			f.Fatal(err)
		}
		h := hostile[i%len(hostile)]
		f.Add(raw, h, "/hook", "", h, "", "delivered", i%2 == 0)
	}
	for _, body := range []string{
		"{\"trigger\":\"\x1b]0;t\x07\",\"webhook\":\"\u009b2J\",\"data\":{\"message\":{\"sender\":\"\x1b[31m\",\"receiver\":\"\u202e\",\"data\":{\"text\":\"\x1b]8;;http://x\x1b\\\\l\"}}}}",
		`{"trigger":"message_sent","data":{"message":{"sender":"\u001b[31mred","data":{"text":"\u009b2J\u2028\u202e"}}}}`,
		`{"trigger":"call_ended","data":{"all_occupants":"\u001b]0;x\u0007","created_at":[1]}}`,
		`{"trigger":"before_message","data":{"sender":"\u0000","category":"message","data":{"text":"\r\u0007"}}}`,
		"not json \x1b[2J", "", "[\"\x1b\"]", "{\"\u001b\":\"\u009b\"}",
	} {
		for _, h := range hostile {
			f.Add([]byte(body), "POST", h, h, h, h, h, true)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, method, path, query, errText, warning, outcome string, verbose bool) {
		e, _ := webhook.Parse(body)
		for _, colour := range []bool{false, true} {
			var out, errOut bytes.Buffer
			p := NewPrinter(Streams{Out: &out, ErrOut: &errOut}, colour, colour)
			p.Verbose = verbose
			d := &receiver.Delivery{
				Seq: 7, ReceivedAt: time.Unix(1_800_000_000, 0), Method: method, Path: path, Query: query,
				Header: http.Header{"X-" + strings.ToUpper(method[:min(len(method), 1)]) + "h": {warning}, "Authorization": {"Basic " + errText}},
				Body:   body, Event: e, Outcome: simulate.Outcome(outcome), Error: errText, Warnings: []string{warning},
				Response: receiver.Response{Status: 200, Body: []byte(errText), Duration: time.Millisecond, Source: receiver.SourceForward},
				Verdict:  simulate.Verdict{Assumptions: []string{warning}, Injected: map[string]any{errText: warning}},
			}
			p.Delivery(d)
			checkTerminalSafe(t, "Delivery stdout", out.String(), colour)
			checkTerminalSafe(t, "Delivery stderr", errOut.String(), colour)
			if !colour && (strings.ContainsRune(out.String(), 0x1b) || strings.ContainsRune(errOut.String(), 0x1b)) {
				t.Fatalf("colour off, yet ESC in the output: %q %q", out.String(), errOut.String())
			}

			out.Reset()
			dup := int64(3)
			rec := record.Record{
				Seq: 7, ReceivedAt: query, Method: method, Path: path, Query: query, Headers: map[string]string{warning: errText},
				Payload: body, Response: record.Response{Status: 502, Body: errText, Source: warning},
				Outcome: outcome, Assumptions: []string{warning}, Warnings: []string{warning}, DuplicateOf: &dup, Error: &errText,
			}
			if verbose {
				p.RecordDetail(rec)
			} else {
				p.RecordRow(rec)
			}
			checkTerminalSafe(t, "Record", out.String(), colour)
			if !colour && strings.ContainsRune(out.String(), 0x1b) {
				t.Fatalf("colour off, yet ESC in the output: %q", out.String())
			}
		}
	})
}
