package cmd

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/internal/cometchat"
	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/tunnel"
)

// registerOptions are listen --register's: CometChat is pointed at the tunnel through the
// Management API, and let go of again at exit.
type registerOptions struct {
	mode      string // "" (off), disable, keep or delete
	webhookID string
	legacy    bool
	app       appFlags

	hooks     cometchat.Webhooks // set by check
	generated bool               // the Basic Auth credentials are the run's own
}

func (r *registerOptions) bind(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&r.mode, "register", "", "point your app's webhook at the tunnel (Management API); at exit disable it (the default), keep it or delete it: --register=keep|delete")
	fl.Lookup("register").NoOptDefVal = "disable"
	fl.StringVar(&r.webhookID, "webhook-id", "", "--register: the webhook's id (default comethook-<host name>)")
	fl.BoolVar(&r.legacy, "legacy", false, "--register: the legacy webhooks (before_message, after_message) instead of the current ones")
	fl.StringVar(&r.app.appID, "app-id", "", "--register: your CometChat app's ID (or $COMETCHAT_APP_ID, or .env)")
	r.app.bindMgmt(c, "--register")
}

// check checks --register's flags before anything is opened; cfg gets Basic Auth credentials
// made for this run when none were given, since the webhook will send them.
func (r *registerOptions) check(e *env, tunnel bool, cfg *receiver.Config) error {
	switch r.mode {
	case "":
		if r.webhookID != "" || r.legacy {
			return usageErr(errors.New("--webhook-id and --legacy go with --register"), "")
		}
		return nil
	case "disable", "keep", "delete":
	default:
		return usageErr(fmt.Errorf("--register=%s: want disable (the default), keep or delete", r.mode), "")
	}
	if !tunnel {
		return usageErr(errors.New("--register needs the ngrok tunnel: CometChat sends webhooks to public HTTPS URLs only"),
			"set NGROK_AUTHTOKEN (https://dashboard.ngrok.com/get-started/your-authtoken) or pass --authtoken")
	}
	c, appID, ok, err := r.app.mgmtClient(e)
	if err != nil {
		return err
	}
	if !ok {
		return usageErr(errors.New("--register needs CometChat's Management API key and secret (--mgmt-key/--mgmt-secret or COMETCHAT_MGMT_KEY/COMETCHAT_MGMT_SECRET) and the app ID"),
			"they come with plans that include the Management APIs; without them, paste listen's URL in Dashboard → Settings → Webhooks")
	}
	if e.p.Verbose {
		c.OnExchange = e.p.Exchange
	}
	if r.webhookID == "" {
		r.webhookID = defaultWebhookID()
	}
	if len(r.webhookID) > 50 || strings.ContainsAny(r.webhookID, " /") {
		return usageErr(fmt.Errorf("--webhook-id %q: at most 50 characters, no spaces or slashes", r.webhookID), "")
	}
	r.hooks = cometchat.Webhooks{C: c, AppID: appID, Legacy: r.legacy}
	if cfg.BasicAuth == "" {
		cfg.BasicAuth = "comethook:" + rand.Text() // what the webhook sends, and listen checks
		r.generated = true
	}
	return nil
}

// defaultWebhookID is comethook-<short host name>, cut to CometChat's 50 characters.
func defaultWebhookID() string {
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(strings.ToLower(host), ".")
	host = strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' {
			return c
		}
		return '-'
	}, host)
	id := strings.Trim("comethook-"+host, "-")
	return id[:min(len(id), 50)]
}

// triggersFor are the triggers the webhook gets: every one of its system that -t selects.
func triggersFor(legacy bool, patterns []string) []string {
	sys := webhook.V2
	if legacy {
		sys = webhook.Legacy
	}
	var out []string
	for _, t := range webhook.Catalogue() {
		if t.System == sys && webhook.Match(patterns, t.Name) {
			out = append(out, t.Name)
		}
	}
	return out
}

