package cmd

import (
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/comethook/comethook/internal/cometchatfake"
	"github.com/comethook/comethook/internal/webhook"
)

// realLoop is the whole loop without the internet: a fake CometChat whose webhooks go through
// the fake ngrok server's public side, and a listen --register behind the fake ngrok.
type realLoop struct {
	fake *cometchatfake.Server
	l    *runningListen
	vars map[string]string // trigger's and webhooks' environment
}

func startRealLoop(t *testing.T, cfg cometchatfake.Config, listenArgs ...string) *realLoop {
	t.Helper()
	srv, flags := fakeNgrok(t, "tok-real")
	cfg.AppID, cfg.APIKey, cfg.AuthOnlyKey, cfg.MgmtKey, cfg.MgmtSecret = "app1", "rest-key-secret", "auth-only-key", "mgmt-key-secret", "mgmt-secret-secret"
	cfg.DeliverVia = srv.PublicAddr()
	f, err := cometchatfake.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	mgmt := map[string]string{"COMETCHAT_APP_ID": "app1", "COMETCHAT_MGMT_KEY": "mgmt-key-secret", "COMETCHAT_MGMT_SECRET": "mgmt-secret-secret",
		"COMETCHAT_MGMT_URL": f.MgmtURL()}
	vars := maps.Clone(mgmt)
	vars["NGROK_AUTHTOKEN"] = "tok-real"
	l := startListen(t, vars, append(append(flags, "--register"), listenArgs...)...)
	tv := maps.Clone(mgmt)
	tv["COMETCHAT_API_KEY"], tv["COMETCHAT_API_URL"], tv["COMETHOOK_CAPTURE_DIR"] = "rest-key-secret", f.URL(), l.captureDir
	return &realLoop{fake: f, l: l, vars: tv}
}

func (r *realLoop) trigger(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	v := maps.Clone(r.vars)
	maps.Copy(v, vars)
	return runTest(t, false, v, "", append([]string{"trigger"}, args...)...)
}

// listen --register points the app's webhook at the tunnel; trigger makes the (fake)
// CometChat send real webhooks, which arrive at listen and are reported; at exit the webhook
// is disabled. Secrets never show.
func TestTriggerThroughRegisteredListen(t *testing.T) {
	r := startRealLoop(t, cometchatfake.Config{})
	hooks := r.fake.Webhooks()
	if len(hooks) != 1 || !hooks[0].Enabled || !hooks[0].UseBasicAuth || hooks[0].Legacy || !strings.HasPrefix(hooks[0].ID, "comethook") {
		t.Fatalf("registered webhooks: %+v", hooks)
	}
	var v2 int
	for _, tr := range webhook.Catalogue() {
		if tr.System == webhook.V2 {
			v2++
		}
	}
	if len(hooks[0].Triggers) != v2 {
		t.Errorf("%d triggers registered, want all %d", len(hooks[0].Triggers), v2)
	}
	if want := "Registered webhook " + hooks[0].ID + " for "; !strings.Contains(r.l.errOut.String(), want) || strings.Contains(r.l.errOut.String(), "Paste it") {
		t.Errorf("the banner does not say %q instead of the paste instruction:\n%s", want, r.l.errOut.String())
	}

	for _, c := range []struct {
		args   []string
		arrive []string
	}{
		{[]string{"message_sent"}, []string{"message_sent"}},
		{[]string{"message_sent", "--group", "cometchat-guid-1", "--text", "hello group"}, []string{"message_sent"}},
		{[]string{"message_edited"}, []string{"message_edited"}},
		{[]string{"message_reaction_added"}, []string{"message_reaction_added"}},
		{[]string{"group_member_kicked", "--to", "cometchat-uid-3"}, []string{"group_member_kicked"}},
	} {
		code, out, errOut := r.trigger(t, nil, append(c.args, "--wait", "20s")...)
		if code != 0 {
			t.Errorf("trigger %v: exit %d\nstdout:\n%s\nstderr:\n%s", c.args, code, out, errOut)
			continue
		}
		for _, tr := range c.arrive {
			if !regexp.MustCompile(`✓ ` + tr + ` arrived \d[\d.]* (ms|s) after the API call  #\d+`).MatchString(out) {
				t.Errorf("trigger %v: no arrival of %s reported:\n%s", c.args, tr, out)
			}
		}
		if !strings.Contains(out, "→ POST /messages") && !strings.Contains(out, "→ POST /groups") {
			t.Errorf("trigger %v: the API calls are not shown:\n%s", c.args, out)
		}
	}

	// send goes to the running listener with the credentials --register made for the run.
	code, out, errOut := runTest(t, false, map[string]string{"COMETHOOK_CAPTURE_DIR": r.l.captureDir}, "", "send", "message_sent")
	if code != 0 || !strings.Contains(out, "200 OK") {
		t.Errorf("send to the registered listener: exit %d\n%s%s", code, out, errOut)
	}

	// comethook webhooks marks the one that points here, and flags a legacy webhook left on a
	// tunnel that is gone.
	r.fake.AddWebhook(cometchatfake.Webhook{ID: "old-dev", URL: "https://0123abcd.ngrok-free.app/", Enabled: true, Legacy: true, Triggers: []string{"before_message"}})
	code, out, errOut = runTest(t, false, r.vars, "", "webhooks")
	if code != 0 || !strings.Contains(out, hooks[0].ID+"  enabled  ") || !strings.Contains(out, "← comethook listen here") ||
		!strings.Contains(out, "old-dev (legacy)  enabled  https://0123abcd.ngrok-free.app/  auth off  retries off  1 triggers  ⚠ an ngrok URL no listener here holds") {
		t.Errorf("webhooks: exit %d\n%s%s", code, out, errOut)
	}

	if code := r.l.stop(); code != 0 {
		t.Fatalf("listen exit %d", code)
	}
	for _, h := range r.fake.Webhooks() {
		if h.ID == hooks[0].ID && h.Enabled {
			t.Errorf("after listen stopped: %+v, want the webhook disabled", h)
		}
	}
	if !strings.Contains(r.l.errOut.String(), "Webhook "+hooks[0].ID+" disabled.") {
		t.Errorf("listen did not say it disabled the webhook:\n%s", r.l.errOut.String())
	}
	all := r.l.errOut.String() + r.l.out.String()
	for _, secret := range []string{"rest-key-secret", "mgmt-key-secret", "mgmt-secret-secret", hooks[0].Password, "tok-real"} {
		if strings.Contains(all, secret) {
			t.Errorf("listen printed a secret (%.8s…)", secret)
		}
	}
}

