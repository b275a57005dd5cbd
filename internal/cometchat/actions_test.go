package cometchat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comethook/comethook/internal/cometchat"
	"github.com/comethook/comethook/internal/cometchatfake"
	"github.com/comethook/comethook/internal/webhook"
)

// receiver collects the webhooks the fake sends, as an app's endpoint would.
type receiver struct {
	mu       sync.Mutex
	triggers []string
	bodies   []map[string]any
	auth     []string
}

func startFake(t *testing.T, cfg cometchatfake.Config) (*cometchatfake.Server, *receiver) {
	t.Helper()
	rcv := &receiver{}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p map[string]any
		json.Unmarshal(b, &p)
		rcv.mu.Lock()
		rcv.triggers = append(rcv.triggers, p["trigger"].(string))
		rcv.bodies = append(rcv.bodies, p)
		rcv.auth = append(rcv.auth, r.Header.Get("Authorization"))
		rcv.mu.Unlock()
		w.Write([]byte("{}"))
	}))
	t.Cleanup(app.Close)
	cfg.DeliverVia = strings.TrimPrefix(app.URL, "http://")
	if cfg.AppID == "" {
		cfg.AppID, cfg.APIKey, cfg.AuthOnlyKey, cfg.MgmtKey, cfg.MgmtSecret = "app1", "full-key", "auth-only", "mk", "ms"
	}
	f, err := cometchatfake.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f, rcv
}

func allV2(t *testing.T) []string {
	var names []string
	for _, tr := range webhook.Catalogue() {
		if tr.System == webhook.V2 {
			names = append(names, tr.Name)
		}
	}
	return names
}

// Every action makes the fake send its main webhooks to an enabled v2 webhook, with the ids
// the API answered.
func TestActionsFireTheirWebhooks(t *testing.T) {
	f, rcv := startFake(t, cometchatfake.Config{})
	f.AddWebhook(cometchatfake.Webhook{ID: "dev", URL: "https://dev.example/hooks", Enabled: true, UseBasicAuth: true,
		Username: "u", Password: "p", Triggers: allV2(t)})
	c := cometchat.NewREST(f.URL(), "full-key", http.DefaultClient)
	for _, a := range cometchat.Actions() {
		t.Run(a.Name, func(t *testing.T) {
			rcv.mu.Lock()
			rcv.triggers = nil
			rcv.mu.Unlock()
			p := cometchat.Defaults
			if a.IsGroupAction() {
				p.Group = "comethook-test-" + a.Name
			}
			var calls []cometchat.Call
			if err := a.Run(context.Background(), c, p, func(c cometchat.Call) { calls = append(calls, c) }); err != nil {
				t.Fatalf("%v (calls %+v)", err, calls)
			}
			f.Wait()
			rcv.mu.Lock()
			got := slices.Clone(rcv.triggers)
			rcv.mu.Unlock()
			for _, want := range append(slices.Clone(a.Main.V2), a.Also...) {
				if !slices.Contains(got, want) {
					t.Errorf("webhooks %v, want %s among them", got, want)
				}
			}
			if calls[0].ID == "" && !strings.HasPrefix(a.Name, "user_") {
				t.Errorf("the first call %+v says nothing of what it created", calls[0])
			}
		})
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, a := range rcv.auth {
		if a != "Basic dTpw" {
			t.Fatalf("Authorization %q, want Basic u:p", a)
		}
	}
	if len(f.Webhooks()) != 1 {
		t.Errorf("webhooks %+v", f.Webhooks())
	}
}

// A message through the fake reaches a legacy webhook as before_message then after_message,
// and before_message's do_not_propagate stops it.
func TestLegacyBeforeMessage(t *testing.T) {
	f, rcv := startFake(t, cometchatfake.Config{})
	f.AddWebhook(cometchatfake.Webhook{ID: "old", URL: "https://dev.example/", Enabled: true, Legacy: true, Triggers: []string{"before_message", "after_message"}})
	c := cometchat.NewREST(f.URL(), "full-key", http.DefaultClient)
	a, _ := cometchat.FindAction("after_message")
	if err := a.Run(context.Background(), c, cometchat.Defaults, func(cometchat.Call) {}); err != nil {
		t.Fatal(err)
	}
	f.Wait()
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if !slices.Equal(rcv.triggers, []string{"before_message", "after_message"}) {
		t.Errorf("webhooks %v, want before_message then after_message", rcv.triggers)
	}
	if d, _ := rcv.bodies[1]["data"].(map[string]any); d["sender"] != "cometchat-uid-1" || d["receiver"] != "cometchat-uid-2" {
		t.Errorf("after_message data %v", d)
	}
}

// Refusals come back as *APIError with the code and a hint; a 429 is waited out once.
func TestRefusals(t *testing.T) {
	f, _ := startFake(t, cometchatfake.Config{RateLimitAfter: 1})
	ctx := context.Background()
	send, _ := cometchat.FindAction("message_sent")
	for key, code := range map[string]string{"wrong1234567890abcdef": "AUTH_ERR_APIKEY_NOT_FOUND", "auth-only": "AUTH_ERR_NO_ACCESS"} {
		err := send.Run(ctx, cometchat.NewREST(f.URL(), key, http.DefaultClient), cometchat.Defaults, func(cometchat.Call) {})
		var ae *cometchat.APIError
		if !errors.As(err, &ae) || ae.Code != code || ae.Hint() == "" {
			t.Errorf("key %s: %v, want %s with a hint", key, err, code)
		}
		if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), key[:5]) || strings.Contains(err.Error(), key[len(key)-5:]) {
			t.Errorf("the error shows the key, or its ends: %v", err)
		}
	}
	c := cometchat.NewREST(f.URL(), "full-key", http.DefaultClient)
	var waited []time.Duration
	c.OnWait = func(d time.Duration) { waited = append(waited, d) }
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	if err := send.Run(ctx, c, cometchat.Defaults, func(cometchat.Call) {}); err != nil {
		t.Fatal(err)
	}
	if err := send.Run(ctx, c, cometchat.Defaults, func(cometchat.Call) {}); err != nil || len(waited) != 1 || waited[0] != time.Second {
		t.Errorf("after a 429: %v, waited %v; want one wait of 1s and success", err, waited)
	}
	p := cometchat.Defaults
	p.To = "nobody"
	err := send.Run(ctx, c, p, func(cometchat.Call) {})
	var ae *cometchat.APIError
	if !errors.As(err, &ae) || ae.Code != "ERR_UID_NOT_FOUND" || !strings.Contains(ae.Hint(), "--to") {
		t.Errorf("unknown user: %v", err)
	}
}

