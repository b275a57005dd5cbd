package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/internal/cometchat"
	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/internal/webhook"
)

type triggerOptions struct {
	app                   appFlags
	from, to, group, text string
	wait                  time.Duration
	list, json            bool
}

func newTriggerCmd(e *env) *cobra.Command {
	o := &triggerOptions{}
	c := &cobra.Command{
		Use:   "trigger <event>",
		Short: "Make your CometChat app send real webhooks (through its REST API)",
		Long: `Trigger makes your own CometChat app do something (send a message, react, create a
group…) through CometChat's REST API, so that CometChat itself sends the webhooks. When a
comethook listen runs on this machine, trigger then waits for them at the listener and says
when each arrived, or why it probably did not.

It needs your app's ID, region and a REST API key with full access: flags, the environment
(COMETCHAT_APP_ID, COMETCHAT_REGION, COMETCHAT_API_KEY) or a .env file in the current
directory. Calls, meetings, receipts and connection status cannot be caused through the REST
API: comethook send plays them instead.

Exit status: 0 when every webhook awaited arrived, 1 when the API refused a call or a
webhook did not arrive, 2 for a usage error.`,
		Example: `  comethook trigger --list
  comethook trigger message_sent
  comethook trigger message_sent --group cometchat-guid-1 --text "hello group"
  comethook trigger message_reaction_added --from cometchat-uid-3 --to cometchat-uid-4
  comethook trigger group_member_kicked --json`,
		Args: argsRange(0, 1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, a := range cometchat.Actions() {
				names = append(names, a.Name+"\t"+a.Does)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			if o.list || len(args) == 0 {
				if !o.list {
					return usageErr(errors.New("trigger needs an event"), "comethook trigger --list shows what it can cause")
				}
				printActions(e)
				return nil
			}
			return runTrigger(c.Context(), e, o, args[0])
		},
	}
	fl := c.Flags()
	o.app.bindREST(c)
	fl.StringVar(&o.from, "from", cometchat.Defaults.From, "the user who acts (sends, reacts, blocks, owns the group)")
	fl.StringVar(&o.to, "to", cometchat.Defaults.To, "the other user (receives, is added, kicked, banned, blocked)")
	fl.StringVar(&o.group, "group", "", "send the message to this group; group events use it as the name of the group they create (default comethook-<time>)")
	fl.StringVar(&o.text, "text", cometchat.Defaults.Text, "the message's text")
	fl.DurationVar(&o.wait, "wait", 15*time.Second, "how long to wait for the webhooks at the running listener (0: do not wait)")
	fl.BoolVar(&o.list, "list", false, "list what trigger can cause and the webhooks each fires")
	fl.BoolVar(&o.json, "json", false, "print one JSON record per API call and per webhook awaited")
	return c
}

func printActions(e *env) {
	w := e.p.Out
	for _, a := range cometchat.Actions() {
		fires := strings.Join(a.Main.V2, ", ")
		if len(a.Main.Legacy) > 0 {
			fires += " (legacy: " + strings.Join(a.Main.Legacy, ", ") + ")"
		}
		if len(a.Also) > 0 {
			fires += "; also " + strings.Join(a.Also, ", ")
		}
		fmt.Fprintf(w, "%-28s %s\n%-28s fires %s\n", a.Name, a.Does, "", fires)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Not through the REST API (comethook send plays them): calls and meetings (the Calls SDK), receipts")
	fmt.Fprintln(w, "(the receiving client), connection status (a client's connection), moderation (CometChat's rules).")
}

// notByREST says why a webhook cannot be caused by REST, when it cannot.
func notByREST(name string) (string, bool) {
	keys := make([]string, 0, len(cometchat.NotByREST))
	for k := range cometchat.NotByREST {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, pat := range keys {
		if ok, _ := path.Match(pat, name); ok {
			return cometchat.NotByREST[pat], true
		}
	}
	return "", false
}

// awaited is a webhook trigger waits for.
type awaited struct {
	trigger string
	arrived *record.Record
	after   time.Duration
}

func runTrigger(ctx context.Context, e *env, o *triggerOptions, name string) error {
	a, ok := cometchat.FindAction(name)
	if !ok {
		if why, no := notByREST(name); no {
			return usageErr(fmt.Errorf("%s cannot be caused through CometChat's REST API: %s", name, why),
				"comethook send "+name+" plays it against your endpoint instead")
		}
		hint := "comethook trigger --list shows what it can cause"
		if _, known := webhook.Lookup(name, ""); known {
			return usageErr(fmt.Errorf("comethook trigger cannot cause %s", name),
				"comethook send "+name+" plays it against your endpoint; "+hint)
		}
		if s := webhook.Suggest(name); len(s) > 0 {
			hint = "did you mean " + strings.Join(s, " or ") + "? " + hint
		}
		return usageErr(fmt.Errorf("unknown event %q", name), hint)
	}
	if o.wait < 0 {
		return usageErr(errors.New("--wait cannot be negative"), "")
	}
	if o.group != "" {
		if !validGUID(o.group) {
			return usageErr(fmt.Errorf("--group %q: a GUID is letters, digits, - and _ (at most 100)", o.group), "")
		}
		o.group = strings.ToLower(o.group) // CometChat lower-cases GUIDs (groups/create)
	}
	client, appID, err := o.app.restClient(e)
	if err != nil {
		return err
	}
	if e.p.Verbose {
		client.OnExchange = e.p.Exchange
	}
	client.OnWait = func(d time.Duration) {
		e.p.Warn(fmt.Sprintf("CometChat's rate limit: waiting %s as it asks, then trying once more", d))
	}
	p := cometchat.Params{From: o.from, To: o.to, Group: o.group, Text: o.text, Reaction: cometchat.Defaults.Reaction} // calls are stamped with the clock listen stamps arrivals with
	if a.IsGroupAction() && p.Group == "" {
		p.Group = "comethook-" + e.now().Format("20060102-150405")
	}

	// Follow the running listener's capture from now: what arrives after the first call.
	st, listening := runningListener(e, func(listenerState) bool { return true })
	var follow *history.Follower
	if listening && st.Capture != "" {
		follow = history.Follow(st.Capture)
	}

	if !o.json {
		e.p.Say("Triggering %s in app %s as %s:", a.Name, appID, o.from)
	}
	var start time.Time
	var calls []cometchat.Call
	var failed string // the first call refused: what it did
	runErr := a.Run(ctx, client, p, func(c cometchat.Call) {
		if start.IsZero() {
			start = c.At
		}
		calls = append(calls, c)
		errText := ""
		if c.Err != nil {
			errText = c.Err.Error()
		}
		if o.json {
			render.WriteJSON(e.p.RawOut, map[string]any{"call": map[string]any{"what": c.What, "method": c.Method, "path": c.Path,
				"status": c.Status, "id": c.ID, "at": c.At.Format(time.RFC3339Nano), "error": nilIfEmpty(errText)}})
		} else if failed == "" {
			e.p.TriggerCall(c, "") // the first refusal is the command's error, said once at the end
		} else {
			e.p.TriggerCall(c, errText) // a later one (the clean-up's) is said here or nowhere
		}
		if c.Err != nil && failed == "" {
			failed = c.What
		}
	})
	if runErr != nil {
		return apiErr(failed, runErr)
	}
	if o.wait == 0 {
		return nil
	}
	if !listening {
		e.p.Note("No comethook listen is running on this machine, so the webhooks went wherever your app's webhooks point. " +
			"To see them: comethook listen --register (or paste its URL in the dashboard), then trigger again.")
		return nil
	}
	if follow == nil {
		e.p.Note(fmt.Sprintf("The running listener (pid %d) keeps no capture, so trigger cannot see what arrives: look at its terminal.", st.PID))
		return nil
	}
	return awaitWebhooks(ctx, e, o, a, st, follow, start, calls)
}

func validGUID(s string) bool {
	if len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// awaitWebhooks watches the listener's capture for the action's webhooks until all arrived
// or --wait is over, and says what arrived and what did not, with the likely causes.
func awaitWebhooks(ctx context.Context, e *env, o *triggerOptions, a cometchat.Action, st listenerState, follow *history.Follower,
	start time.Time, calls []cometchat.Call) error {
	ids := map[string]bool{}
	for _, c := range calls {
		if c.ID != "" {
			ids[c.ID] = true
		}
	}
	expect := a.Main.V2
	legacy := st.Registered != nil && st.Registered.Legacy
	if legacy {
		expect = a.Main.Legacy
		if len(expect) == 0 {
			return failErr(fmt.Errorf("the listener's webhook %s is a legacy webhook, and %s fires nothing legacy webhooks send", st.Registered.ID, a.Name),
				"legacy webhooks send before_message, after_message, receipts and connection status only: register the current webhooks (listen --register without --legacy)")
		}
	}
	var seen []record.Record
	waiting := func() []*awaited {
		var out []*awaited
		for _, t := range expect {
			out = append(out, &awaited{trigger: t})
		}
		return out
	}
	awaits := waiting()
	if !o.json {
		where := st.LocalURL
		if st.PublicURL != "" {
			where = st.PublicURL
		}
		e.p.Say("Waiting up to %s for %s at the running listener (pid %d, %s)…", o.wait, strings.Join(expect, ", "), st.PID, where)
	}
	deadline := time.NewTimer(o.wait)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	done := func() bool {
		for _, w := range awaits {
			if w.arrived == nil {
				return false
			}
		}
		return len(awaits) > 0
	}
	for over := false; !done() && !over; {
		select {
		case <-ctx.Done(): // Ctrl-C: say what arrived and what did not, as at the deadline
			over = true
		case <-deadline.C:
			over = true // one more read: what came in the last tick counts
		case <-tick.C:
		}
		recs, err := follow.Next()
		if err != nil {
			e.p.Warn("reading the listener's capture: " + err.Error())
		}
		for _, rec := range recs {
			seen = append(seen, rec)
			// A legacy message webhook's arrival says the app uses the legacy system: await its
			// names (receipts are in both systems and say nothing).
			if !legacy && st.Registered == nil && (rec.Trigger == "before_message" || rec.Trigger == "after_message") && len(a.Main.Legacy) > 0 {
				legacy, expect, awaits = true, a.Main.Legacy, waiting()
				for _, r := range seen {
					matchArrival(e, o, awaits, r, ids, start)
				}
				continue
			}
			matchArrival(e, o, awaits, rec, ids, start)
		}
	}
	missing := 0
	for _, w := range awaits {
		if w.arrived != nil {
			continue
		}
		missing++
		causes := likelyCauses(w.trigger, a, st, seen, legacy)
		if o.json {
			render.WriteJSON(e.p.RawOut, map[string]any{"webhook": map[string]any{"trigger": w.trigger, "arrived": false, "causes": causes}})
			continue
		}
		e.p.Missing(w.trigger, o.wait, causes)
	}
	if len(awaits) == 0 {
		return failErr(fmt.Errorf("%s fires nothing that legacy webhooks send", a.Name), "it needs the current webhooks (Settings → Webhooks); comethook send plays it against your endpoint")
	}
	if missing > 0 {
		return &exitError{code: ExitFail}
	}
	return nil
}

// matchArrival marks the awaited webhook rec is, when it is one: the same trigger, and the id
// trigger's calls created (a message id, a group) when its payload has one.
func matchArrival(e *env, o *triggerOptions, awaits []*awaited, rec record.Record, ids map[string]bool, start time.Time) {
	for _, w := range awaits {
		if w.arrived != nil || !slices.Contains(webhook.Names(rec.Trigger), w.trigger) {
			continue
		}
		if len(ids) > 0 && !mentionsAny(rec.Payload, ids) && rec.Trigger != "before_message" {
			continue // someone else's event of the same kind
		}
		r := rec
		w.arrived = &r
		if at, err := time.Parse(time.RFC3339Nano, rec.ReceivedAt); err == nil {
			w.after = max(at.Sub(start), 0)
		}
		if o.json {
			render.WriteJSON(e.p.RawOut, map[string]any{"webhook": map[string]any{"trigger": w.trigger, "arrived": true,
				"afterMs": float64(w.after.Microseconds()) / 1000, "seq": rec.Seq, "outcome": rec.Outcome}})
		} else {
			e.p.Arrival(w.trigger, w.after, rec.Seq, rec.Outcome)
		}
		return
	}
}

// mentionsAny says whether the payload carries one of the ids as a JSON string or number.
func mentionsAny(payload []byte, ids map[string]bool) bool {
	for id := range ids {
		if bytes.Contains(payload, []byte(`"`+id+`"`)) || bytes.Contains(payload, []byte(`:`+id+`,`)) || bytes.Contains(payload, []byte(`:`+id+`}`)) {
			return true
		}
	}
	return false
}

// likelyCauses says why a webhook probably did not arrive, from what did arrive meanwhile.
func likelyCauses(trigger string, a cometchat.Action, st listenerState, seen []record.Record, legacy bool) []string {
	var causes []string
	refused, dropped := 0, false
	for _, r := range seen {
		if r.Response.Status == 401 {
			refused++
		}
		if r.Drop != nil && *r.Drop {
			dropped = true
		}
	}
	if refused > 0 {
		causes = append(causes, fmt.Sprintf("Basic Auth mismatch: listen refused %d deliveries with 401; the webhook's username and password must be listen's --basic-auth", refused))
	}
	if dropped && a.Name == "message_sent" {
		causes = append(causes, "your app's before_message answered do_not_propagate: CometChat dropped the message and sends nothing more for it")
	}
	if st.Registered != nil && !slices.Contains(st.Registered.Triggers, trigger) {
		causes = append(causes, fmt.Sprintf("the registered webhook %s does not have the %s trigger (listen -t)", st.Registered.ID, trigger))
	}
	switch {
	case len(seen) == 0 && st.PublicURL == "":
		causes = append(causes, "the listener has no tunnel, so CometChat cannot reach it: start comethook listen with an ngrok authtoken (and --register)")
	case len(seen) == 0 && st.Registered == nil:
		causes = append(causes, "nothing arrived at all: the webhook may be disabled, or its URL not this listener's ("+st.PublicURL+"); comethook listen --register points it here",
			"the "+trigger+" trigger may not be enabled in the webhook (dashboard → Webhooks → Triggers)")
	case len(seen) == 0:
		causes = append(causes, "nothing arrived at all: is the registered webhook "+st.Registered.ID+" still enabled? (comethook webhooks)")
	case refused == 0 && !dropped:
		causes = append(causes, "other webhooks arrived, not this one: the "+trigger+" trigger is probably not enabled in the webhook")
	}
	if legacy && trigger != "before_message" && trigger != "after_message" {
		causes = append(causes, "legacy webhooks have no "+trigger+" trigger")
	}
	return causes
}
