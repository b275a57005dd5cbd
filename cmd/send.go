package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

type sendOptions struct {
	trigger, file  string
	to             string
	basicAuth      string
	headers        []string
	timeout        time.Duration
	insecure       bool
	sets           []string
	keepTimestamps bool
	keepIDs        bool
	webhookID      string
	appID          string
	legacy         bool
	variant        string
	json           bool
	count          int
	concurrency    int
	rate           float64
	retry          bool
	retryDelays    []time.Duration
	rules          rulesFlags
	scenario       string
	system         string
	// Set by replay, per delivery: the captured delivery this send replays (its record's
	// replayOf, the "#N" of its lines), and where its outcome is counted.
	replayOf  int64
	onOutcome func(simulate.Outcome)
}

// rulesFlags are the before_message assumptions, as flags.
type rulesFlags struct {
	emptyObject, onInvalid, onError, onTimeout string
}

func (f *rulesFlags) bind(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.emptyObject, "empty-object", "inject", "before_message: what CometChat does with a {} answer: inject or skip [assumption]")
	fl.StringVar(&f.onInvalid, "on-invalid", "deliver", "before_message: fate of the message when the answer is not a JSON object: deliver or drop [assumption]")
	fl.StringVar(&f.onError, "on-error", "deliver", "before_message: fate of the message on a non-2xx answer or connection error: deliver or drop [assumption]")
	fl.StringVar(&f.onTimeout, "on-timeout", "deliver", "before_message: fate of the message when the answer is too late: deliver or drop [assumption]")
}

func (f rulesFlags) rules() (simulate.Rules, error) {
	r := simulate.DefaultRules()
	pick := func(flag, val, a, b string) (bool, error) {
		switch val {
		case a:
			return false, nil
		case b:
			return true, nil
		}
		return false, fmt.Errorf("invalid --%s %q: want %s or %s", flag, val, a, b)
	}
	var err error
	var skip bool
	if skip, err = pick("empty-object", f.emptyObject, "inject", "skip"); err != nil {
		return r, err
	}
	r.InjectEmpty = !skip
	if r.DropInvalid, err = pick("on-invalid", f.onInvalid, "deliver", "drop"); err != nil {
		return r, err
	}
	if r.DropOnError, err = pick("on-error", f.onError, "deliver", "drop"); err != nil {
		return r, err
	}
	if r.DropTimeout, err = pick("on-timeout", f.onTimeout, "deliver", "drop"); err != nil {
		return r, err
	}
	return r, nil
}