// Webhooks through the Management API: create, triggers, update, list, delete.
func TestManageWebhooks(t *testing.T) {
	f, _ := startFake(t, cometchatfake.Config{})
	ctx := context.Background()
	m := cometchat.Webhooks{C: cometchat.NewMgmt(f.MgmtURL(), "mk", "ms", http.DefaultClient), AppID: "app1"}
	h := cometchat.Webhook{ID: "comethook-dev", Name: "comethook-dev", URL: "https://a.ngrok-free.app/", Enabled: true, UseBasicAuth: true, Username: "u", Password: "p"}
	if err := m.Create(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := m.SetTriggers(ctx, h.ID, []string{"message_sent", "group_created"}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetTriggers(ctx, h.ID, []string{"message_sent", "message_edited"}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetEnabled(ctx, h.ID, false); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, h.ID)
	if err != nil || got.Enabled || !slices.Equal(got.Triggers, []string{"message_sent", "message_edited"}) || got.URL != h.URL {
		t.Errorf("after set-up: %+v, %v", got, err)
	}
	list, err := m.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != h.ID {
		t.Errorf("list: %+v, %v", list, err)
	}
	if err := m.SetTriggers(ctx, h.ID, []string{"no_such_trigger"}); err == nil {
		t.Error("an unknown trigger was accepted")
	}
	legacy := m
	legacy.Legacy = true
	if l, err := legacy.List(ctx); err != nil || len(l) != 0 {
		t.Errorf("the legacy webhooks are a set of their own: %+v, %v", l, err)
	}
	if err := m.Delete(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	var ae *cometchat.APIError
	if _, err := m.Get(ctx, h.ID); !errors.As(err, &ae) || ae.Code != "ERR_WEBHOOK_NOT_FOUND" {
		t.Errorf("get after delete: %v", err)
	}
	bad := cometchat.Webhooks{C: cometchat.NewMgmt(f.MgmtURL(), "mk", "wrong", http.DefaultClient), AppID: "app1"}
	if _, err := bad.List(ctx); !errors.As(err, &ae) || ae.Status != 401 {
		t.Errorf("wrong secret: %v", err)
	}
}

// What -v shows of a call has no credentials: not the headers, not a password in a body.
func TestExchangesAreMasked(t *testing.T) {
	f, _ := startFake(t, cometchatfake.Config{})
	var seen []cometchat.Exchange
	c := cometchat.NewMgmt(f.MgmtURL(), "mk", "ms", http.DefaultClient)
	c.OnExchange = func(ex cometchat.Exchange) { seen = append(seen, ex) }
	m := cometchat.Webhooks{C: c, AppID: "app1"}
	ctx := context.Background()
	if err := m.Create(ctx, cometchat.Webhook{ID: "h", Name: "h", URL: "https://a.example/", UseBasicAuth: true, Username: "u", Password: "pa\"ss-secret"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	for _, ex := range seen {
		all := string(ex.Body) + string(ex.Answer) + fmt.Sprint(ex.Header)
		if strings.Contains(all, "ss-secret") || strings.Contains(all, "ms") && strings.Contains(fmt.Sprint(ex.Header), "ms]") {
			t.Errorf("%s %s shows a secret: %s", ex.Method, ex.URL, all)
		}
		if !strings.Contains(fmt.Sprint(ex.Header), "****") {
			t.Errorf("%s %s: headers %v, want the key and secret masked", ex.Method, ex.URL, ex.Header)
		}
	}
	if !strings.Contains(string(seen[0].Body), `"password":"****"`) {
		t.Errorf("create's body as shown: %s", seen[0].Body)
	}
}
