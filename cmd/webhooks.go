package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/internal/cometchat"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/tunnel"
)

type webhooksOptions struct {
	app    appFlags
	legacy bool
	json   bool
	yes    bool
}

func newWebhooksCmd(e *env) *cobra.Command {
	o := &webhooksOptions{}
	c := &cobra.Command{
		Use:   "webhooks",
		Short: "See and switch your CometChat app's webhooks (Management API)",
		Long: `Webhooks lists your app's webhooks as CometChat has them, the current ones then the
legacy ones: id, URL, enabled, Basic Auth, retries and triggers. It marks the one that points at a comethook listen running here, and
flags those that point at an ngrok URL no listener holds now: the usual reason nothing
arrives.

It needs CometChat's Management API key and secret (--mgmt-key/--mgmt-secret,
COMETCHAT_MGMT_KEY/COMETCHAT_MGMT_SECRET, or .env) and the app ID.`,
		Example: `  comethook webhooks
  comethook webhooks show comethook-laptop
  comethook webhooks disable old-staging --yes
  comethook webhooks --legacy`,
		Args: argsRange(0, 0),
		RunE: func(c *cobra.Command, _ []string) error { return runWebhooksList(c.Context(), e, o) },
	}
	fl := c.PersistentFlags()
	fl.BoolVar(&o.legacy, "legacy", false, "the legacy webhooks (before_message, after_message) instead of the current ones")
	fl.BoolVar(&o.json, "json", false, "print one JSON record per webhook")
	fl.StringVar(&o.app.appID, "app-id", "", "your CometChat app's ID (or $COMETCHAT_APP_ID, or .env)")
	fl.StringVar(&o.app.mgmtKey, "mgmt-key", "", "the Management API key (or $COMETCHAT_MGMT_KEY, or .env)")
	fl.StringVar(&o.app.mgmtSecret, "mgmt-secret", "", "the Management API secret (or $COMETCHAT_MGMT_SECRET, or .env)")
	show := &cobra.Command{
		Use:   "show <id>",
		Short: "Show one webhook and its triggers",
		Args:  argsRange(1, 1),
		RunE: func(c *cobra.Command, args []string) error {
			hooks, err := o.client(e)
			if err != nil {
				return err
			}
			h, err := hooks.Get(c.Context(), args[0])
			if err != nil {
				return apiErr("getting webhook "+args[0], err)
			}
			o.print(e, h, runningListeners(e), true)
			return nil
		},
	}
	c.AddCommand(show)
	for _, verb := range []string{"enable", "disable", "delete"} {
		sub := &cobra.Command{
			Use:   verb + " <id>",
			Short: map[string]string{"enable": "Turn a webhook on", "disable": "Turn a webhook off (CometChat stops sending to it)", "delete": "Delete a webhook"}[verb],
			Args:  argsRange(1, 1),
			RunE:  func(c *cobra.Command, args []string) error { return runWebhookSwitch(c.Context(), e, o, verb, args[0]) },
		}
		sub.Flags().BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
		c.AddCommand(sub)
	}
	return c
}

func (o *webhooksOptions) client(e *env) (cometchat.Webhooks, error) {
	c, appID, ok, err := o.app.mgmtClient(e)
	if err != nil {
		return cometchat.Webhooks{}, err
	}
	if !ok {
		return cometchat.Webhooks{}, usageErr(errors.New("missing the Management API key and secret (--mgmt-key/--mgmt-secret or COMETCHAT_MGMT_KEY/COMETCHAT_MGMT_SECRET)"),
			"they come with plans that include CometChat's Management APIs; the dashboard shows the same under Settings → Webhooks")
	}
	if e.p.Verbose {
		c.OnExchange = e.p.Exchange
	}
	return cometchat.Webhooks{C: c, AppID: appID, Legacy: o.legacy}, nil
}

