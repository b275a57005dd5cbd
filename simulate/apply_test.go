package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/webhook"
)

func fixtureEvent(t *testing.T, sys fixtures.System, trigger string) *webhook.Event {
	t.Helper()
	_, p := loadFixture(t, sys, trigger)
	return webhook.FromPayload(p)
}

func answer(status int, body string) Response {
	return Response{Status: status, Body: []byte(body), Duration: 20 * time.Millisecond}
}

var (
	refused = Response{Err: os.NewSyscallError("connect", syscall.ECONNREFUSED), Duration: time.Millisecond}
	timeout = Response{Err: context.DeadlineExceeded, TimedOut: true, Duration: 2 * time.Second}
)

// TestApplyBeforeMessage covers every row of cometchat-webhooks.md §5.3, with the default
// rules and with the rule of that row flipped.
func TestApplyBeforeMessage(t *testing.T) {
	e := fixtureEvent(t, fixtures.Legacy, "before_message")
	def := DefaultRules()
	all := Rules{InjectEmpty: false, DropInvalid: true, DropOnError: true, DropTimeout: true}
	tests := []struct {
		name     string
		resp     Response
		rules    Rules
		outcome  Outcome
		drop     bool
		injected map[string]any // nil: nothing injected
		flag     string         // the flag the assumption must name; "" for no assumption
		reason   string
		warn     string // a warning that must be given; "" for none
	}{
		{name: "do_not_propagate drops (documented)", resp: answer(200, `{"action":"do_not_propagate"}`), rules: def,
			outcome: Dropped, drop: true},
		{name: "do_not_propagate drops whatever the rules", resp: answer(200, `{"action":"do_not_propagate"}`), rules: all,
			outcome: Dropped, drop: true},
		{name: "do_not_propagate with other keys still drops", resp: answer(200, `{"reason":"spam","action":"do_not_propagate","score":0.9}`), rules: def,
			outcome: Dropped, drop: true},
		{name: "do_not_propagate on 201 drops", resp: answer(201, ` {"action":"do_not_propagate"} `), rules: def,
			outcome: Dropped, drop: true},
		{name: "object is injected", resp: answer(200, `{"flagged":true,"score":0.25}`), rules: def,
			outcome: Injected, injected: map[string]any{"flagged": true, "score": json.Number("0.25")}},
		{name: "object is injected whatever the rules", resp: answer(200, `{"flagged":true}`), rules: all,
			outcome: Injected, injected: map[string]any{"flagged": true}},
		{name: "another action is just data", resp: answer(200, `{"action":"approve"}`), rules: def,
			outcome: Injected, injected: map[string]any{"action": "approve"}},
		{name: "BLOCK is injected, with a hint", resp: answer(200, `{"action":"BLOCK"}`), rules: def,
			outcome: Injected, injected: map[string]any{"action": "BLOCK"}, warn: `only {"action":"do_not_propagate"} drops it`},
		{name: "blocked:true is injected, with a hint", resp: answer(200, `{"blocked":true}`), rules: def,
			outcome: Injected, injected: map[string]any{"blocked": true}, warn: "looks meant to block"},
		{name: "DO_NOT_PROPAGATE in capitals is injected, with a hint", resp: answer(200, `{"action":"DO_NOT_PROPAGATE"}`), rules: def,
			outcome: Injected, injected: map[string]any{"action": "DO_NOT_PROPAGATE"}, warn: "looks meant to block"},
		{name: "empty object injected by default", resp: answer(200, `{}`), rules: def,
			outcome: Injected, injected: map[string]any{}, flag: "--empty-object"},
		{name: "empty object skipped", resp: answer(200, `{}`), rules: Rules{InjectEmpty: false},
			outcome: Delivered, flag: "--empty-object"},
		{name: "empty body delivers", resp: answer(200, ``), rules: def,
			outcome: Delivered, flag: "--on-invalid", warn: "is empty"},
		{name: "empty body drops", resp: answer(200, "  \n"), rules: Rules{InjectEmpty: true, DropInvalid: true},
			outcome: Dropped, drop: true, flag: "--on-invalid", warn: "is empty"},
		{name: "204 no content delivers", resp: answer(204, ``), rules: def,
			outcome: Delivered, flag: "--on-invalid", warn: "is empty"},
		{name: "text delivers", resp: answer(200, `OK`), rules: def,
			outcome: Delivered, flag: "--on-invalid", warn: "is not JSON"},
		{name: "text drops", resp: answer(200, `OK`), rules: Rules{DropInvalid: true},
			outcome: Dropped, drop: true, flag: "--on-invalid", warn: "is not JSON"},
		{name: "array", resp: answer(200, `[{"a":1}]`), rules: def,
			outcome: Delivered, flag: "--on-invalid", warn: "is JSON but not an object"},
		{name: "string", resp: answer(200, `"ok"`), rules: def,
			outcome: Delivered, flag: "--on-invalid", warn: "is JSON but not an object"},
		{name: "number drops", resp: answer(200, `1`), rules: Rules{DropInvalid: true},
			outcome: Dropped, drop: true, flag: "--on-invalid", warn: "is JSON but not an object"},
		{name: "null", resp: answer(200, `null`), rules: def,
			outcome: Delivered, flag: "--on-invalid", warn: "is null"},
		{name: "two objects", resp: answer(200, `{"a":1}{"b":2}`), rules: def,
			outcome: Delivered, flag: "--on-invalid", warn: "is not JSON"},
		{name: "object then a stray brace", resp: answer(200, `{"a":1}}`), rules: def,
			outcome: Delivered, flag: "--on-invalid", warn: "is not JSON"},
		{name: "truncated object", resp: answer(200, `{"a":`), rules: def,
			outcome: Delivered, flag: "--on-invalid", warn: "is not JSON"},
		{name: "500 delivers", resp: answer(500, `{"action":"do_not_propagate"}`), rules: def,
			outcome: Failed, flag: "--on-error", reason: "HTTP 500 Internal Server Error"},
		{name: "500 drops", resp: answer(500, `boom`), rules: Rules{DropOnError: true},
			outcome: Failed, drop: true, flag: "--on-error", reason: "HTTP 500"},
		{name: "404 delivers", resp: answer(404, ``), rules: def,
			outcome: Failed, flag: "--on-error", reason: "HTTP 404 Not Found"},
		{name: "302 is not followed and delivers", resp: answer(302, ``), rules: def,
			outcome: Failed, flag: "--on-error", reason: "HTTP 302 Found"},
		{name: "timeout delivers", resp: timeout, rules: def,
			outcome: Failed, flag: "--on-timeout", reason: "timed out after 2s"},
		{name: "timeout drops", resp: timeout, rules: Rules{DropTimeout: true},
			outcome: Failed, drop: true, flag: "--on-timeout", reason: "timed out"},
		{name: "timeout ignores --on-error", resp: timeout, rules: Rules{DropOnError: true},
			outcome: Failed, flag: "--on-timeout", reason: "timed out"},
		{name: "connection error delivers", resp: refused, rules: def,
			outcome: Failed, flag: "--on-error", reason: "no answer"},
		{name: "connection error drops", resp: refused, rules: Rules{DropOnError: true},
			outcome: Failed, drop: true, flag: "--on-error", reason: "no answer"},
		{name: "connection error ignores --on-timeout", resp: refused, rules: Rules{DropTimeout: true},
			outcome: Failed, flag: "--on-error", reason: "no answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Apply(e, tt.resp, tt.rules)
			if v.Outcome != tt.outcome || v.Drop != tt.drop {
				t.Errorf("outcome %q drop %v, want %q drop %v", v.Outcome, v.Drop, tt.outcome, tt.drop)
			}
			if !reflect.DeepEqual(v.Injected, tt.injected) {
				t.Errorf("injected %#v, want %#v", v.Injected, tt.injected)
			}
			if (v.Reason != "") != (tt.outcome == Failed) || !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("reason %q, want one containing %q (only when failed)", v.Reason, tt.reason)
			}
			if w := strings.Join(v.Warnings, "; "); (w != "") != (tt.warn != "") || !strings.Contains(w, tt.warn) {
				t.Errorf("warnings %q, want one containing %q", w, tt.warn)
			}
			if tt.flag == "" {
				if len(v.Assumptions) != 0 {
					t.Errorf("assumptions %q on a documented behaviour", v.Assumptions)
				}
				return
			}
			if len(v.Assumptions) != 1 {
				t.Fatalf("assumptions %q, want exactly one", v.Assumptions)
			}
			a := v.Assumptions[0]
			if !strings.HasPrefix(a, "assumed: ") || !strings.Contains(a, tt.flag) {
				t.Errorf("assumption %q does not start with \"assumed: \" or name %s", a, tt.flag)
			}
			if tt.outcome == Failed {
				word := "delivers the message unchanged"
				if tt.drop {
					word = "drops the message"
				}
				if !strings.Contains(a, word) {
					t.Errorf("assumption %q does not say CometChat %s", a, word)
				}
			}
		})
	}
}

