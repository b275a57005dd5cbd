package render

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

const target = "http://localhost:3000/webhooks"

func fixtureEvent(t *testing.T, sys fixtures.System, trigger string) (*webhook.Event, []byte) {
	t.Helper()
	raw, err := fixtures.Load(fixtures.Key{System: sys, Trigger: trigger})
	if err != nil {
		t.Fatal(err)
	}
	e, err := webhook.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	body, err := simulate.Marshal(e.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return e, body
}

// report builds the report of one delivery the way `comethook send` does.
func report(t *testing.T, e *webhook.Event, body []byte, resp simulate.Response, rules simulate.Rules) SendReport {
	t.Helper()
	v := simulate.Apply(e, resp, rules)
	r := SendReport{Event: e, URL: target, Body: body, Response: resp, Verdict: v,
		Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {simulate.BasicAuthHeader("user:pass")}}}
	if e.Trigger == "before_message" {
		r.Message, _ = simulate.FinalMessage(e, v)
	}
	r.Warnings = append(r.Warnings, v.Warnings...)
	if resp.Err != nil {
		r.Error = simulate.Explain(resp.Err, target, 2*time.Second)
	}
	return r
}

func ok(status int, body string) simulate.Response {
	return simulate.Response{Status: status, Body: []byte(body), Duration: 12 * time.Millisecond,
		Header: http.Header{"Content-Type": {"application/json"}}}
}

var timedOut = simulate.Response{Err: context.DeadlineExceeded, TimedOut: true, Duration: 2 * time.Second}

