package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"text/tabwriter"

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
picks the other.`,
		Example: `  comethook fixtures
  comethook fixtures show before_message
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
		Default     bool   `json:"default"`
		Description string `json:"description"`
	}
	var rows []row
	for _, k := range fixtures.Keys() {
		t, _ := webhook.Lookup(k.Trigger, string(k.System))
		def, _ := fixtures.Resolve(k.Trigger, "")
		rows = append(rows, row{Trigger: k.Trigger, System: string(k.System),
			Default: len(fixtures.Systems(k.Trigger)) > 1 && def == k, Description: t.Description})
	}
	if asJSON {
		for _, r := range rows {
			_ = render.WriteJSON(e.p.RawOut, r)
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.p.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIGGER\tSYSTEM\tDESCRIPTION")
	for _, r := range rows {
		sys := r.System
		if r.Default {
			sys += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Trigger, sys, r.Description)
	}
	return tw.Flush()
}

func newFixturesShowCmd(e *env) *cobra.Command {
	var legacy, keep bool
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
			return runFixturesShow(e, args[0], legacy, keep)
		},
	}
	c.Flags().BoolVar(&legacy, "legacy", false, "the Legacy Webhooks payload where a trigger exists in both systems")
	c.Flags().BoolVar(&keep, "keep-timestamps", false, "keep the fixture's own timestamps")
	return c
}

func runFixturesShow(e *env, trigger string, legacy, keep bool) error {
	trig, ok := webhook.Lookup(trigger, systemFlag(legacy))
	if !ok {
		return unknownTrigger(trigger, legacy)
	}
	raw, name, err := readFixture(e, "", trigger, legacy)
	if err != nil {
		return err
	}
	payload, err := fixtures.Parse(name, raw)
	if err != nil {
		return failErr(err, "")
	}
	tmpl, _, err := simulate.Prepare(payload, simulate.BuildOptions{Trigger: trig, KeepTimestamps: keep, Raw: raw})
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