func TestApplyOtherTriggers(t *testing.T) {
	all := Rules{DropInvalid: true, DropOnError: true, DropTimeout: true}
	for _, ev := range []struct {
		sys     fixtures.System
		trigger string
	}{{fixtures.Legacy, "after_message"}, {fixtures.V2, "message_sent"}, {fixtures.V2, "message_reaction_added"}} {
		e := fixtureEvent(t, ev.sys, ev.trigger)
		tests := []struct {
			name    string
			resp    Response
			outcome Outcome
			reason  string
		}{
			{"200", answer(200, `{"flagged":true}`), Delivered, ""},
			{"200 drop answer is ignored", answer(200, `{"action":"do_not_propagate"}`), Delivered, ""},
			{"204 empty", answer(204, ``), Delivered, ""},
			{"200 text", answer(200, `thanks`), Delivered, ""},
			{"500", answer(500, `{}`), Failed, "HTTP 500 Internal Server Error"},
			{"401", answer(401, ``), Failed, "HTTP 401 Unauthorized"},
			{"timeout", timeout, Failed, "timed out after 2s"},
			{"refused", refused, Failed, "no answer"},
		}
		for _, tt := range tests {
			t.Run(ev.trigger+"/"+tt.name, func(t *testing.T) {
				for _, rules := range []Rules{DefaultRules(), all} {
					v := Apply(e, tt.resp, rules)
					if v.Outcome != tt.outcome || v.Drop || v.Injected != nil || v.Reason != tt.reason {
						t.Errorf("rules %+v: verdict %+v, want %q reason %q without drop or injection", rules, v, tt.outcome, tt.reason)
					}
					if len(v.Assumptions) != 0 {
						t.Errorf("assumptions %q for a fire-and-forget trigger", v.Assumptions)
					}
				}
			})
		}
	}
}