func TestSendReportBeforeMessage(t *testing.T) {
	e, body := fixtureEvent(t, fixtures.Legacy, "before_message")
	common := []string{
		"→ before_message  send-message  cometchat-uid-5 → cometchat-uid-4  \"Hi there 👋\"\n",
		"  POST http://localhost:3000/webhooks\n",
	}
	tests := []struct {
		name    string
		resp    simulate.Response
		rules   simulate.Rules
		want    []string
		notWant []string
		stderr  string // what stderr must say; "" for nothing
	}{
		{name: "injected", resp: ok(200, `{"flagged":true}`), rules: simulate.DefaultRules(),
			want: []string{"← 200 OK  12 ms  injected\n", `"flagged": true`,
				"  verdict: CometChat delivers the message with metadata[\"@injected\"].webhooks[\"send-message\"] = {\"flagged\":true}\n"},
			notWant: []string{"assumed"}},
		{name: "empty object injected", resp: ok(200, `{}`), rules: simulate.DefaultRules(),
			want: []string{"injected", `webhooks["send-message"] = {}`, "assumed: CometChat stores an empty {} answer", "--empty-object"}},
		{name: "dropped", resp: ok(200, `{"action":"do_not_propagate"}`), rules: simulate.DefaultRules(),
			want: []string{"← 200 OK  12 ms  dropped\n",
				"  verdict: CometChat drops the message: it is not stored and nobody receives it\n"},
			notWant: []string{"assumed", "delivers"}},
		{name: "failed, delivered unchanged", resp: ok(500, `oops`), rules: simulate.DefaultRules(),
			want: []string{"← 500 Internal Server Error  12 ms  failed  HTTP 500 Internal Server Error\n", "  oops\n",
				"  verdict: CometChat delivers the message unchanged\n",
				"  assumed: CometChat delivers the message unchanged when the endpoint answers non-2xx (--on-error=drop to assume it drops it)\n"}},
		{name: "failed, dropped by assumption", resp: ok(503, ``), rules: simulate.Rules{DropOnError: true},
			want: []string{"failed  HTTP 503 Service Unavailable", "  verdict: CometChat drops the message\n",
				"assumed: CometChat drops the message when the endpoint answers non-2xx (--on-error=drop; deliver is the default)"}},
		{name: "invalid answer", resp: ok(200, `thanks!`), rules: simulate.DefaultRules(),
			want: []string{"← 200 OK", "delivered\n", "  thanks!\n",
				"verdict: CometChat delivers the message unchanged", "--on-invalid"},
			stderr: "warning: the answer is not JSON: before_message expects a JSON object"},
		{name: "timed out", resp: timedOut, rules: simulate.DefaultRules(),
			want: []string{"← failed  no answer within 2s: CometChat gives up after about 2s; is the endpoint stuck?  2.0 s\n",
				"verdict: CometChat delivers the message unchanged", "--on-timeout"}},
		{name: "timed out, dropped", resp: timedOut, rules: simulate.Rules{DropTimeout: true},
			want: []string{"← failed", "  verdict: CometChat drops the message\n", "--on-timeout=drop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, out, errb := testPrinter(false)
			p.Send(report(t, e, body, tt.resp, tt.rules))
			got := out.String()
			for _, w := range append(append([]string{}, common...), tt.want...) {
				if !strings.Contains(got, w) {
					t.Errorf("report lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("report has %q:\n%s", w, got)
				}
			}
			if !strings.Contains(errb.String(), tt.stderr) || (errb.Len() == 0) != (tt.stderr == "") {
				t.Errorf("stderr = %q, want %q", errb.String(), tt.stderr)
			}
			assertNoEscapes(t, "report", got)
		})
	}
}

func TestSendReportOtherTriggers(t *testing.T) {
	e, body := fixtureEvent(t, fixtures.V2, "message_reaction_added")
	p, out, _ := testPrinter(false)
	p.Send(report(t, e, body, ok(200, ``), simulate.DefaultRules()))
	want := "→ message_reaction_added  comethook-dev  👍 on #1  by cometchat-uid-2\n" +
		"  POST http://localhost:3000/webhooks\n" +
		"← 200 OK  12 ms  delivered\n"
	if got := out.String(); got != want {
		t.Errorf("report =\n%q\nwant\n%q", got, want)
	}
}

func TestSendReportWarningsAttemptsVerbose(t *testing.T) {
	e, body := fixtureEvent(t, fixtures.Legacy, "before_message")
	resp := ok(200, `{"flagged":true}`)
	resp.Duration = 2500 * time.Millisecond
	resp.Header.Set("Set-Cookie", "session=s3cr3t")
	r := report(t, e, body, resp, simulate.DefaultRules())
	r.Warnings = append([]string{"removed data.id: before_message runs before CometChat stores the message"}, r.Warnings...)
	r.Attempt, r.Of = 2, 3

	p, out, errb := testPrinter(false)
	p.Verbose = true
	p.Send(r)
	got := out.String()
	for _, w := range []string{
		"attempt 2/3  ↻ duplicate of attempt 1  → before_message",
		"  Authorization: Basic ****\n",
		"  Content-Type: application/json\n",
		`"text": "Hi there 👋"`, // the request body, pretty
		"← 200 OK  2.5 s  injected",
		"  Set-Cookie: ****\n",
		"the message as delivered:",
		`"@injected": {`,
		`"send-message": {`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("verbose report lacks %q:\n%s", w, got)
		}
	}
	for _, secret := range []string{"dXNlcjpwYXNz", "s3cr3t"} {
		if strings.Contains(got+errb.String(), secret) {
			t.Errorf("verbose report shows the credential %q", secret)
		}
	}
	wantErr := "warning: removed data.id: before_message runs before CometChat stores the message\n" +
		"warning: slow: answered in 2.5s, over CometChat's 2s budget\n"
	if errb.String() != wantErr {
		t.Errorf("stderr =\n%q\nwant\n%q", errb.String(), wantErr)
	}
	if strings.Contains(got, "warning:") {
		t.Errorf("warnings went to stdout")
	}
}

