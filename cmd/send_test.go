package cmd

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runTest runs comethook with buffers for streams and the given environment. Captures and
// listener state go to the test's own directory unless vars names one, so a test never sees
// a listen running on this machine.
func runTest(t *testing.T, tty bool, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if _, ok := vars["COMETHOOK_CAPTURE_DIR"]; !ok {
		vars = maps.Clone(vars)
		if vars == nil {
			vars = map[string]string{}
		}
		vars["COMETHOOK_CAPTURE_DIR"] = filepath.Join(t.TempDir(), "captures")
	}
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &env{
		build:   Build{Version: "v1.2.3"},
		streams: streamsFor(&out, &errOut, stdin, tty),
		getenv:  func(k string) string { return vars[k] },
		now:     func() time.Time { return time.Unix(1796000000, 0) },
	})
	return code, out.String(), errOut.String()
}

func endpoint(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestSendColourFollowsTheStream(t *testing.T) {
	url := endpoint(t, 200, `{"score":0.1}`)
	tests := []struct {
		name       string
		tty        bool
		env        map[string]string
		args       []string
		wantEscape bool
	}{
		{"terminal", true, nil, nil, true},
		{"piped", false, nil, nil, false},
		{"NO_COLOR on a terminal", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"CLICOLOR_FORCE when piped", false, map[string]string{"CLICOLOR_FORCE": "1"}, nil, true},
		{"--color never beats CLICOLOR_FORCE", false, map[string]string{"CLICOLOR_FORCE": "1"}, []string{"--color", "never"}, false},
		{"--color always when piped", false, nil, []string{"--color=always"}, true},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"send", "before_message", "--to", url}, tt.args...)
			code, out, _ := runTest(t, tt.tty, tt.env, "", args...)
			if code != 0 {
				t.Fatalf("exit %d, want 0; stdout:\n%s", code, out)
			}
			if got := strings.Contains(out, "\x1b["); got != tt.wantEscape {
				t.Errorf("escapes in stdout = %v, want %v:\n%q", got, tt.wantEscape, out)
			}
			if !strings.Contains(out, "injected") {
				t.Errorf("stdout lacks the outcome:\n%s", out)
			}
		})
	}
}

func TestSendStripsHostileText(t *testing.T) {
	// A chat message can carry escape sequences: a clipboard write (OSC 52), a title
	// change, colours, a carriage return that hides what came before.
	hostile := "hi\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[31mred\x1b[0m\rX\u009b2J"
	answer := `{"note":"` + strings.ReplaceAll(hostile, "\x1b", `\u001b`) + `"}`
	answer = strings.NewReplacer("\x07", `\u0007`, "\r", `\r`).Replace(answer)
	url := endpoint(t, 200, answer)
	dir := t.TempDir()
	fixture := filepath.Join(dir, "evil.json")
	payload := `{"trigger":"after_message","webhook":"w\u001b[2J","data":{"id":"1","sender":"a\u001b[1mb","receiver":"c","receiverType":"user","category":"message","type":"text","data":{"text":"` +
		strings.NewReplacer("\x1b", `\u001b`, "\x07", `\u0007`, "\r", `\r`).Replace(hostile) + `"}}}`
	if err := os.WriteFile(fixture, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tty := range []bool{true, false} {
		code, out, errOut := runTest(t, tty, nil, "", "send", "after_message", fixture, "--to", url, "-v")
		if code != 0 {
			t.Fatalf("exit %d; stderr: %s", code, errOut)
		}
		for _, bad := range []string{"\x1b]", "\x07", "\r", "\u009b", "\x1b[2J", "\x1b[1mb", "\x1b[31mred"} {
			if strings.Contains(out+errOut, bad) {
				t.Errorf("tty=%v: output contains %q:\n%q", tty, bad, out)
			}
		}
		if !strings.Contains(out, "redX") {
			t.Errorf("tty=%v: the readable text should survive:\n%s", tty, out)
		}
	}
}

func TestSendExitCodes(t *testing.T) {
	ok := endpoint(t, 200, `{}`)
	bad := endpoint(t, 500, `{}`)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"2xx", []string{"send", "message_sent", "--to", ok}, 0},
		{"drop is a success", []string{"send", "before_message", "--to", endpoint(t, 200, `{"action":"do_not_propagate"}`)}, 0},
		{"500", []string{"send", "message_sent", "--to", bad}, 1},
		{"invalid before_message answer: the endpoint worked", []string{"send", "before_message", "--to", endpoint(t, 200, `[1]`)}, 0},
		{"unknown trigger", []string{"send", "nope", "--to", ok}, 2},
		{"no target", []string{"send", "message_sent"}, 2},
		{"bad flag", []string{"send", "message_sent", "--to", ok, "--nope"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, out, errOut := runTest(t, false, nil, "", tt.args...); code != tt.want {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.want, out, errOut)
			}
		})
	}
}

func TestSendStdinAndEnv(t *testing.T) {
	var got []byte
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = readAll(r)
		auth = r.Header.Get("Authorization")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	env := map[string]string{"COMETHOOK_URL": srv.URL, "COMETHOOK_BASIC_AUTH": "user:pw"}
	code, out, errOut := runTest(t, false, env, `{"trigger":"x","data":{"message":{"id":"5","sender":"a","receiver":"b","category":"message","type":"text","data":{"text":"yo"},"sentAt":1700000000}}}`,
		"send", "message_sent", "-", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if !bytes.Contains(got, []byte(`"trigger":"message_sent"`)) || !bytes.Contains(got, []byte(`"sentAt":1796000000`)) {
		t.Errorf("sent body: %s", got)
	}
	if auth != "Basic dXNlcjpwdw==" {
		t.Errorf("Authorization = %q", auth)
	}
	if strings.Contains(out, "dXNlcjpwdw") || strings.Contains(out, "user:pw") {
		t.Errorf("credentials leaked into output: %s", out)
	}
	if !strings.Contains(out, `"warnings":["the fixture says trigger \"x\"; sending it as \"message_sent\""]`) {
		t.Errorf("record lacks the note: %s", out)
	}
}
