package cmd

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

type eventsOptions struct {
	capture  string
	last     int
	triggers []string
	outcomes []string
	json     bool
}

func (o *eventsOptions) bindCapture(c *cobra.Command) {
	c.Flags().StringVar(&o.capture, "capture", "", "capture file to read (default: the latest listen run's)")
}

func newEventsCmd(e *env) *cobra.Command {
	o := &eventsOptions{}
	c := &cobra.Command{
		Use:   "events",
		Short: "List the deliveries listen captured",
		Long: `Events lists the deliveries of the latest listen run (every run is captured to a file in
your cache directory), or of the capture file given: number, time, trigger, who → whom,
outcome. 'comethook events show N' prints one whole; 'comethook replay N' sends it again.`,
		Example: `  comethook events
  comethook events --last 20 -t 'message_*'
  comethook events --outcome failed,rejected
  comethook events show 3
  comethook events --json | jq 'select(.outcome=="failed") | .seq'`,
		Args: argsRange(0, 0),
		RunE: func(c *cobra.Command, _ []string) error { return runEvents(e, o) },
	}
	o.bindCapture(c)
	c.Flags().IntVar(&o.last, "last", 0, "only the last N deliveries")
	c.Flags().StringArrayVarP(&o.triggers, "trigger", "t", nil, "only these triggers (repeatable, globs like message_*)")
	c.Flags().StringSliceVar(&o.outcomes, "outcome", nil, "only these outcomes: "+strings.Join(outcomeNames(), ", ")+" (repeatable, or comma-separated)")
	_ = c.RegisterFlagCompletionFunc("outcome", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return outcomeNames(), cobra.ShellCompDirectiveNoFileComp
	})
	c.Flags().BoolVar(&o.json, "json", false, "print the captured records as JSON lines")
	c.AddCommand(newEventsShowCmd(e))
	return c
}

// captureFile is the file to read: the one given, or the latest run's.
func captureFile(e *env, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if st, ok := runningListener(e, func(st listenerState) bool { return st.Capture != "" }); ok {
		return st.Capture, nil // a listen running now, maybe with its own --capture FILE
	}
	dir, err := captureDir(e)
	if err != nil {
		return "", failErr(err, captureDirHint(err, "pass --capture FILE"))
	}
	p, err := history.Latest(dir)
	if errors.Is(err, history.ErrNoCaptures) {
		return "", failErr(err, "deliveries are captured while 'comethook listen' runs (unless --no-capture)")
	}
	if err != nil {
		return "", failErr(err, "")
	}
	return p, nil
}

// captureDir is where listen keeps its captures; COMETHOOK_CAPTURE_DIR overrides it. A
// directory that someone else could plant files in is refused (history.CheckDir): listen
// would write through their links, events and replay would believe their state files.
func captureDir(e *env) (string, error) {
	d := e.getenv("COMETHOOK_CAPTURE_DIR")
	if d == "" {
		var err error
		if d, err = history.Dir(); err != nil {
			return "", err
		}
	}
	if err := history.CheckDir(d); err != nil {
		return "", err
	}
	return d, nil
}

// captureDirHint is the hint for an error of captureDir: how to fix a refused directory,
// else hint.
func captureDirHint(err error, hint string) string {
	var ue *history.UnsafeError
	if !errors.As(err, &ue) || !ue.Dir {
		return hint
	}
	if ue.Writable {
		return "chmod 700 " + ue.Path + ", or set COMETHOOK_CAPTURE_DIR to a directory only you can write to"
	}
	return "set COMETHOOK_CAPTURE_DIR to a directory of your own"
}

func runEvents(e *env, o *eventsOptions) error {
	if err := checkPatterns(e.p, o.triggers); err != nil {
		return err
	}
	if o.last < 0 {
		return usageErr(errors.New("--last must be a positive number"), "")
	}
	for _, out := range o.outcomes {
		if !slices.Contains(outcomeNames(), out) {
			return usageErr(fmt.Errorf("--outcome %q: not an outcome", out), "outcomes are "+strings.Join(outcomeNames(), ", "))
		}
	}
	file, err := captureFile(e, o.capture)
	if err != nil {
		return err
	}
	// A record's printed form: its JSON line, or its row.
	var buf bytes.Buffer
	rowPrinter := e.p.WithOut(&buf)
	printed := func(r record.Record) []byte {
		buf.Reset()
		if o.json {
			_ = render.WriteJSON(&buf, r)
		} else {
			rowPrinter.RecordRow(r)
		}
		return bytes.Clone(buf.Bytes())
	}
	show := func(r record.Record) { e.p.RawOut.Write(printed(r)) }
	// Records are shown as they are read (in seq order again, through a bounded window of
	// their printed form: the capture is in the order answers were written), or, with --last,
	// the last N kept in a ring: a capture of any size is read in bounded memory.
	inOrder, flush := history.InSeqOrder(func(b []byte) error { _, err := e.p.RawOut.Write(b); return err })
	n := 0
	var ring []record.Record
	err = history.Stream(file, func(r record.Record) error {
		if !webhook.Match(o.triggers, r.Trigger) || len(o.outcomes) > 0 && !slices.Contains(o.outcomes, r.Outcome) {
			return nil
		}
		switch {
		case o.last == 0:
			_ = inOrder(r.Seq, printed(r))
		case len(ring) < o.last:
			ring = append(ring, r)
		default:
			ring[n%o.last] = r
		}
		n++
		return nil
	}, e.p.Warn)
	if err != nil {
		return failErr(err, "")
	}
	_ = flush()
	if o.last > 0 {
		slices.SortStableFunc(ring, func(a, b record.Record) int { return cmp.Compare(a.Seq, b.Seq) })
		for _, r := range ring {
			show(r)
		}
		n = len(ring)
	}
	if !o.json {
		e.p.Note(file + ": " + render.Deliveries(n))
	}
	return nil
}