// register creates or takes over the webhook, points it at url with the run's Basic Auth,
// enables it and sets its triggers. Triggers CometChat refuses are skipped and named.
func (r *registerOptions) register(ctx context.Context, url, basicAuth string, patterns []string) (*registration, []string, error) {
	user, pass, _ := strings.Cut(basicAuth, ":")
	h := cometchat.Webhook{ID: r.webhookID, Name: r.webhookID, URL: url, Enabled: true, UseBasicAuth: true, Username: user, Password: pass, RetryOnFailure: true}
	old, err := r.hooks.Get(ctx, h.ID)
	var ae *cometchat.APIError
	switch {
	case err == nil && !takeOver(old):
		// Not comethook's, and not a dead tunnel's: pointing it here would take a webhook
		// that works (production's, say) away from where it delivers.
		return nil, nil, fmt.Errorf("the webhook %s exists and points at %s, not at an ngrok tunnel: pass another --webhook-id", h.ID, old.URL)
	case err == nil: // a webhook of an earlier run (a crash left it): take it over
		err = r.hooks.Update(ctx, h)
	case errors.As(err, &ae) && ae.Code == "ERR_WEBHOOK_NOT_FOUND":
		err = r.hooks.Create(ctx, h)
	}
	if err != nil {
		return nil, nil, err
	}
	want := triggersFor(r.legacy, patterns)
	var refused []string
	if err := r.hooks.SetTriggers(ctx, h.ID, want); errors.As(err, &ae) && (ae.Code == "ERR_TRIGGER_NOT_FOUND" || ae.Status == 400) {
		// One trigger CometChat does not know (the docs' lists differ) must not cost the
		// others: add them one by one.
		var kept []string
		for _, t := range want {
			if err := r.hooks.SetTriggers(ctx, h.ID, append(kept, t)); err != nil {
				refused = append(refused, t)
				continue
			}
			kept = append(kept, t)
		}
		want = kept
	} else if err != nil {
		return nil, nil, fmt.Errorf("setting the webhook's triggers: %w", err)
	}
	return &registration{ID: h.ID, Legacy: r.legacy, Triggers: want, URL: url}, refused, nil
}

// takeOver says whether --register may point an existing webhook at this tunnel: one that
// comethook made (its id), or one that points at an ngrok URL (a tunnel, dead or not).
func takeOver(h cometchat.Webhook) bool {
	u, err := url.Parse(h.URL)
	return strings.HasPrefix(h.ID, "comethook") || err == nil && tunnel.IsNgrokHost(u.Hostname())
}

// unregister lets the webhook go at exit, as --register says: disabled, deleted or kept.
func (r *registerOptions) unregister(e *env, reg *registration) {
	if reg == nil || r.mode == "keep" {
		if reg != nil {
			e.p.Note(fmt.Sprintf("The webhook %s still points at this tunnel (--register=keep).", reg.ID))
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Only if it still points here: another listen may have taken it over since.
	if h, err := r.hooks.Get(ctx, reg.ID); err == nil && h.URL != reg.URL {
		e.p.Note(fmt.Sprintf("The webhook %s now points at %s (another listen took it over): left as it is.", reg.ID, h.URL))
		return
	}
	var err error
	what := "disabled"
	if r.mode == "delete" {
		err, what = r.hooks.Delete(ctx, reg.ID), "deleted"
	} else {
		err = r.hooks.SetEnabled(ctx, reg.ID, false)
	}
	if err != nil {
		e.p.Warn(fmt.Sprintf("could not let the webhook %s go: %v; CometChat keeps sending to a tunnel that is gone (comethook webhooks disable %s)", reg.ID, err, reg.ID))
		return
	}
	e.p.Note(fmt.Sprintf("Webhook %s %s.", reg.ID, what))
}

// registeredWords is the banner's line for a registered webhook.
func (r *registerOptions) registeredWords(reg *registration, refused []string) string {
	what := map[string]string{"disable": "disabled again on exit", "delete": "deleted on exit", "keep": "kept on exit"}[r.mode]
	kind := "webhook"
	if r.legacy {
		kind = "legacy webhook"
	}
	s := fmt.Sprintf("Registered %s %s for %d triggers (%s)", kind, reg.ID, len(reg.Triggers), what)
	if len(refused) > 0 {
		s += fmt.Sprintf("; CometChat refused %s", strings.Join(refused, ", "))
	}
	return s
}
