package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

func newFixturesCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "fixtures",
		Short: "List the bundled payload of every trigger",
		Long: `Fixtures lists the triggers comethook has a realistic payload for, with the webhook
system each belongs to: "legacy" (Dashboard → Settings → Legacy Webhooks) or "v2"
(Settings → Webhooks). Where a trigger exists in both, v2 is the default and --legacy
picks the other. Message triggers take a kind of message with --variant: image, video,
audio, file (attachments), custom (customData), thread (a reply), mention, metadata (and tags).`,
		Example: `  comethook fixtures
  comethook fixtures show before_message
  comethook fixtures show message_sent --variant image
  comethook fixtures show message_read_receipt --legacy > receipt.json`,
		Args: argsRange(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			return runFixturesList(e, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON lines")
	c.AddCommand(newFixturesShowCmd(e))
	return c
}

func runFixturesList(e *env, asJSON bool) error {
	type row struct {
		Trigger     string `json:"trigger"`
		System      string `json:"system"`
		Variant     string `json:"variant,omitempty"`
		Category    string `json:"category"`
		Default     bool   `json:"default"` // what send picks for this trigger name without --legacy/--variant
		Description string `json:"description"`
		// Dedup is the deduplication key's paths (with webhook and trigger); DedupInferred
		// says the key is comethook's heuristic, not CometChat's documented one.
		Dedup         []string `json:"dedup,omitempty"`
		DedupInferred bool     `json:"dedupInferred,omitempty"`
		Unverified    bool     `json:"unverified,omitempty"`
		// Kinds are the message kinds this fixture's message can be made (--variant image…).
		Kinds  []string `json:"kinds,omitempty"`
		shared bool     // the trigger has other payloads: the list marks the default
	}
	byCategory := map[string][]row{}
	for _, k := range fixtures.Keys() {
		t, _ := webhook.Lookup(k.Trigger, string(k.System))
		def, _ := fixtures.Resolve(k.Trigger, "")
		shared := len(fixtures.Systems(k.Trigger)) > 1 || len(fixtures.Variants(k.Trigger, k.System)) > 0
		byCategory[t.Category] = append(byCategory[t.Category], row{Trigger: k.Trigger, System: string(k.System),
			Variant: k.Variant, Category: t.Category, Default: def == k, Description: t.Description,
			shared: shared, Kinds: kindsOf(k),
			Dedup: t.Dedup, DedupInferred: t.DedupInferred, Unverified: t.Unverified})
	}
	if asJSON {
		for _, c := range webhook.Categories {
			for _, r := range byCategory[c] {
				_ = render.WriteJSON(e.p.RawOut, r)
			}
		}
		return nil
	}
	// Three columns; the last one is wrapped at words to the terminal's width (piped output
	// stays whole, one line per fixture).
	var table [][3]string
	table = append(table, [3]string{"TRIGGER", "SYSTEM", "DESCRIPTION"})
	for _, c := range webhook.Categories {
		if len(byCategory[c]) == 0 {
			continue
		}
		table = append(table, [3]string{}, [3]string{strings.ToUpper(c)})
		for _, r := range byCategory[c] {
			sys := r.System
			if r.Variant != "" {
				sys += " --variant " + r.Variant
			}
			if r.Default && r.shared {
				sys += " (default)"
			}
			table = append(table, [3]string{r.Trigger, sys, r.Description})
			if len(r.Kinds) > 0 {
				table = append(table, [3]string{"", "", "  --variant " + strings.Join(r.Kinds, ", ")})
			}
		}
	}
	writeColumns(e.p.Out, table, e.p.Width)
	fmt.Fprintln(e.p.Out, render.WrapWords("\nlegacy: Dashboard → Settings → Legacy Webhooks; v2: Settings → Webhooks. Where both have a trigger, v2 is the default (--legacy for the other).", render.Cells(e.p.Width), 0, ""))
	return nil
}

// writeColumns writes rows as three left-aligned columns two spaces apart. On a terminal
// (width not nil) the last column is wrapped at words to fit; when it would be narrower than
// 24 cells, it goes on lines of its own below, indented.
func writeColumns(w io.Writer, rows [][3]string, width func() int) {
	var w0, w1 int
	for _, r := range rows {
		if r[1] != "" || r[2] != "" { // a category heading does not widen the first column
			w0 = max(w0, utf8.RuneCountInString(r[0]))
		}
		w1 = max(w1, utf8.RuneCountInString(r[1]))
	}
	cells := render.Cells(width)
	indent := w0 + 2 + w1 + 2
	below := cells > 0 && cells-indent < 24
	for _, r := range rows {
		if r[1] == "" && r[2] == "" {
			fmt.Fprintln(w, r[0])
			continue
		}
		head := fmt.Sprintf("%-*s  %-*s  ", w0, r[0], w1, r[1])
		// The text's own indent (the --variant line's) is kept on every line it wraps to.
		text := strings.TrimLeft(r[2], " ")
		lead := strings.Repeat(" ", len(r[2])-len(text))
		switch {
		case below && r[0] == "" && r[1] == "":
			fmt.Fprintln(w, "    "+lead+render.WrapWords(text, cells, 4+len(lead), ""))
		case below:
			fmt.Fprintln(w, strings.TrimRight(head, " "))
			fmt.Fprintln(w, "    "+lead+render.WrapWords(text, cells, 4+len(lead), ""))
		case cells > 0:
			fmt.Fprintln(w, head+lead+render.WrapWords(text, cells, indent+len(lead), ""))
		default:
			fmt.Fprintln(w, head+r[2])
		}
	}
}

// kindsOf lists the message kinds of a default fixture (none for a variant).
func kindsOf(k fixtures.Key) []string {
	if k.Variant != "" {
		return nil
	}
	return fixtures.Kinds(k.Trigger, k.System)
}

// completeVariant completes --variant with the variants of the trigger already typed.
func completeVariant(c *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var sys fixtures.System
	if legacy, _ := c.Flags().GetBool("legacy"); legacy {
		sys = fixtures.Legacy
	}
	var out []cobra.Completion
	for _, v := range fixtures.Variants(args[0], sys) {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func newFixturesShowCmd(e *env) *cobra.Command {
	var legacy, keep bool
	var variant string
	c := &cobra.Command{
		Use:   "show <trigger>",
		Short: "Print a trigger's bundled payload, as send would send it",
		Long: `Show prints the bundled payload of a trigger with fresh timestamps, exactly as
'comethook send' would send it, indented so you can save and edit it as your own fixture.`,
		Example: `  comethook fixtures show before_message
  comethook fixtures show after_message > mine.json && comethook send after_message mine.json --to 3000`,
		Args:              argsRange(1, 1),
		ValidArgsFunction: completeTrigger,
		RunE: func(c *cobra.Command, args []string) error {
			return runFixturesShow(e, args[0], fixtureChoice{legacy: legacy, variant: variant}, keep)
		},
	}
	c.Flags().BoolVar(&legacy, "legacy", false, "the Legacy Webhooks payload where a trigger exists in both systems")
	c.Flags().BoolVar(&keep, "keep-timestamps", false, "keep the fixture's own timestamps")
	c.Flags().StringVar(&variant, "variant", "", "another shape of the trigger's payload, or a kind of message: image, video, audio, file, custom, thread, mention, metadata (see comethook fixtures)")
	_ = c.RegisterFlagCompletionFunc("variant", completeVariant)
	return c
}

func runFixturesShow(e *env, trigger string, choice fixtureChoice, keep bool) error {
	trig, ok := webhook.Lookup(trigger, systemFlag(choice.legacy))
	if !ok {
		return unknownTrigger(trigger, choice.legacy)
	}
	noteOtherName(e, trigger, trig)
	raw, name, err := readFixture(e, "", trig.Name, choice)
	if err != nil {
		return err
	}
	payload, err := fixtures.Parse(name, raw)
	if err != nil {
		return failErr(err, "")
	}
	tmpl, _, err := simulate.Prepare(payload, simulate.BuildOptions{Trigger: trig, KeepTimestamps: keep, KeepIDs: true, Raw: raw})
	if err != nil {
		return failErr(err, "")
	}
	body, err := tmpl.Body(e.now())
	if err != nil {
		return failErr(err, "")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(body), "", "  "); err != nil {
		return failErr(err, "")
	}
	buf.WriteByte('\n')
	_, err = e.p.RawOut.Write(buf.Bytes())
	return err
}
