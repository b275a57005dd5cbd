package cmd

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// runScenario sends a scenario's webhooks one after the other, like CometChat would: one
// set of fresh ids for the whole chain, times one second apart ending now. Every step is
// reported like a send; the exit status is the worst step's.
func runScenario(ctx context.Context, e *env, o *sendOptions, changed func(string) bool) error {
	if o.scenario == "list" {
		return listScenarios(e)
	}
	for _, f := range []string{"count", "concurrency", "rate", "retry", "variant", "legacy"} {
		if changed(f) {
			return usageErr(fmt.Errorf("--%s cannot be used with --scenario", f), "a scenario sends each of its webhooks once")
		}
	}
	var sys fixtures.System
	switch o.system {
	case "":
	case "legacy", "v2":
		sys = fixtures.System(o.system)
	default:
		return usageErr(fmt.Errorf("invalid --system %q: want legacy or v2", o.system), "")
	}
	sc, err := fixtures.FindScenario(o.scenario, sys)
	if err != nil {
		return usageErr(err, "comethook send --scenario list describes them")
	}
	sets, req, rules, err := o.deliveryInputs(e)
	if err != nil {
		return err
	}
	steps := sc.Steps(sys)
	client := e.client(o.insecure, 1)
	ids := simulate.NewIDs()
	now := e.now()
	counts := map[simulate.Outcome]int{}
	failed := false
	for i, st := range steps {
		if ctx.Err() != nil {
			break
		}
		trig, ok := webhook.Lookup(st.Trigger, string(st.System))
		if !ok {
			return failErr(fmt.Errorf("scenario %s: unknown trigger %s", sc.Name, st.Trigger), "")
		}
		raw, err := fixtures.Load(st.Fixture)
		if err != nil {
			return failErr(err, "")
		}
		payload, err := fixtures.Parse(st.Fixture.Trigger, raw)
		if err != nil {
			return failErr(err, "")
		}
		// The notes of a before_message made from a sent message (the id removed) are what
		// the scenario means: not worth a warning.
		tmpl, _, err := simulate.Prepare(payload, simulate.BuildOptions{
			Trigger: trig, WebhookID: o.webhookID, AppID: o.appID, Sets: sets,
			KeepTimestamps: o.keepTimestamps, KeepIDs: o.keepIDs, Raw: raw,
		})
		if err != nil {
			return usageErr(err, "")
		}
		body, err := tmpl.BodyWith(now.Add(time.Duration(i-len(steps)+1)*time.Second), ids)
		if err != nil {
			return failErr(err, "")
		}
		req.Body = body
		ev, err := webhook.Parse(body)
		if err != nil {
			ev = webhook.FromPayload(tmpl.Payload())
		}
		r := sendReport(ev, req, simulate.Deliver(ctx, client, req), rules, nil)
		r.Scenario, r.Step, r.Steps = sc.Name, i+1, len(steps)
		if o.json {
			_ = render.WriteJSON(e.p.RawOut, render.NewSendRecord(r))
		} else {
			e.p.Send(r)
		}
		counts[r.Verdict.Outcome]++
		failed = failed || r.Verdict.Outcome == simulate.Failed
	}
	if !o.json {
		e.p.Say("Scenario %s (%s): %d webhooks: %s.", sc.Name, systemName(sc, sys), len(steps), render.OutcomeWords(counts))
	}
	if failed {
		return silentFail()
	}
	return nil
}

func systemName(sc fixtures.Scenario, sys fixtures.System) string {
	if sys == "" {
		sys = sc.Systems[0]
	}
	return string(sys)
}

// listScenarios describes each scenario and its webhooks.
func listScenarios(e *env) error {
	tw := tabwriter.NewWriter(e.p.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tSYSTEM\tWEBHOOKS, IN ORDER")
	for _, sc := range fixtures.Scenarios() {
		for i, sys := range sc.Systems {
			name := sc.Name
			label := string(sys)
			if len(sc.Systems) > 1 {
				if i == 0 {
					label += " (default)"
				} else {
					label = "--system " + label
				}
			}
			var names []string
			for _, st := range sc.Steps(sys) {
				names = append(names, st.Trigger)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", name, label, strings.Join(names, " → "))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, sc := range fixtures.Scenarios() {
		fmt.Fprintf(e.p.Out, "%s: %s\n", sc.Name, sc.Description)
	}
	return nil
}

// parseSets reads --set flags.
func parseSets(raw []string) ([]simulate.Set, error) {
	sets := make([]simulate.Set, 0, len(raw))
	for _, s := range raw {
		set, err := simulate.ParseSet(s)
		if err != nil {
			return nil, usageErr(err, "")
		}
		sets = append(sets, set)
	}
	return sets, nil
}