func TestApplyWarnings(t *testing.T) {
	e := fixtureEvent(t, fixtures.Legacy, "before_message")
	tests := []struct {
		name string
		resp Response
		want []string
	}{
		{"fast", Response{Status: 200, Body: []byte(`{}`), Duration: 1900 * time.Millisecond}, nil},
		{"exactly the budget", Response{Status: 200, Body: []byte(`{}`), Duration: Budget}, nil},
		{"slow", Response{Status: 200, Body: []byte(`{}`), Duration: 2500 * time.Millisecond},
			[]string{"slow: answered in 2.5s, over CometChat's 2s budget"}},
		{"slow and failed", Response{Status: 500, Duration: 3 * time.Second}, []string{"slow: answered in 3s"}},
		{"timed out is not also slow", Response{Err: context.DeadlineExceeded, TimedOut: true, Duration: 5 * time.Second}, nil},
		{"truncated", Response{Status: 200, Body: []byte(`{"a":`), Truncated: true, Duration: time.Millisecond},
			[]string{"the answer is not JSON", "longer than 1048576 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Apply(e, tt.resp, DefaultRules())
			if len(v.Warnings) != len(tt.want) {
				t.Fatalf("warnings %q, want %d like %q", v.Warnings, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(v.Warnings[i], w) {
					t.Errorf("warning %q, want it to contain %q", v.Warnings[i], w)
				}
			}
		})
	}
	// The slow warning applies to every trigger.
	v := Apply(fixtureEvent(t, fixtures.V2, "message_sent"), Response{Status: 200, Duration: 3 * time.Second}, DefaultRules())
	if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "slow") {
		t.Errorf("message_sent warnings %q, want a slow warning", v.Warnings)
	}
}

func snapshot(t *testing.T, v any) string {
	t.Helper()
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFinalMessageInjects(t *testing.T) {
	e := fixtureEvent(t, fixtures.Legacy, "before_message")
	before := snapshot(t, e.Payload)
	v := Apply(e, answer(200, `{"flagged":true,"labels":["spam"]}`), DefaultRules())
	msg, warn := FinalMessage(e, v)
	if msg == nil || warn != "" {
		t.Fatalf("FinalMessage = %v, %q", msg, warn)
	}
	got, ok := webhook.Get(msg, "data.metadata.@injected.webhooks.send-message")
	want := map[string]any{"flagged": true, "labels": []any{"spam"}}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf(`data.metadata["@injected"].webhooks["send-message"] = %#v, want %#v`, got, want)
	}
	if webhook.Str(msg, "data.text") != "Hi there 👋" || webhook.Str(msg, "sender") != "cometchat-uid-5" {
		t.Errorf("the rest of the message changed: %v", msg)
	}
	if keys := webhook.Obj(msg, "data.metadata"); len(keys) != 1 {
		t.Errorf("metadata = %v, want only @injected", keys)
	}
	if after := snapshot(t, e.Payload); after != before {
		t.Errorf("FinalMessage changed the event:\nbefore %s\nafter  %s", before, after)
	}
}