// When the webhooks do not come, trigger says which did not and why, and exits 1; when the
// API refuses, it says what CometChat said; rate limits are waited out once.
func TestTriggerFailures(t *testing.T) {
	r := startRealLoop(t, cometchatfake.Config{RateLimitAfter: 2}, "-t", "message_*")
	hookID := r.fake.Webhooks()[0].ID

	// Rate limited at the third call: waited out once, said so, and the event still arrives.
	for range 2 {
		if code, out, errOut := r.trigger(t, nil, "message_sent", "--wait", "20s"); code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
	}
	code, out, errOut := r.trigger(t, nil, "message_sent", "--wait", "20s")
	if code != 0 || !strings.Contains(errOut, "CometChat's rate limit: waiting 1s") || !strings.Contains(out, "✓ message_sent arrived") {
		t.Errorf("rate limited: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// A trigger the registered webhook does not have (-t message_*).
	code, out, _ = r.trigger(t, nil, "group_created", "--wait", "2s")
	if code != 1 || !strings.Contains(out, "✗ group_created did not arrive within 2s") || !strings.Contains(out, "does not have the group_created trigger") {
		t.Errorf("unregistered trigger: exit %d\n%s", code, out)
	}

	// The webhook disabled (as in the dashboard): nothing arrives, trigger says where to look.
	if code, out, errOut := runTest(t, false, r.vars, "", "webhooks", "disable", hookID, "--yes"); code != 0 {
		t.Fatalf("webhooks disable: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = r.trigger(t, nil, "message_sent", "--wait", "2s")
	if code != 1 || !strings.Contains(out, "✗ message_sent did not arrive") || !strings.Contains(out, "still enabled?") {
		t.Errorf("disabled webhook: exit %d\n%s", code, out)
	}

	// Refused credentials: exit 1, CometChat's code, the fix; never the key.
	code, out, errOut = r.trigger(t, map[string]string{"COMETCHAT_API_KEY": "auth-only-key"}, "message_sent", "-v")
	if code != 1 || !strings.Contains(errOut, "AUTH_ERR_NO_ACCESS") || !strings.Contains(errOut, "full access") || strings.Contains(out+errOut, "auth-only-key") ||
		!strings.Contains(errOut, "> Apikey: ****") {
		t.Errorf("auth-only key: exit %d\n%s%s", code, out, errOut)
	}
	// A refusal inside a 200 (add-members answers per user) is a refusal, blamed on its step,
	// and the group made for the purpose is deleted all the same.
	code, out, errOut = r.trigger(t, nil, "group_member_kicked", "--to", "nobody", "--group", "Kick-Test")
	if code != 1 || !strings.Contains(errOut, "error: add a member: CometChat answered 200 ERR_UID_NOT_FOUND") || !strings.Contains(out, "→ DELETE /groups/kick-test") {
		t.Errorf("kick an unknown user: exit %d\n%s%s", code, out, errOut)
	}
	// An unknown user: the API's code in words and the flag to change.
	code, _, errOut = r.trigger(t, nil, "message_sent", "--to", "nobody")
	if code != 1 || !strings.Contains(errOut, "ERR_UID_NOT_FOUND") || !strings.Contains(errOut, "--from/--to") {
		t.Errorf("unknown user: exit %d\n%s", code, errOut)
	}
	// CometChat unreachable: one sentence.
	code, _, errOut = r.trigger(t, map[string]string{"COMETCHAT_API_URL": "http://127.0.0.1:1/v3"}, "message_sent")
	if code != 1 || !strings.Contains(errOut, "could not reach CometChat") {
		t.Errorf("API down: exit %d\n%s", code, errOut)
	}
}

// --register never takes over a webhook that is not comethook's and points at a real
// endpoint: it says so, listen runs on with the paste instruction and without credentials
// nobody was given, and the webhook is left as it was.
func TestRegisterLeavesOthersWebhooksAlone(t *testing.T) {
	srv, flags := fakeNgrok(t, "tok-x")
	f, err := cometchatfake.Start(cometchatfake.Config{AppID: "app1", MgmtKey: "mk", MgmtSecret: "ms", DeliverVia: srv.PublicAddr()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prod := cometchatfake.Webhook{ID: "prod", URL: "https://api.example.com/cometchat", Enabled: true, Triggers: []string{"message_sent"}}
	f.AddWebhook(prod)
	l := startListen(t, map[string]string{"NGROK_AUTHTOKEN": "tok-x", "COMETCHAT_APP_ID": "app1", "COMETCHAT_MGMT_KEY": "mk",
		"COMETCHAT_MGMT_SECRET": "ms", "COMETCHAT_MGMT_URL": f.MgmtURL()}, append(flags, "--register", "--webhook-id", "prod")...)
	errOut := l.errOut.String()
	if !strings.Contains(errOut, "the webhook prod exists and points at https://api.example.com/cometchat, not at an ngrok tunnel") || !strings.Contains(errOut, "Paste it") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if code, out, e := runTest(t, false, map[string]string{"COMETHOOK_CAPTURE_DIR": l.captureDir}, "", "send", "message_sent"); code != 0 {
		t.Errorf("send to the listener: exit %d (credentials made for a webhook that was never registered?)\n%s%s", code, out, e)
	}
	l.stop()
	if got := f.Webhooks(); len(got) != 1 || got[0].URL != prod.URL || !got[0].Enabled {
		t.Errorf("the webhook was touched: %+v", got)
	}
}

// Without a running listener trigger still makes the call and says where to look; with
// missing credentials it names each, before calling anything.
func TestTriggerWithoutListener(t *testing.T) {
	f, err := cometchatfake.Start(cometchatfake.Config{AppID: "app1", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{"COMETCHAT_APP_ID": "app1", "COMETCHAT_API_KEY": "k", "COMETCHAT_API_URL": f.URL()}
	code, out, errOut := runTest(t, false, vars, "", "trigger", "message_sent")
	if code != 0 || !strings.Contains(out, "→ POST /messages  send a message  200 OK") || !strings.Contains(errOut, "No comethook listen is running") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runTest(t, false, map[string]string{"COMETCHAT_REGION": "eu"}, "", "trigger", "message_sent")
	if code != 2 || !strings.Contains(errOut, "missing the app ID (--app-id or COMETCHAT_APP_ID), a REST API key") || strings.Contains(errOut, "the region") {
		t.Errorf("missing credentials: exit %d\n%s", code, errOut)
	}
}