func TestSendReportLongAnswer(t *testing.T) {
	e, body := fixtureEvent(t, fixtures.V2, "message_sent")
	lines := make([]string, 100)
	for i := range lines {
		lines[i] = "line"
	}
	resp := ok(200, strings.Join(lines, "\n"))
	p, out, _ := testPrinter(false)
	p.Send(report(t, e, body, resp, simulate.DefaultRules()))
	if got := out.String(); !strings.Contains(got, "… 60 more lines (-v shows all)") || strings.Count(got, "  line\n") != 40 {
		t.Errorf("long answer not shortened to 40 lines:\n%s", got)
	}
	p, out, _ = testPrinter(false)
	p.Verbose = true
	p.Send(report(t, e, body, resp, simulate.DefaultRules()))
	if got := out.String(); strings.Count(got, "  line\n") != 100 || strings.Contains(got, "more lines") {
		t.Errorf("verbose report shortened the answer")
	}
}

// hostileEvent is a before_message whose every field a sender controls tries to take over
// the terminal.
func hostileEvent(t *testing.T) (*webhook.Event, []byte) {
	t.Helper()
	const bad = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b[H\u009b31m\x1b]8;;https://evil.test\x1b\\x\x1b]8;;\x1b\\\r\u202e"
	p := map[string]any{
		"trigger": "before_message",
		"webhook": "hook" + bad,
		"appId":   "app",
		"data": map[string]any{
			"sender": "uid" + bad, "receiver": "rcv" + bad, "receiverType": "user",
			"category": "message", "type": "text",
			"data": map[string]any{"text": "hello " + bad + " world"},
		},
	}
	body, err := simulate.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	e, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return e, body
}

func TestSendReportHostileText(t *testing.T) {
	e, body := hostileEvent(t)
	const bad = "\x1b]0;title\x07\x1b[31mred\u009b2J\u009d52;c;AAAA\u009c"
	responses := map[string]simulate.Response{
		"text answer":   ok(200, "plain "+bad),
		"json answer":   ok(200, `{"note":"`+"\u009b2J\u202e"+`","esc":"\u001b[2J"}`),
		"failed answer": ok(500, bad),
		"no answer":     {Err: context.DeadlineExceeded, TimedOut: true, Duration: time.Second},
	}
	for name, resp := range responses {
		for _, colour := range []bool{false, true} {
			r := report(t, e, body, resp, simulate.DefaultRules())
			r.URL = target + bad
			r.Error += bad
			r.Warnings = append(r.Warnings, "warn "+bad)
			resp.Header = http.Header{"X-Evil": {bad}}
			r.Response = resp
			for _, verbose := range []bool{false, true} {
				p, out, errb := testPrinter(colour)
				p.Verbose = verbose
				p.Send(r)
				what := name
				if colour {
					assertOnlySGR(t, what+" stdout (colour)", out.String())
					assertOnlySGR(t, what+" stderr (colour)", errb.String())
					if !strings.Contains(out.String(), "\x1b[") {
						t.Errorf("%s: colour on but no colour in the report", what)
					}
				} else {
					assertNoEscapes(t, what+" stdout", out.String())
					assertNoEscapes(t, what+" stderr", errb.String())
				}
				for _, s := range []string{out.String(), errb.String()} {
					if strings.ContainsAny(s, "\r\u202e\a") {
						t.Errorf("%s: output keeps a carriage return, BEL or bidi override: %q", what, s)
					}
				}
				if !strings.Contains(sgr.ReplaceAllString(out.String(), ""), "hello") {
					t.Errorf("%s: the message text is gone: %q", what, out.String())
				}
			}
		}
	}
}

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func recordJSON(t *testing.T, v any) (json.RawMessage, map[string]json.RawMessage) {
	t.Helper()
	var buf strings.Builder
	if err := WriteJSON(&buf, v); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("record is not one line: %q", s)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return json.RawMessage(s), m
}

