package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

type replayOptions struct {
	send     sendOptions
	capture  string
	fresh    bool
	freshIDs bool
	all      bool
	triggers []string
}

func newReplayCmd(e *env) *cobra.Command {
	o := &replayOptions{}
	c := &cobra.Command{
		Use:   "replay <seq|last> | --all [-t trigger]",
		Short: "Send a captured delivery again",
		Long: `Replay resends a delivery that listen captured, byte for byte (or changed with --set, with
--fresh timestamps, with --fresh-ids as a new event), to --to: by default the running listener's --forward-to app. The output,
JSON record and exit codes are those of 'comethook send'. --all replays every captured
delivery (of the triggers given with -t) in order.`,
		Example: `  comethook replay last
  comethook replay 3 --to 3000/webhooks
  comethook replay 3 --set 'data.data.text=edited' --fresh
  comethook replay --all -t message_sent --to 3000`,
		ValidArgsFunction: func(c *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return completeDelivery(e, o.capture, args, prefix)
		},
		Args: func(c *cobra.Command, args []string) error {
			if o.all {
				return argsRange(0, 0)(c, args)
			}
			return argsRange(1, 1)(c, args)
		},
		RunE: func(c *cobra.Command, args []string) error { return runReplay(c.Context(), e, o, args) },
	}
	o.send.bindDelivery(c)
	fl := c.Flags()
	fl.StringVar(&o.capture, "capture", "", "capture file to read (default: the latest listen run's)")
	fl.BoolVar(&o.fresh, "fresh", false, "move the payload's timestamps to now (default: as captured)")
	fl.BoolVar(&o.freshIDs, "fresh-ids", false, "give the event new ids, so that it is a new event (default: as captured: a redelivery)")
	fl.BoolVar(&o.all, "all", false, "replay every captured delivery, in order (with -t: those triggers)")
	fl.StringArrayVarP(&o.triggers, "trigger", "t", nil, "with --all: only these triggers (repeatable, globs)")
	return c
}

func runReplay(ctx context.Context, e *env, o *replayOptions, args []string) error {
	if !o.all && len(o.triggers) > 0 {
		return usageErr(errors.New("-t selects deliveries for --all"), "")
	}
	if err := checkPatterns(e.p, o.triggers); err != nil {
		return err
	}
	o.send.count, o.send.concurrency = 1, 1
	o.send.keepTimestamps = !o.fresh
	o.send.keepIDs = !o.freshIDs // a replay is a redelivery of the same event
	// Without a target, each delivery goes to the running listener's app, at the path
	// listen forwarded it to, or, when no listener forwards, to the newest listener itself:
	// on this machine only. A state file is no proof of who wrote it, and replay sends
	// captured chat with the Basic Auth header; another host has to be named with --to.
	forwardTo, listenerURL := "", ""
	if o.send.to == "" && e.getenv("COMETHOOK_URL") == "" {
		st, ok := runningListener(e, func(st listenerState) bool {
			if st.ForwardTo == "" || st.localURL() == "" {
				return false
			}
			if !loopbackURL(st.ForwardTo) {
				e.p.Warn(fmt.Sprintf("ignoring %s: it names %s, not this machine, as the app to replay to (pass --to to replay there)",
					st.file, render.SafeURL(st.ForwardTo)))
				return false
			}
			return true
		})
		if ok {
			forwardTo = st.ForwardTo
		} else if st, ok = runningListener(e, func(st listenerState) bool { return st.ForwardTo == "" && st.localURL() != "" }); ok {
			listenerURL = st.localURL()
			if o.send.basicAuth == "" && e.getenv("COMETHOOK_BASIC_AUTH") == "" {
				o.send.basicAuth = st.RunAuth // what listen --register made for its run
			}
		}
		if !ok {
			if _, err := captureDir(e); errors.As(err, new(*history.UnsafeError)) { // why none was found
				return failErr(err, captureDirHint(err, ""))
			}
			return usageErr(errors.New("no endpoint to replay to"),
				"pass --to URL (or set COMETHOOK_URL); a running 'comethook listen' is used when there is one")
		}
		e.p.Note("→ " + st.describe())
	}
	var recs []record.Record
	if o.all {
		file, err := captureFile(e, o.capture)
		if err != nil {
			return err
		}
		skipped, total := 0, 0
		warnings, err := history.Scan(file, func(r record.Record) error {
			total++
			if !webhook.Match(o.triggers, r.Trigger) {
				return nil
			}
			if string(r.Payload) == "null" || len(r.Payload) == 0 {
				skipped++ // rejected, or not JSON: nothing CometChat would send
				return nil
			}
			recs = append(recs, r)
			return nil
		})
		if skipped > 0 {
			e.p.Note(fmt.Sprintf("skipping %s captured without a JSON payload (rejected, or not JSON)", render.Deliveries(skipped)))
		}
		// The file is in the order deliveries were answered; replay them in the order they came.
		slices.SortStableFunc(recs, func(a, b record.Record) int { return cmp.Compare(a.Seq, b.Seq) })
		for _, w := range warnings {
			e.p.Warn(w)
		}
		if err != nil {
			return failErr(err, "")
		}
		if len(recs) == 0 {
			if len(o.triggers) > 0 && total > skipped {
				return failErr(fmt.Errorf("none of the %s in %s matches -t %s", render.Deliveries(total), file, strings.Join(o.triggers, ", ")),
					"'comethook events --capture "+file+"' lists their triggers")
			}
			return failErr(fmt.Errorf("no captured deliveries to replay in %s", file), "")
		}
	} else {
		rec, err := findRecord(e, o.capture, args[0])
		if err != nil {
			return err
		}
		recs = append(recs, rec)
	}
	failed := 0
	outcomes := map[simulate.Outcome]int{}
	o.send.onOutcome = func(out simulate.Outcome) { outcomes[out]++ }
	for _, rec := range recs {
		o.send.replayOf = rec.Seq
		raw := rec.RawBody()
		switch {
		case raw == nil:
			return usageErr(fmt.Errorf("delivery #%d has no body to replay (it was rejected before its body was read)", rec.Seq), "")
		case string(rec.Payload) == "null":
			return usageErr(fmt.Errorf("delivery #%d is not a JSON webhook, so it cannot be replayed as one", rec.Seq),
				"'comethook events show "+strconv.FormatInt(rec.Seq, 10)+"' shows what arrived")
		}
		if target := cmp.Or(forwardTo, listenerURL); target != "" { // at the path it arrived at
			tg, err := receiver.ParseTarget(target)
			if err != nil {
				return failErr(fmt.Errorf("the running listener's URL: %w", err), "")
			}
			o.send.to = tg.For(rec.Path, rec.Query)
		}
		trig, _ := webhook.Lookup(rec.Trigger, "")
		if err := sendPayload(ctx, e, &o.send, trig, raw, fmt.Sprintf("captured delivery #%d", rec.Seq)); err != nil {
			var xe *exitError
			if !errors.As(err, &xe) || xe.code != ExitFail || xe.err != nil {
				return err
			}
			failed++
		}
	}
	if len(recs) > 1 { // a summary, as send --count ends with one
		e.p.Say("Replayed %s: %s.", render.Deliveries(len(recs)), render.OutcomeWords(outcomes))
	}
	if failed > 0 {
		return silentFail()
	}
	return nil
}
