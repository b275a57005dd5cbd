// Package cmd wires comethook's commands: flags, arguments and output. The work itself
// lives in the domain packages (simulate, tunnel, fixtures, internal/...).
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// Build is what the binary knows about itself, set by the linker in release builds.
type Build struct {
	Version string
	Commit  string
	Date    string
}

// Exit codes (design.md §3).
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

// env is what a command run depends on from the outside world. Tests replace parts of it.
type env struct {
	build   Build
	streams render.Streams
	getenv  render.Env
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	client  func(insecure bool, conc int) *http.Client
	p       *render.Printer // set once flags are parsed
}

// Main runs comethook with the process's streams and environment and returns the exit code.
func Main(ctx context.Context, args []string, b Build) int {
	return run(ctx, args, &env{
		build: b,
		streams: render.Streams{
			In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
			OutTTY: render.IsTerminal(os.Stdout), ErrTTY: render.IsTerminal(os.Stderr),
		},
		getenv: os.Getenv,
	})
}

func run(ctx context.Context, args []string, e *env) int {
	e.defaults()
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(e.streams.In)
	root.SetOut(e.streams.Out)
	root.SetErr(e.streams.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if e.p == nil { // failed before any command ran: flags of the root, unknown command
		e.p = render.NewPrinter(e.streams, false, false)
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.err != nil {
			e.p.Errorf(xe.err.Error(), xe.hint)
		}
		return xe.code
	}
	if isCobraUsage(err) {
		e.p.Errorf(err.Error(), "run 'comethook --help' for usage")
		return ExitUsage
	}
	e.p.Errorf(err.Error())
	return ExitFail
}

func (e *env) defaults() {
	if e.now == nil {
		e.now = time.Now
	}
	if e.sleep == nil {
		e.sleep = simulate.Sleep
	}
	if e.client == nil {
		e.client = newHTTPClient
	}
	if e.getenv == nil {
		e.getenv = func(string) string { return "" }
	}
	if e.streams.In == nil {
		e.streams.In = strings.NewReader("")
	}
	if e.streams.Out == nil {
		e.streams.Out = io.Discard
	}
	if e.streams.ErrOut == nil {
		e.streams.ErrOut = io.Discard
	}
}

func newRootCmd(e *env) *cobra.Command {
	var colorMode string
	var verbose bool
	root := &cobra.Command{
		Use:   "comethook",
		Short: "Receive, inspect and send CometChat webhooks on your machine",
		Long: `comethook is the local development tool for CometChat webhooks.

  comethook listen            receive webhooks (public URL through ngrok), see and answer them
  comethook send <trigger>    play CometChat's part against any endpoint
  comethook fixtures          the bundled payload of every trigger
  comethook events            what listen received (every run is captured)
  comethook replay <n>        send a captured delivery again
  comethook trigger <event>   make your own CometChat app send real webhooks
  comethook webhooks          your app's webhooks, and where they point

listen also serves a web inspector on http://127.0.0.1:4041.`,
		Version: versionString(e.build),
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				hint := "run 'comethook --help' for the commands"
				if s := c.SuggestionsFor(args[0]); len(s) > 0 {
					hint = "did you mean " + strings.Join(s, ", ") + "?"
				}
				return usageErr(fmt.Errorf("unknown command %q", args[0]), hint)
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error {
			// Running it for this (not leaving cobra to print help) checks the global flags.
			c.SetOut(e.p.Out)
			return c.Help()
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			outColor, err := render.UseColor(colorMode, e.streams.OutTTY, e.getenv)
			if err != nil {
				return usageErr(err, "")
			}
			errColor, _ := render.UseColor(colorMode, e.streams.ErrTTY, e.getenv)
			e.p = render.NewPrinter(e.streams, outColor, errColor)
			e.p.Verbose = verbose
			e.p.Width, e.p.ErrWidth = e.termWidth(e.streams.OutTTY, e.streams.Out), e.termWidth(e.streams.ErrTTY, e.streams.ErrOut)
			return nil
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.PersistentFlags().StringVar(&colorMode, "color", "auto", "colour output: always, never or auto")
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "show headers, whole payloads and answers")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		hint := fmt.Sprintf("run '%s --help' for usage", c.CommandPath())
		if s := suggestFlag(c, err); s != "" {
			hint = "did you mean " + s + "? (" + hint + ")"
		}
		return usageErr(plainFlagError(err), hint)
	})
	root.AddCommand(
		newListenCmd(e),
		newEventsCmd(e),
		newReplayCmd(e),
		newSendCmd(e),
		newTriggerCmd(e),
		newWebhooksCmd(e),
		newFixturesCmd(e),
		newVersionCmd(e),
	)
	// A mistyped command is suggested at every level ("sned", "fixtures shw").
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		c.SuggestionsMinimumDistance = 2
	}
	return root
}

// exitError carries an exit code, and the error and hint to print, out of a command.
type exitError struct {
	code int
	err  error
	hint string
}