func TestSendRecordFields(t *testing.T) {
	design := []string{"error", "message", "outcome", "payload", "response", "trigger", "url", "warnings"}

	t.Run("delivered", func(t *testing.T) {
		e, body := fixtureEvent(t, fixtures.Legacy, "after_message")
		resp := ok(200, `{"ok":true}`)
		resp.Duration = 12500 * time.Microsecond
		resp.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
		resp.Header.Set("Set-Cookie", "session=s3cr3t; Path=/")
		raw, m := recordJSON(t, NewSendRecord(report(t, e, body, resp, simulate.DefaultRules())))
		if got := keys(t, raw); !slices.Equal(got, design) {
			t.Errorf("send record keys %q, want exactly %q (design.md §3)", got, design)
		}
		if got := keys(t, m["response"]); !slices.Equal(got, []string{"body", "durationMs", "headers", "status"}) {
			t.Errorf("response keys %q", got)
		}
		for k, want := range map[string]string{
			"trigger": `"after_message"`, "url": `"` + target + `"`, "outcome": `"delivered"`,
			"message": `null`, "warnings": `[]`, "error": `null`, "payload": string(body),
		} {
			if string(m[k]) != want {
				t.Errorf("%s = %s, want %s", k, m[k], want)
			}
		}
		var r struct {
			Status     int               `json:"status"`
			Headers    map[string]string `json:"headers"`
			Body       map[string]any    `json:"body"`
			DurationMs float64           `json:"durationMs"`
		}
		if err := json.Unmarshal(m["response"], &r); err != nil {
			t.Fatal(err)
		}
		if r.Status != 200 || r.Body["ok"] != true || r.DurationMs != 12.5 || r.Headers["Content-Type"] != "application/json" {
			t.Errorf("response = %+v", r)
		}
		if r.Headers["Authorization"] != "Basic ****" {
			t.Errorf("Authorization in the record = %q, want it masked", r.Headers["Authorization"])
		}
		if strings.Contains(string(raw), "dXNlcjpwYXNz") || strings.Contains(string(raw), "s3cr3t") {
			t.Errorf("record shows a credential: %s", raw)
		}
	})

	t.Run("before_message injected", func(t *testing.T) {
		e, body := fixtureEvent(t, fixtures.Legacy, "before_message")
		raw, m := recordJSON(t, NewSendRecord(report(t, e, body, ok(200, `{}`), simulate.DefaultRules())))
		want := append(slices.Clone(design), "assumptions")
		slices.Sort(want)
		if got := keys(t, raw); !slices.Equal(got, want) {
			t.Errorf("keys %q, want %q", got, want)
		}
		if string(m["outcome"]) != `"injected"` {
			t.Errorf("outcome = %s", m["outcome"])
		}
		var msg map[string]any
		if err := json.Unmarshal(m["message"], &msg); err != nil {
			t.Fatalf("message = %s: %v", m["message"], err)
		}
		if got, ok := webhook.Get(msg, "data.metadata.@injected.webhooks.send-message"); !ok || len(got.(map[string]any)) != 0 {
			t.Errorf("message has no injected {}: %s", m["message"])
		}
	})

	t.Run("before_message dropped", func(t *testing.T) {
		e, body := fixtureEvent(t, fixtures.Legacy, "before_message")
		_, m := recordJSON(t, NewSendRecord(report(t, e, body, ok(200, `{"action":"do_not_propagate"}`), simulate.DefaultRules())))
		if string(m["outcome"]) != `"dropped"` || string(m["message"]) != `null` {
			t.Errorf("outcome %s message %s, want dropped and null", m["outcome"], m["message"])
		}
		if _, ok := m["assumptions"]; ok {
			t.Errorf("a documented drop carries assumptions")
		}
	})

	t.Run("no answer", func(t *testing.T) {
		e, body := fixtureEvent(t, fixtures.V2, "message_sent")
		r := report(t, e, body, timedOut, simulate.DefaultRules())
		r.Attempt = 3
		raw, m := recordJSON(t, NewSendRecord(r))
		want := append(slices.Clone(design), "attempt")
		slices.Sort(want)
		if got := keys(t, raw); !slices.Equal(got, want) {
			t.Errorf("keys %q, want %q", got, want)
		}
		if string(m["response"]) != "null" || string(m["outcome"]) != `"failed"` || !strings.Contains(string(m["error"]), "no answer within 2s") {
			t.Errorf("response %s outcome %s error %s", m["response"], m["outcome"], m["error"])
		}
		if string(m["attempt"]) != "3" {
			t.Errorf("attempt = %s", m["attempt"])
		}
	})
}

