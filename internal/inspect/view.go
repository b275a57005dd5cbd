package inspect

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// row is one line of the list: the delivery in a few words (webhook.Summarize).
type row struct {
	Seq         int64   `json:"seq"`
	ReceivedAt  string  `json:"receivedAt"`
	Method      string  `json:"method"`
	Path        string  `json:"path"`
	Trigger     string  `json:"trigger"`
	From        string  `json:"from,omitempty"`
	To          string  `json:"to,omitempty"`
	Text        string  `json:"text,omitempty"`
	Gist        string  `json:"gist,omitempty"`
	By          string  `json:"by,omitempty"`
	Status      int     `json:"status"`
	Outcome     string  `json:"outcome"`
	DurationMs  float64 `json:"durationMs"`
	Source      string  `json:"source"`
	DuplicateOf *int64  `json:"duplicateOf,omitempty"`
	Error       string  `json:"error,omitempty"`
}

// rowText bounds the text and gist of a row: the page cuts them to the width it has.
const rowText = 200

func event(r *record.Record) *webhook.Event {
	if len(r.Payload) == 0 || string(r.Payload) == "null" {
		return nil
	}
	e, err := webhook.Parse(r.Payload)
	if err != nil {
		return nil
	}
	return e
}

func rowOf(r *record.Record, s *webhook.Summary) row {
	w := row{Seq: r.Seq, ReceivedAt: r.ReceivedAt, Method: r.Method, Path: r.Path, Trigger: r.Trigger,
		Status: r.Response.Status, Outcome: r.Outcome, DurationMs: r.Response.DurationMs,
		Source: r.Response.Source, DuplicateOf: r.DuplicateOf}
	if r.Query != "" {
		w.Path += "?" + r.Query
	}
	if r.Error != nil {
		w.Error = clean(*r.Error)
	}
	if s != nil {
		w.From, w.To, w.By = clean(s.From), clean(s.To), clean(s.By)
		w.Text, w.Gist = clean(s.Text), clean(s.Gist)
	}
	return w
}

// clean makes a payload string fit one line: control characters become spaces, bidi
// overrides (which could make a row read backwards) go, long text is cut. It is inserted as
// text by the page; this is about looks, not escaping.
func clean(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, c := range s {
		if n == rowText {
			b.WriteString("…")
			break
		}
		switch {
		case c == utf8.RuneError, c >= 0x202A && c <= 0x202E, c >= 0x2066 && c <= 0x2069:
			continue
		case unicode.IsControl(c):
			c = ' '
		}
		b.WriteRune(c)
		n++
	}
	return b.String()
}

// verdict is what CometChat does with a before_message delivery, from the record: the
// outcome, the assumptions it rests on, and the message as CometChat would deliver it.
type verdict struct {
	Outcome     string   `json:"outcome"`
	Drop        bool     `json:"drop"`
	Assumptions []string `json:"assumptions"`
	Warnings    []string `json:"warnings"`
	// Webhook is the id the answer is stored under: data.metadata["@injected"].webhooks[Webhook].
	Webhook string `json:"webhook"`
	// Injected is the answer stored in the message, or null.
	Injected map[string]any `json:"injected"`
	// Message is the message after the verdict (simulate.FinalMessage); null when dropped.
	Message        map[string]any `json:"message"`
	MessageWarning string         `json:"messageWarning,omitempty"`
}

// verdictOf rebuilds the simulate.Verdict a record was made from. The record keeps its
// outcome and assumptions; whether a failure drops the message is in its assumption.
func verdictOf(r *record.Record, e *webhook.Event) *verdict {
	if e == nil || !webhook.IsSync(r.Trigger) || r.Outcome == string(simulate.Rejected) {
		return nil
	}
	v := simulate.Verdict{Outcome: simulate.Outcome(r.Outcome), Assumptions: r.Assumptions}
	switch {
	case r.Drop != nil:
		v.Drop = *r.Drop
	case v.Outcome == simulate.Dropped:
		v.Drop = true
	case v.Outcome == simulate.Failed: // a capture written before records said "drop"
		for _, a := range r.Assumptions {
			if strings.Contains(a, "CometChat drops the message") {
				v.Drop = true
			}
		}
	}
	if v.Outcome == simulate.Injected {
		v.Injected = answerObject(r.Response.Body)
	}
	msg, warn := simulate.FinalMessage(e, v)
	out := &verdict{Outcome: r.Outcome, Drop: v.Drop, Assumptions: r.Assumptions, Warnings: r.Warnings,
		Webhook: e.Webhook, Injected: v.Injected, Message: msg, MessageWarning: warn}
	if out.Assumptions == nil {
		out.Assumptions = []string{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	return out
}

// answerObject decodes a recorded answer body (raw JSON in memory, a decoded value when
// the record was read back from JSON) as a JSON object, or returns nil.
func answerObject(body any) map[string]any {
	var b []byte
	switch v := body.(type) {
	case nil:
		return nil
	case json.RawMessage:
		b = v
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil
		}
	}
	m, _ := webhook.Object(b)
	return m
}

// detail is one delivery whole, for the detail view.
type detail struct {
	Row    row           `json:"row"`
	Record record.Record `json:"record"`
	// PayloadText is the payload pretty-printed, numbers as received, for the editor; "" when
	// the body is not JSON.
	PayloadText string `json:"payloadText"`
	// Fixture is the URL of the fixture download; "" when the body is not JSON.
	Fixture string   `json:"fixture"`
	Verdict *verdict `json:"verdict"`
}

func detailOf(r record.Record) detail {
	e := event(&r)
	var sum *webhook.Summary
	if e != nil {
		v := webhook.Summarize(e)
		sum = &v
	}
	d := detail{Row: rowOf(&r, sum), Record: r, Verdict: verdictOf(&r, e)}
	if b, ok := pretty(r.RawBody()); ok {
		d.PayloadText = string(b)
		d.Fixture = fixturePath(r.Seq)
	}
	return d
}

// pretty indents a JSON body with two spaces, as the bundled fixtures are, keeping every
// byte of every value (json.Indent rewrites only the space between tokens).
func pretty(body []byte) ([]byte, bool) {
	if len(bytes.TrimSpace(body)) == 0 || !json.Valid(body) {
		return nil, false
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(body), "", "  "); err != nil {
		return nil, false
	}
	buf.WriteByte('\n')
	return buf.Bytes(), true
}