func newSendCmd(e *env) *cobra.Command {
	o := &sendOptions{}
	c := &cobra.Command{
		Use:   "send <trigger> [fixture.json | -] | --scenario NAME",
		Short: "Send a webhook to an endpoint the way CometChat does",
		Long: `Send plays CometChat's part: it posts the bundled payload of a trigger (or your own
fixture file, or stdin with -) to an endpoint, with fresh timestamps, and shows the answer.
For before_message it shows what CometChat would do with the answer: inject it into the
message's metadata, drop the message, or deliver it unchanged.

Exit status: 0 when the endpoint answered 2xx, 1 when the delivery failed, 2 for usage errors.`,
		Example: `  comethook send before_message --to http://localhost:3000/webhooks
  comethook send after_message my-capture.json --to :3000/webhooks --basic-auth @webhook.auth
  comethook send before_message - --to $URL --set data.data.text="spam link" --json < event.json
  comethook send message_sent --to 3000 --count 1000 --concurrency 20
  comethook send message_read_receipt --legacy --to 3000/hooks
  comethook send message_sent --variant image --to 3000/webhooks
  comethook send --scenario conversation --to 3000/webhooks`,
		Args: func(c *cobra.Command, args []string) error {
			if o.scenario != "" {
				return argsRange(0, 0)(c, args)
			}
			return argsRange(1, 2)(c, args)
		},
		ValidArgsFunction: completeTrigger,
		RunE: func(c *cobra.Command, args []string) error {
			if o.scenario != "" {
				return runScenario(c.Context(), e, o, c.Flags().Changed)
			}
			o.trigger = args[0]
			if len(args) > 1 {
				o.file = args[1]
			}
			return runSend(c.Context(), e, o)
		},
	}
	o.bindDelivery(c)
	fl := c.Flags()
	fl.BoolVar(&o.keepTimestamps, "keep-timestamps", false, "send the fixture's timestamps as they are instead of now")
	fl.BoolVar(&o.keepIDs, "keep-ids", false, "send the fixture's ids as they are (default: every send, and every request of --count, is a new event with new ids)")
	fl.BoolVar(&o.legacy, "legacy", false, "use the Legacy Webhooks payload where a trigger exists in both systems")
	fl.StringVar(&o.variant, "variant", "", "another shape of the trigger's bundled payload, or a kind of message: image, video, audio, file, custom, thread, mention, metadata (see comethook fixtures)")
	_ = c.RegisterFlagCompletionFunc("variant", completeVariant)
	fl.IntVarP(&o.count, "count", "n", 1, "send the payload this many times (fresh timestamps each) and summarise")
	fl.IntVarP(&o.concurrency, "concurrency", "c", 1, "workers sending at once with --count")
	fl.Float64Var(&o.rate, "rate", 0, "with --count: send at this many requests per second (default: as fast as the workers go)")
	fl.StringVar(&o.scenario, "scenario", "", "send a realistic chain of webhooks with the same ids and increasing times: conversation, group, call (list: describe them)")
	fl.StringVar(&o.system, "system", "", "with --scenario: the webhook system, legacy or v2 (default: v2 where both exist)")
	_ = c.RegisterFlagCompletionFunc("scenario", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		out := []cobra.Completion{"list"}
		for _, s := range fixtures.Scenarios() {
			out = append(out, cobra.CompletionWithDesc(s.Name, s.Description))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return c
}

// bindDelivery binds the flags every command that delivers webhooks shares (send, replay).
func (o *sendOptions) bindDelivery(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&o.to, "to", "", "endpoint URL (or $COMETHOOK_URL, else the running listen); 3000, :3000/path and /path mean localhost")
	fl.StringVar(&o.basicAuth, "basic-auth", "", "send Authorization: Basic: "+basicAuthHelp)
	fl.StringArrayVarP(&o.headers, "header", "H", nil, `extra request header "Key: Value" (repeatable)`)
	fl.DurationVar(&o.timeout, "timeout", simulate.Budget, "give up waiting for the answer after this long (CometChat's budget is 2s)")
	fl.BoolVar(&o.insecure, "insecure", false, "accept self-signed TLS certificates (local HTTPS)")
	fl.StringArrayVar(&o.sets, "set", nil, "set a field: path=value, value as JSON when valid JSON else a string (repeatable)")
	fl.StringVar(&o.webhookID, "webhook-id", "", `set the payload's "webhook" (the webhook's id in the dashboard)`)
	fl.StringVar(&o.appID, "app-id", "", `set the payload's "appId"`)
	fl.BoolVar(&o.json, "json", false, "print the JSON record instead of the report")
	fl.BoolVar(&o.retry, "retry", false, "retry like CometChat's retryOnFailure: again after 10s, then 30s")
	fl.DurationSliceVar(&o.retryDelays, "retry-delays", []time.Duration{10 * time.Second, 30 * time.Second}, "waits between attempts with --retry")
	o.rules.bind(c)
}

func runSend(ctx context.Context, e *env, o *sendOptions) error {
	trig, ok := webhook.Lookup(o.trigger, systemFlag(o.legacy))
	if !ok {
		return unknownTrigger(o.trigger, o.legacy)
	}
	if o.file == "-" && o.basicAuth == "-" {
		return usageErr(errors.New("the fixture and --basic-auth cannot both come from stdin"), "pass --basic-auth @FILE, or set COMETHOOK_BASIC_AUTH")
	}
	if o.variant != "" && o.file != "" {
		return usageErr(errors.New("--variant picks a bundled payload: it cannot be used with a fixture file"), "")
	}
	noteOtherName(e, o.trigger, trig)
	raw, name, err := readFixture(e, o.file, trig.Name, fixtureChoice{legacy: o.legacy, variant: o.variant})
	if err != nil {
		return err
	}
	return sendPayload(ctx, e, o, trig, raw, name)
}

// sendPayload delivers one fixture (raw, named name in errors) as trig, with everything
// send's flags ask for: overrides, load, retries, and the report. replay shares it.
func sendPayload(ctx context.Context, e *env, o *sendOptions, trig webhook.Trigger, raw []byte, name string) error {
	payload, err := fixtures.Parse(name, raw)
	if err != nil {
		return usageErr(err, "")
	}
	sets, req, rules, err := o.deliveryInputs(e)
	if err != nil {
		return err
	}
	if o.count < 1 || o.concurrency < 1 {
		return usageErr(errors.New("--count and --concurrency must be at least 1"), "")
	}
	if o.rate < 0 {
		return usageErr(errors.New("--rate cannot be negative"), "")
	}
	if o.count == 1 && (o.rate > 0 || o.concurrency > 1) {
		return usageErr(errors.New("--rate and --concurrency shape a load: use them with --count N"), "")
	}
	if o.count > 1 && o.retry {
		return usageErr(errors.New("--retry and --count cannot be used together"), "")
	}
	tmpl, notes, err := simulate.Prepare(payload, simulate.BuildOptions{
		Trigger: trig, WebhookID: o.webhookID, AppID: o.appID, Sets: sets,
		KeepTimestamps: o.keepTimestamps, KeepIDs: o.keepIDs, Raw: raw,
	})
	if err != nil {
		return usageErr(err, "")
	}
	client := e.client(o.insecure, o.concurrency)
	if o.count > 1 {
		return sendMany(ctx, e, o, tmpl, req, rules, client, notes)
	}
	body, err := tmpl.Body(e.now())
	if err != nil {
		return failErr(err, "")
	}
	req.Body = body
	ev, err := webhook.Parse(body) // what was sent: its fresh ids and times
	if err != nil {
		ev = webhook.FromPayload(tmpl.Payload())
	}
	report := func(a simulate.Attempt, of int) simulate.Verdict {
		r := sendReport(ev, req, a.Response, rules, notes)
		r.ReplayOf = o.replayOf
		if of > 1 {
			r.Attempt, r.Of = a.N, of
		}
		if o.json {
			_ = render.WriteJSON(e.p.RawOut, render.NewSendRecord(r))
		} else {
			e.p.Send(r)
		}
		return r.Verdict
	}
	var last simulate.Verdict
	if o.retry {
		delays := o.retryDelays
		simulate.DeliverRetrying(ctx, client, req, delays, e.sleep, func(a simulate.Attempt) {
			last = report(a, len(delays)+1)
			if !a.Response.OK() && a.N <= len(delays) && !o.json {
				e.p.Note(fmt.Sprintf("retrying in %s (CometChat's retryOnFailure schedule)", delays[a.N-1]))
			}
		})
	} else {
		last = report(simulate.Attempt{N: 1, Response: simulate.Deliver(ctx, client, req)}, 1)
	}
	if o.onOutcome != nil {
		o.onOutcome(last.Outcome)
	}
	if last.Outcome == simulate.Failed {
		return silentFail()
	}
	return nil
}

func sendReport(ev *webhook.Event, req simulate.Request, resp simulate.Response, rules simulate.Rules, notes []string) render.SendReport {
	v := simulate.Apply(ev, resp, rules)
	r := render.SendReport{
		Event: ev, URL: req.URL, Body: req.Body, Header: simulate.RequestHeaders(req),
		Response: resp, Verdict: v,
		Warnings: append(append([]string{}, notes...), v.Warnings...),
	}
	if resp.Err != nil {
		r.Error = simulate.Explain(resp.Err, req.URL, req.Timeout)
	} else if v.Outcome == simulate.Failed {
		r.Error = v.Reason
	}
	if resp.Status == http.StatusUnauthorized && req.BasicAuth == "" && req.Header.Get("Authorization") == "" {
		r.Hints = append(r.Hints, "the endpoint wants credentials. CometChat sends Basic Auth (the username and password of "+
			"the webhook in the dashboard) and no signature header: it documents no x-cometchat-signature or HMAC. "+
			"Pass --basic-auth @FILE holding user:pass (or set COMETHOOK_BASIC_AUTH), or -H 'Name: value' for a header your endpoint checks")
	}
	if webhook.IsSync(ev.Trigger) {
		msg, warn := simulate.FinalMessage(ev, v)
		r.Message = msg
		if warn != "" {
			r.Warnings = append(r.Warnings, warn)
		}
	}
	return r
}

func sendMany(ctx context.Context, e *env, o *sendOptions, tmpl *simulate.Template, req simulate.Request,
	rules simulate.Rules, client *http.Client, notes []string) error {
	for _, n := range notes {
		e.p.Warn(n)
	}
	load := simulate.Load{Count: o.count, Concurrency: o.concurrency, Template: tmpl, Request: req, Rules: rules, Now: e.now, Insecure: o.insecure, Rate: o.rate}
	if e.streams.ErrTTY && !o.json {
		var last time.Time
		load.Progress = func(done, failed int64) {
			if now := time.Now(); now.Sub(last) > 100*time.Millisecond || done == int64(o.count) {
				last = now
				e.p.Progress(done, failed, o.count)
			}
		}
	}
	sum := simulate.DeliverMany(ctx, client, load)
	rec := render.NewLoadRecord(webhook.FromPayload(tmpl.Payload()).Trigger, req.URL, sum)
	if o.json {
		_ = render.WriteJSON(e.p.RawOut, rec)
	} else {
		e.p.Load(rec)
	}
	if sum.Failed > 0 || sum.Count < o.count {
		return silentFail()
	}
	return nil
}

// deliveryInputs reads what every delivery of send (a payload, a load, a scenario) needs
// from its flags: the --set overrides, the request, the before_message rules.
func (o *sendOptions) deliveryInputs(e *env) ([]simulate.Set, simulate.Request, simulate.Rules, error) {
	sets, err := parseSets(o.sets)
	if err != nil {
		return nil, simulate.Request{}, simulate.Rules{}, err
	}
	req, err := deliveryRequest(e, o.to, o.basicAuth, o.headers, o.timeout)
	if err != nil {
		return nil, req, simulate.Rules{}, err
	}
	rules, err := o.rules.rules()
	if err != nil {
		return nil, req, rules, usageErr(err, "")
	}
	return sets, req, rules, nil
}

// deliveryRequest reads the flags every command that posts webhooks shares.
func deliveryRequest(e *env, to, basicAuth string, headers []string, timeout time.Duration) (simulate.Request, error) {
	var req simulate.Request
	if to == "" {
		to = e.getenv("COMETHOOK_URL")
	}
	runAuth := ""
	if to == "" { // the listener running on this machine, the newest: said, never silent
		if st, ok := runningListener(e, func(st listenerState) bool { return st.localURL() != "" }); ok {
			to, runAuth = st.localURL(), st.RunAuth
			e.p.Note("→ " + st.describe())
		}
	}
	if to == "" {
		return req, usageErr(errors.New("no endpoint to send to"),
			"pass --to http://localhost:3000/webhooks (or just --to 3000/webhooks), set COMETHOOK_URL, or start 'comethook listen'")
	}
	u, err := simulate.ParseTarget(to)
	if err != nil {
		return req, usageErr(fmt.Errorf("--to: %w", err), "")
	}
	basicAuth, err = resolveBasicAuth(e, basicAuth)
	if err != nil {
		return req, err
	}
	if basicAuth == "" {
		basicAuth = runAuth // the credentials listen --register made for its run
	}
	h := http.Header{}
	for _, kv := range headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return req, usageErr(fmt.Errorf("-H %q: want \"Key: Value\"", kv), "")
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if timeout < 0 {
		return req, usageErr(errors.New("--timeout cannot be negative"), "")
	}
	return simulate.Request{URL: u, BasicAuth: basicAuth, Header: h, Timeout: timeout, UserAgent: e.userAgent()}, nil
}

// readFixture returns the fixture's bytes and the name to use in errors: a file, stdin
// ("-"), or the bundled fixture of the trigger.
func readFixture(e *env, file, trigger string, choice fixtureChoice) ([]byte, string, error) {
	switch file {
	case "":
		key, ok := fixtures.ResolveVariant(trigger, systemOf(choice.legacy), choice.variant)
		if !ok {
			if choice.variant != "" {
				hint := trigger + " has no variants"
				if vs := fixtures.Variants(trigger, systemOf(choice.legacy)); len(vs) > 0 {
					hint = "its variants: " + strings.Join(vs, ", ")
				}
				return nil, "", usageErr(fmt.Errorf("no bundled %s fixture with --variant %s", trigger, choice.variant), hint)
			}
			return nil, "", usageErr(fmt.Errorf("no bundled fixture for %s%s", trigger, map[bool]string{true: " (legacy)"}[choice.legacy]),
				"pass a fixture file: comethook send "+trigger+" my-event.json")
		}
		b, err := fixtures.Load(key)
		return b, "bundled " + string(key.System) + "/" + key.Trigger + ".json", err
	case "-":
		b, err := io.ReadAll(io.LimitReader(e.streams.In, maxFixture+1))
		if err != nil {
			return nil, "", usageErr(fmt.Errorf("reading stdin: %w", err), "")
		}
		if len(b) > maxFixture {
			return nil, "", usageErr(fmt.Errorf("stdin: fixture larger than %d MiB", maxFixture>>20), "")
		}
		return b, "stdin", nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, "", usageErr(fmt.Errorf("cannot read fixture: %w", err), "")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFixture+1))
	if err != nil {
		return nil, "", usageErr(fmt.Errorf("cannot read fixture %s: %w", file, err), "")
	}
	if len(b) > maxFixture {
		return nil, "", usageErr(fmt.Errorf("%s: fixture larger than %d MiB", file, maxFixture>>20), "")
	}
	return b, file, nil
}