func runWebhooksList(ctx context.Context, e *env, o *webhooksOptions) error {
	hooks, err := o.client(e)
	if err != nil {
		return err
	}
	// Both sets, the current webhooks first: a legacy webhook on a dead tunnel is as likely a
	// reason that nothing arrives. --legacy lists the legacy ones alone.
	sets := []cometchat.Webhooks{hooks}
	if !o.legacy {
		legacy := hooks
		legacy.Legacy = true
		sets = append(sets, legacy)
	}
	listeners := runningListeners(e)
	n := 0
	for i, set := range sets {
		list, err := set.List(ctx)
		if err != nil {
			if i > 0 { // the current ones were listed: say what went wrong with the rest
				e.p.Warn(fmt.Sprintf("listing the legacy webhooks: %v", err))
				break
			}
			return apiErr("listing the webhooks", err)
		}
		for _, h := range list {
			if h.Triggers, err = set.Triggers(ctx, h.ID); err != nil {
				return apiErr("listing the triggers of "+h.ID, err)
			}
			o.print(e, h, listeners, false)
			n++
		}
	}
	if n == 0 && !o.json {
		kind := "webhooks"
		if o.legacy {
			kind = "legacy webhooks"
		}
		e.p.Note(fmt.Sprintf("No %s in app %s. comethook listen --register makes one that points at its tunnel.", kind, hooks.AppID))
	}
	return nil
}

// mark says how a webhook's URL relates to the listeners running here.
func mark(h cometchat.Webhook, listeners []listenerState) string {
	for _, st := range listeners {
		if st.PublicURL != "" && strings.HasPrefix(h.URL, strings.TrimRight(st.PublicURL, "/")) {
			return fmt.Sprintf("← comethook listen here (pid %d)", st.PID)
		}
	}
	if u, err := url.Parse(h.URL); err == nil && tunnel.IsNgrokHost(u.Hostname()) && h.Enabled {
		return "⚠ an ngrok URL no listener here holds: deliveries fail until one does"
	}
	return ""
}

func (o *webhooksOptions) print(e *env, h cometchat.Webhook, listeners []listenerState, full bool) {
	m := mark(h, listeners)
	if o.json {
		render.WriteJSON(e.p.RawOut, map[string]any{"id": h.ID, "url": h.URL, "enabled": h.Enabled, "basicAuth": h.UseBasicAuth,
			"retryOnFailure": h.RetryOnFailure, "legacy": h.Legacy, "triggers": h.Triggers, "mark": nilIfEmpty(m)})
		return
	}
	onOff := map[bool]string{true: "on", false: "off"}
	state := map[bool]string{true: "enabled", false: "disabled"}[h.Enabled]
	id := h.ID
	if h.Legacy {
		id += " (legacy)"
	}
	line := fmt.Sprintf("%s  %s  %s  auth %s  retries %s  %d triggers", id, state, h.URL, onOff[h.UseBasicAuth], onOff[h.RetryOnFailure], len(h.Triggers))
	if m != "" {
		line += "  " + m
	}
	fmt.Fprintln(e.p.Out, render.Clean(line, false))
	if full {
		for _, t := range h.Triggers {
			fmt.Fprintln(e.p.Out, "  "+render.Clean(t, false))
		}
	}
}

func runWebhookSwitch(ctx context.Context, e *env, o *webhooksOptions, verb, id string) error {
	hooks, err := o.client(e)
	if err != nil {
		return err
	}
	if verb != "enable" && !o.yes {
		if f, ok := e.streams.In.(*os.File); !ok || !render.IsTerminal(f) || !e.streams.ErrTTY { // a person to ask
			return usageErr(fmt.Errorf("webhooks %s %s needs confirmation", verb, id), "pass --yes in scripts")
		}
		fmt.Fprintf(e.p.Err, "%s webhook %s of app %s? [y/N] ", strings.ToUpper(verb[:1])+verb[1:], id, hooks.AppID)
		answer, _ := bufio.NewReader(e.streams.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			e.p.Note("Nothing changed.")
			return nil
		}
	}
	switch verb {
	case "enable":
		err = hooks.SetEnabled(ctx, id, true)
	case "disable":
		err = hooks.SetEnabled(ctx, id, false)
	case "delete":
		err = hooks.Delete(ctx, id)
	}
	if err != nil {
		return apiErr(verb+" webhook "+id, err)
	}
	e.p.Say("Webhook %s %sd.", id, strings.TrimSuffix(verb, "e"))
	return nil
}