func TestFinalMessageKeepsExistingMetadata(t *testing.T) {
	e := fixtureEvent(t, fixtures.V2, "message_sent")
	e.Payload["trigger"], e.Trigger = "before_message", "before_message"
	data := webhook.Obj(e.Payload, "data.message.data")
	data["metadata"] = map[string]any{
		"client": "web",
		"@injected": map[string]any{
			"extensions": map[string]any{"link-preview": map[string]any{"links": []any{}}},
			"webhooks":   map[string]any{"other-hook": map[string]any{"x": json.Number("1")}},
		},
	}
	before := snapshot(t, e.Payload)
	msg, _ := FinalMessage(e, Apply(e, answer(200, `{"ok":true}`), DefaultRules()))
	if msg == nil {
		t.Fatal("no message")
	}
	for path, want := range map[string]any{
		"data.metadata.client":                            "web",
		"data.metadata.@injected.extensions.link-preview": map[string]any{"links": []any{}},
		"data.metadata.@injected.webhooks.other-hook":     map[string]any{"x": json.Number("1")},
		"data.metadata.@injected.webhooks.comethook-dev":  map[string]any{"ok": true},
		"data.text": "Are we still on for the hike on Saturday? 🥾",
		"id":        "1",
	} {
		if got, ok := webhook.Get(msg, path); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	if after := snapshot(t, e.Payload); after != before {
		t.Errorf("FinalMessage changed the event")
	}
}

func TestFinalMessageVerdicts(t *testing.T) {
	e := fixtureEvent(t, fixtures.Legacy, "before_message")
	orig := snapshot(t, e.Message())
	tests := []struct {
		name      string
		resp      Response
		rules     Rules
		nilMsg    bool
		unchanged bool
	}{
		{"dropped", answer(200, `{"action":"do_not_propagate"}`), DefaultRules(), true, false},
		{"dropped by --on-error=drop", answer(500, ``), Rules{DropOnError: true}, true, false},
		{"dropped by --on-timeout=drop", timeout, Rules{DropTimeout: true}, true, false},
		{"failed delivers unchanged", answer(500, ``), DefaultRules(), false, true},
		{"invalid delivers unchanged", answer(200, `nope`), DefaultRules(), false, true},
		{"skipped {} delivers unchanged", answer(200, `{}`), Rules{}, false, true},
		{"{} injected", answer(200, `{}`), DefaultRules(), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, warn := FinalMessage(e, Apply(e, tt.resp, tt.rules))
			if (msg == nil) != tt.nilMsg || warn != "" {
				t.Fatalf("message %v warn %q, want nil=%v", msg, warn, tt.nilMsg)
			}
			if msg != nil && (snapshot(t, msg) == orig) != tt.unchanged {
				t.Errorf("message unchanged = %v, want %v: %s", !tt.unchanged, tt.unchanged, snapshot(t, msg))
			}
		})
	}
	if msg, _ := FinalMessage(fixtureEvent(t, fixtures.V2, "message_read_receipt"), Verdict{Outcome: Delivered}); msg != nil {
		t.Errorf("a receipt has no message, got %v", msg)
	}
}

func TestFinalMessageSizeWarning(t *testing.T) {
	e := fixtureEvent(t, fixtures.Legacy, "before_message")
	tests := []struct {
		name string
		note string
		warn bool
	}{
		{"small", strings.Repeat("a", 1000), false},
		{"over the limit", strings.Repeat("a", MaxMessageChars), true},
		// 40000 emoji are 160000 bytes but 40000 characters: CometChat counts characters.
		{"many bytes, few characters", strings.Repeat("👍", 40000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Verdict{Outcome: Injected, Injected: map[string]any{"note": tt.note}}
			msg, warn := FinalMessage(e, v)
			if msg == nil {
				t.Fatal("no message")
			}
			if (warn != "") != tt.warn {
				t.Fatalf("warning %q, want one: %v", warn, tt.warn)
			}
			if tt.warn && !strings.Contains(warn, "65536") {
				t.Errorf("warning %q does not name the limit", warn)
			}
		})
	}
}

func TestApplyDropAnswerConstant(t *testing.T) {
	v := Apply(fixtureEvent(t, fixtures.Legacy, "before_message"), Response{Status: 200, Body: DropAnswer}, DefaultRules())
	if v.Outcome != Dropped {
		t.Errorf("DropAnswer gives %q", v.Outcome)
	}
	if !errors.Is(refused.Err, syscall.ECONNREFUSED) {
		t.Fatal("test setup: refused is not ECONNREFUSED")
	}
}