// fixtureChoice picks among a trigger's bundled fixtures.
type fixtureChoice struct {
	legacy  bool
	variant string
}

// maxFixture bounds what send reads: CometChat messages are at most 64 KiB.
const maxFixture = 16 << 20

func systemOf(legacy bool) fixtures.System {
	if legacy {
		return fixtures.Legacy
	}
	return ""
}

func systemFlag(legacy bool) string {
	if legacy {
		return webhook.Legacy
	}
	return ""
}

func unknownTrigger(name string, legacy bool) error {
	if legacy {
		if _, ok := webhook.Lookup(name, ""); ok {
			return usageErr(fmt.Errorf("%s is not a Legacy Webhooks trigger", name), "drop --legacy")
		}
	}
	hint := "run 'comethook fixtures' to list the triggers"
	if s := webhook.Suggest(name); len(s) > 0 {
		hint = "did you mean " + strings.Join(s, ", ") + "? (" + hint + ")"
	}
	return usageErr(fmt.Errorf("unknown trigger %q", name), hint)
}

// completeTrigger completes trigger names for the first argument and files for the second.
func completeTrigger(c *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		if c.Name() == "send" && len(args) == 1 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	seen := map[string]bool{}
	for _, t := range webhook.Catalogue() {
		if seen[t.Name] || !strings.HasPrefix(t.Name, prefix) {
			continue
		}
		seen[t.Name] = true
		def, _ := webhook.Lookup(t.Name, "")
		out = append(out, cobra.CompletionWithDesc(t.Name, def.Description))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// noteOtherName says once which name is which when the user named a trigger by its other
// name: the dashboard's, or the one its payloads carry.
func noteOtherName(e *env, typed string, t webhook.Trigger) {
	if t.PayloadName == "" {
		return
	}
	if typed == t.PayloadName {
		e.p.Note(fmt.Sprintf("%s is what the payload says; the dashboard calls this trigger %s", t.PayloadName, t.Name))
	}
}

// userAgent is the User-Agent of every request comethook sends as CometChat.
func (e *env) userAgent() string { return "comethook/" + strings.TrimPrefix(e.build.Version, "v") }

func newHTTPClient(insecure bool, conc int) *http.Client { return simulate.NewClient(insecure, conc) }