func TestLoadRecordAndReport(t *testing.T) {
	s := simulate.LoadSummary{
		Count: 50, OK: 40, Failed: 10, Duration: 3 * time.Second,
		P50: 1500 * time.Microsecond, P90: 4 * time.Millisecond, P99: 9 * time.Millisecond, Max: 12 * time.Millisecond,
		Outcomes:   map[simulate.Outcome]int{simulate.Delivered: 40, simulate.Failed: 10},
		FirstError: "HTTP 500 Internal Server Error",
	}
	rec := NewLoadRecord("message_sent", target, s)
	raw, m := recordJSON(t, rec)
	want := []string{"count", "durationMs", "error", "failed", "latencyMs", "ok", "outcomes", "rps", "trigger", "url"}
	if got := keys(t, raw); !slices.Equal(got, want) {
		t.Errorf("load record keys %q, want %q", got, want)
	}
	if got := keys(t, m["latencyMs"]); !slices.Equal(got, []string{"max", "p50", "p90", "p99"}) {
		t.Errorf("latencyMs keys %q", got)
	}
	for k, w := range map[string]string{
		"trigger": `"message_sent"`, "url": `"` + target + `"`, "count": "50", "ok": "40", "failed": "10",
		"durationMs": "3000", "rps": "16.6", "latencyMs": `{"p50":1.5,"p90":4,"p99":9,"max":12}`,
		"outcomes": `{"delivered":40,"failed":10}`, "error": `"HTTP 500 Internal Server Error"`,
	} {
		if string(m[k]) != w {
			t.Errorf("%s = %s, want %s", k, m[k], w)
		}
	}
	s.Failed, s.FirstError, s.Outcomes = 0, "", map[simulate.Outcome]int{simulate.Delivered: 50}
	raw, _ = recordJSON(t, NewLoadRecord("message_sent", target, s))
	if slices.Contains(keys(t, raw), "error") {
		t.Errorf("a burst without failures has an error field: %s", raw)
	}

	for _, colour := range []bool{false, true} {
		p, out, errb := testPrinter(colour)
		p.Load(rec)
		got := out.String()
		plain := sgr.ReplaceAllString(got, "")
		wantText := "sent message_sent × 50 → http://localhost:3000/webhooks\n" +
			"  40 ok  10 failed  in 3000 ms  16.6 req/s\n" +
			"  latency  p50 1.50 ms  p90 4.00 ms  p99 9.00 ms  max 12.00 ms\n" +
			"  outcomes  delivered 40  failed 10\n" +
			"  first failure: HTTP 500 Internal Server Error\n"
		if plain != wantText {
			t.Errorf("colour %v: load report =\n%q\nwant\n%q", colour, plain, wantText)
		}
		if colour != strings.Contains(got, "\x1b[") {
			t.Errorf("colour %v: escapes in the load report = %v", colour, !colour)
		}
		if errb.Len() != 0 {
			t.Errorf("load report wrote to stderr")
		}
	}
	// Untrusted words in the record (a hostile first error) are cleaned.
	bad := "HTTP 500 \x1b]52;c;AAAA\x07\u009b2J"
	rec.Error = &bad
	p, out, _ := testPrinter(true)
	p.Load(rec)
	assertOnlySGR(t, "load report", out.String())
}
