package cmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/comethook/comethook/internal/webhook"
)

// recorder is an endpoint that keeps every body it is sent, answering answer.
func recorder(t *testing.T, status int, answer string) (string, func() []map[string]any) {
	t.Helper()
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Errorf("body is not JSON: %v", err)
		}
		mu.Lock()
		bodies = append(bodies, m)
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []map[string]any { mu.Lock(); defer mu.Unlock(); return bodies }
}

// The conversation scenario is one message's life: every step names the same (fresh) message
// id, the steps are one second apart ending now, and they come in CometChat's order.
func TestScenarioConversation(t *testing.T) {
	url, bodies := recorder(t, 200, `{}`)
	code, out, errOut := runTest(t, false, nil, "", "send", "--scenario", "conversation", "--to", url)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	got := bodies()
	wantOrder := []string{"before_message", "message_sent", "message_delivery_receipt", "message_read_receipt",
		"message_reaction_added", "message_edited", "message_deleted"}
	if len(got) != len(wantOrder) {
		t.Fatalf("%d webhooks, want %d", len(got), len(wantOrder))
	}
	idAt := map[string]string{"message_sent": "data.message.id", "message_delivery_receipt": "data.body.messageId",
		"message_read_receipt": "data.body.messageId", "message_reaction_added": "data.reaction.messageId",
		"message_edited": "data.message.id", "message_deleted": "data.message.id"}
	var id string
	const now = 1796000000 // runTest's clock
	for i, b := range got {
		trig := webhook.Str(b, "trigger")
		if trig != wantOrder[i] {
			t.Errorf("step %d is %s, want %s", i+1, trig, wantOrder[i])
		}
		if path, ok := idAt[trig]; ok {
			v := webhook.Str(b, path)
			if id == "" {
				id = v
			}
			if v != id || v == "1" {
				t.Errorf("step %d (%s): message id %q, want the scenario's fresh id %q (not the fixture's 1)", i+1, trig, v, id)
			}
		}
		if latest, want := latestStamp(b), int64(now-len(got)+1+i); latest != want {
			t.Errorf("step %d (%s): latest time %d, want %d (one second after the step before)", i+1, trig, latest, want)
		}
	}
	if webhook.Str(got[0], "data.id") != "" || webhook.Str(got[0], "data.data.text") != webhook.Str(got[1], "data.message.data.text") {
		t.Errorf("before_message is not the sent message in flight (no id, the same text): %v", got[0]["data"])
	}
	if !strings.Contains(errOut, "Scenario conversation (v2): 7 webhooks: 6 delivered, 1 injected.") {
		t.Errorf("no summary:\n%s", errOut)
	}
	if strings.Count(out, "conversation ") != 7 || !strings.Contains(out, "conversation 7/7  → message_deleted") {
		t.Errorf("steps not labelled:\n%s", out)
	}

	// The legacy webhooks have four of them; --json is one record per step.
	url, bodies = recorder(t, 200, `{}`)
	code, out, _ = runTest(t, false, nil, "", "send", "--scenario", "conversation", "--system", "legacy", "--to", url, "--json")
	if code != 0 || len(bodies()) != 4 || strings.Count(out, `"scenario":"conversation","step":`) != 4 {
		t.Errorf("legacy conversation: exit %d, %d webhooks\n%s", code, len(bodies()), out)
	}
	if webhook.Str(bodies()[1], "data.id") != webhook.Str(bodies()[3], "data.messageId") {
		t.Errorf("legacy: after_message id %s, read receipt messageId %s", webhook.Str(bodies()[1], "data.id"), webhook.Str(bodies()[3], "data.messageId"))
	}
}

func latestStamp(v any) int64 {
	var latest int64
	var walk func(v any)
	walk = func(v any) {
		switch n := v.(type) {
		case map[string]any:
			for k, c := range n {
				if num, ok := c.(json.Number); ok && (strings.HasSuffix(k, "At") || k == "timestamp") {
					if x, err := num.Int64(); err == nil && x < 1e10 {
						latest = max(latest, x)
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range n {
				walk(c)
			}
		}
	}
	walk(v)
	return latest
}

func TestScenarioGroupAndCall(t *testing.T) {
	for name, idPath := range map[string]string{"group": "data.group.guid", "call": "data.sessionId"} {
		url, bodies := recorder(t, 200, `{}`)
		if code, out, errOut := runTest(t, false, nil, "", "send", "--scenario", name, "--to", url); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", name, code, out, errOut)
		}
		seen := map[string]bool{}
		for _, b := range bodies()[1:] { // call_initiated keeps its session under data.call
			seen[webhook.Str(b, idPath)] = true
		}
		if len(bodies()) != 5 || len(seen) != 1 {
			t.Errorf("%s: %d webhooks, %s values %v: want 5 about one %s", name, len(bodies()), idPath, seen, name)
		}
	}
}

func TestScenarioFailuresAndUsage(t *testing.T) {
	url, _ := recorder(t, 500, `{}`)
	code, _, errOut := runTest(t, false, nil, "", "send", "--scenario", "group", "--to", url)
	if code != 1 || !strings.Contains(errOut, "Scenario group (v2): 5 webhooks: 5 failed.") {
		t.Errorf("failing endpoint: exit %d, want 1 with the summary\n%s", code, errOut)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", "party"}, `unknown scenario "party": there are conversation, group, call`},
		{[]string{"--scenario", "group", "--system", "legacy"}, "scenario group exists only in the v2 webhooks"},
		{[]string{"--scenario", "group", "--count", "3"}, "--count cannot be used with --scenario"},
		{[]string{"--scenario", "group", "--system", "v3"}, `invalid --system "v3"`},
		{[]string{"message_sent", "--scenario", "group"}, "comethook send takes no arguments, got 1"},
	} {
		code, _, errOut := runTest(t, false, nil, "", append(append([]string{"send"}, tt.args...), "--to", url)...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, want 2 with %q\n%s", tt.args, code, tt.want, errOut)
		}
	}
	code, out, _ := runTest(t, false, nil, "", "send", "--scenario", "list")
	if code != 0 || !strings.Contains(out, "before_message → message_sent → message_delivery_receipt") {
		t.Errorf("--scenario list: exit %d\n%s", code, out)
	}
}