// completionDeliveries is how many of the newest deliveries completion offers.
const completionDeliveries = 30

// completeDelivery offers "last" and the numbers of the newest captured deliveries, each with
// its trigger and outcome, newest first (events show N, replay N).
func completeDelivery(e *env, capture string, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	file, err := captureFile(e, capture)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var ring []cobra.Completion // the newest, in a ring: a capture of any size costs this much
	n := 0
	_ = history.Stream(file, func(r record.Record) error {
		num := strconv.FormatInt(r.Seq, 10)
		if !strings.HasPrefix(num, prefix) {
			return nil
		}
		c := cobra.CompletionWithDesc(num, strings.TrimSpace(r.Trigger+" "+r.Outcome))
		if len(ring) < completionDeliveries {
			ring = append(ring, c)
		} else {
			ring[n%completionDeliveries] = c
		}
		n++
		return nil
	}, func(string) {})
	out := []cobra.Completion{}
	if strings.HasPrefix("last", prefix) {
		out = append(out, cobra.CompletionWithDesc("last", "the newest delivery"))
	}
	for i := range ring { // newest first
		out = append(out, ring[((n-1-i)%len(ring)+len(ring))%len(ring)])
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// outcomeNames are the outcome words, in the vocabulary's order.
func outcomeNames() []string {
	var names []string
	for _, o := range simulate.Outcomes() {
		names = append(names, string(o))
	}
	return names
}

// checkPatterns rejects -t patterns that path.Match cannot use.
func checkPatterns(p *render.Printer, patterns []string) error {
	for _, pat := range patterns {
		if _, err := path.Match(pat, ""); err != nil {
			return usageErr(fmt.Errorf("-t %q: bad pattern", pat), "patterns are trigger names with * and ? (message_*)")
		}
	}
	// A typo would otherwise filter everything out in silence. A warning, not an error:
	// a trigger newer than this catalogue is still matched.
	for _, pat := range patterns {
		if !webhook.MatchesKnown(pat) {
			msg := fmt.Sprintf("-t %q matches no trigger CometChat sends", pat)
			if s := webhook.Suggest(pat); len(s) > 0 {
				msg += ": did you mean " + strings.Join(s, ", ") + "?"
			}
			p.Warn(msg)
		}
	}
	return nil
}

func newEventsShowCmd(e *env) *cobra.Command {
	o := &eventsOptions{}
	c := &cobra.Command{
		Use:     "show <seq|last>",
		Short:   "Print one captured delivery whole: headers, payload, answer",
		Example: "  comethook events show 3\n  comethook events show last --json",
		Args:    argsRange(1, 1),
		ValidArgsFunction: func(c *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return completeDelivery(e, o.capture, args, prefix)
		},
		RunE: func(c *cobra.Command, args []string) error {
			rec, err := findRecord(e, o.capture, args[0])
			if err != nil {
				return err
			}
			if o.json {
				return render.WriteJSON(e.p.RawOut, rec)
			}
			e.p.RecordDetail(rec)
			return nil
		},
	}
	o.bindCapture(c)
	c.Flags().BoolVar(&o.json, "json", false, "print the captured record as JSON")
	return c
}

// findRecord reads delivery "N" or "last" from the capture file.
func findRecord(e *env, capture, which string) (record.Record, error) {
	file, err := captureFile(e, capture)
	if err != nil {
		return record.Record{}, err
	}
	var rec record.Record
	var warnings []string
	if which == "last" {
		found := false
		err = history.Stream(file, func(r record.Record) error { rec, found = r, true; return nil }, e.p.Warn)
		if err == nil && !found {
			err = fmt.Errorf("%s has no deliveries yet", file)
		}
	} else {
		seq, perr := strconv.ParseInt(which, 10, 64)
		if perr != nil || seq < 1 {
			return rec, usageErr(fmt.Errorf("%q is not a delivery number: want N (as shown by comethook events) or last", which), "")
		}
		rec, warnings, err = history.Find(file, seq)
	}
	for _, w := range warnings {
		e.p.Warn(w)
	}
	if err != nil {
		hint := "run 'comethook events' to list them"
		if errors.Is(err, fs.ErrNotExist) {
			hint = "" // the file itself is missing: listing it would fail the same way
		}
		return rec, failErr(err, hint)
	}
	return rec, nil
}