func (x *exitError) Error() string {
	if x.err == nil {
		return fmt.Sprintf("exit %d", x.code)
	}
	return x.err.Error()
}

func (x *exitError) Unwrap() error { return x.err }

// usageErr is a usage mistake: exit 2 with a short hint, never the whole help.
func usageErr(err error, hint string) error { return &exitError{code: ExitUsage, err: err, hint: hint} }

// failErr is work that failed: exit 1.
func failErr(err error, hint string) error { return &exitError{code: ExitFail, err: err, hint: hint} }

// silentFail exits 1 after the command has already shown what went wrong.
func silentFail() error { return &exitError{code: ExitFail} }

// isCobraUsage recognises cobra's own argument and command errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	// Flag and argument mistakes arrive as exitErrors (SetFlagErrorFunc, argsRange); what
	// is left from cobra is a mistyped command.
	for _, s := range []string{"unknown command", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// argsRange checks the number of arguments and reports a mistake as a usage error.
func argsRange(lo, hi int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) > hi && c.HasSubCommands() {
			// "fixtures shw": a mistyped subcommand, not an argument.
			if sug := c.SuggestionsFor(args[0]); len(sug) > 0 {
				return usageErr(fmt.Errorf("unknown command %q for %s", args[0], c.CommandPath()),
					"did you mean "+strings.Join(sug, ", ")+"?")
			}
		}
		if len(args) < lo || len(args) > hi {
			return usageErr(fmt.Errorf("%s takes %s, got %d", c.CommandPath(), argCount(lo, hi), len(args)),
				fmt.Sprintf("usage: %s", c.UseLine()))
		}
		return nil
	}
}

func argCount(lo, hi int) string {
	switch {
	case lo == hi && lo == 0:
		return "no arguments"
	case lo == hi && lo == 1:
		return "1 argument"
	case lo == hi:
		return fmt.Sprintf("%d arguments", lo)
	}
	return fmt.Sprintf("%d to %d arguments", lo, hi)
}

// suggestFlag names the flag of c closest to the unknown one err is about ("--too" →
// "--to"), or "".
func suggestFlag(c *cobra.Command, err error) string {
	msg := err.Error()
	i := strings.Index(msg, "unknown flag: --")
	if i < 0 {
		return ""
	}
	typed := strings.TrimPrefix(msg[i:], "unknown flag: --")
	typed, _, _ = strings.Cut(typed, "=")
	// At most two edits away, or a prefix of the flag; ties go to the fewer edits.
	best, bestD, bestEdits := "", 3, 0
	visit := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		edits := webhook.EditDistance(typed, f.Name)
		d := edits
		if len(typed) >= 3 && strings.HasPrefix(f.Name, typed) {
			d = min(d, 1)
		}
		if d < bestD || d == bestD && edits < bestEdits {
			best, bestD, bestEdits = f.Name, d, edits
		}
	}
	c.Flags().VisitAll(visit)
	c.InheritedFlags().VisitAll(visit)
	if best == "" || best == typed {
		return ""
	}
	return "--" + best
}

// plainFlagError words Go's parse errors in a flag value for people: pflag passes on
// strconv's and time's messages as they are.
func plainFlagError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "strconv.Parse"); i >= 0 && strings.HasSuffix(msg, "value out of range") {
		return errors.New(msg[:i] + "out of range")
	}
	for _, r := range []struct{ goSays, say string }{
		{"strconv.ParseInt: ", "not a whole number"},
		{"strconv.ParseUint: ", "not a whole number"},
		{"strconv.ParseFloat: ", "not a number"},
		{"strconv.ParseBool: ", "not true or false"},
		{"time: missing unit in duration", "a duration needs a unit, such as 2s, 500ms or 1m"},
		{"time: invalid duration", "not a duration, such as 2s, 500ms or 1m"},
		{"time: unknown unit", "not a duration unit (use ms, s, m or h)"},
	} {
		if i := strings.Index(msg, r.goSays); i >= 0 {
			return errors.New(msg[:i] + r.say)
		}
	}
	return err
}

// termWidth is how wide the terminal behind a stream is, asked each time (it can be resized):
// the terminal's own answer, else $COLUMNS; nil for a stream that is not a terminal, whose
// lines are never cut.
func (e *env) termWidth(tty bool, w io.Writer) func() int {
	if !tty {
		return nil
	}
	columns := func() int {
		n, err := strconv.Atoi(e.getenv("COLUMNS"))
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	f, ok := w.(*os.File)
	if !ok {
		return columns
	}
	return func() int {
		if cells, _, err := term.GetSize(f.Fd()); err == nil && cells > 0 {
			return cells
		}
		return columns()
	}
}

// Root is the command tree as users see it, for generating the reference (docs/cli, the man
// pages): nothing runs, and no environment leaks into the defaults it shows.
func Root() *cobra.Command {
	e := &env{build: Build{Version: "dev"}}
	e.defaults()
	root := newRootCmd(e)
	root.DisableAutoGenTag = true // no date in the files: they are compared in a test
	return root
}
