// Package render is all of comethook's terminal output: the streams, the colour decision,
// delivery lines, the banner, pretty JSON and the JSON records scripts read.
//
// Untrusted text (anything from a payload or an answer) goes through Clean before it
// reaches a terminal.
package render

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/fatih/color"
)

// Streams are the process's standard streams and what is known about them.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	OutTTY bool
	ErrTTY bool
}

// Env reads an environment variable; os.Getenv in production, a map in tests.
type Env func(string) string

// UseColor is the one colour decision for a stream: --color always|never|auto, then
// NO_COLOR, then CLICOLOR_FORCE, then whether the stream is a terminal.
func UseColor(mode string, tty bool, env Env) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
	default:
		return false, fmt.Errorf("invalid --color %q: want always, never or auto", mode)
	}
	if env("NO_COLOR") != "" {
		return false, nil
	}
	if v := env("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true, nil
	}
	return tty && env("TERM") != "dumb", nil
}

// IsTerminal says whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Printer writes comethook's output. Styled text goes through a colorprofile writer set
// from the colour decision, so lipgloss layouts and fatih/color words agree, and piped
// output never carries escapes.
type Printer struct {
	Out, Err       io.Writer // styled: escapes kept or stripped by the decision
	RawOut         io.Writer // for JSON records: no processing at all
	RawErr         io.Writer // stderr, unprocessed: for text already styled by a copy of p
	OutTTY, ErrTTY bool
	Verbose        bool
	// Width and ErrWidth give the terminal's width in cells for stdout and stderr, asked at
	// each use (a terminal can be resized); nil, or 0, for a pipe or a file: nothing is cut.
	Width, ErrWidth func() int
	st              styles // for Out
	est             styles // for Err
}

// NewPrinter wraps the streams with the colour decisions for stdout and stderr.
func NewPrinter(s Streams, colorOut, colorErr bool) *Printer {
	return &Printer{
		Out:    profileWriter(s.Out, colorOut),
		Err:    profileWriter(s.ErrOut, colorErr),
		RawOut: s.Out,
		RawErr: s.ErrOut,
		OutTTY: s.OutTTY,
		ErrTTY: s.ErrTTY,
		st:     newStyles(colorOut),
		est:    newStyles(colorErr),
	}
}

// profileWriter applies the decision to everything printed, lipgloss layouts included:
// without colour every escape sequence is stripped on the way out.
func profileWriter(w io.Writer, colour bool) io.Writer {
	if !colour {
		return &colorprofile.Writer{Forward: w, Profile: colorprofile.NoTTY}
	}
	return &colorprofile.Writer{Forward: w, Profile: colorprofile.ANSI256}
}

// styles are the coloured words; each disabled or enabled by the stream's decision.
type styles struct {
	on                                    bool
	bold, faint, green, red, yellow, cyan *color.Color
	magenta, blue                         *color.Color
}

func newStyles(on bool) styles {
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return styles{
		on:      on,
		bold:    mk(color.Bold),
		faint:   mk(color.Faint),
		green:   mk(color.FgGreen, color.Bold),
		red:     mk(color.FgRed, color.Bold),
		yellow:  mk(color.FgYellow, color.Bold),
		cyan:    mk(color.FgCyan, color.Bold),
		magenta: mk(color.FgMagenta, color.Bold),
		blue:    mk(color.FgBlue),
	}
}

// WithOut returns a printer that writes its stdout to w (a buffer, say) with the same
// colour decision and settings.
func (p *Printer) WithOut(w io.Writer) *Printer {
	q := *p
	q.Out, q.RawOut = profileWriter(w, p.st.on), w
	return &q
}

// WithOutErr returns a printer that writes to out and errw (buffers, say) with the same
// colour decisions and settings: listen renders a delivery's lines on its request's
// goroutine and writes them to the terminal later.
func (p *Printer) WithOutErr(out, errw io.Writer) *Printer {
	q := p.WithOut(out)
	q.Err, q.RawErr = profileWriter(errw, p.est.on), errw
	return q
}

// Errorf prints "error: ..." on stderr, then each hint on its own line. Messages often
// quote what the user or a server gave (a path, a URL, an error from ngrok), so their text
// is cleaned of escape sequences even when the stream keeps colour.
func (p *Printer) Errorf(msg string, hints ...string) {
	fmt.Fprintf(p.Err, "%s %s\n", p.est.red.Sprint("error:"), p.wrapErr(Clean(msg, true), len("error: ")))
	for _, h := range hints {
		if h != "" {
			fmt.Fprintf(p.Err, "%s %s\n", p.est.faint.Sprint("hint:"), p.wrapErr(Clean(h, true), len("hint: ")))
		}
	}
}

// Warn prints "warning: ..." on stderr, cleaned like Errorf.
func (p *Printer) Warn(msg string) {
	fmt.Fprintf(p.Err, "%s %s\n", p.est.yellow.Sprint("warning:"), p.wrapErr(Clean(msg, true), len("warning: ")))
}

// Note prints a faint remark on stderr, cleaned like Errorf.
func (p *Printer) Note(msg string) {
	fmt.Fprintf(p.Err, "%s\n", p.est.faint.Sprint(p.wrapErr(Clean(msg, true), 0)))
}

// Say prints conversation on stderr.
func (p *Printer) Say(format string, a ...any) {
	fmt.Fprintf(p.Err, "%s\n", p.wrapErr(fmt.Sprintf(format, a...), 0))
}

// wrapErr breaks plain text at spaces to fit stderr's terminal, continuation lines indented
// by indent cells (under the text, past "warning: "); at hyphens and slashes never, so that
// a path or a URL stays whole to be copied. Not on a pipe.
func (p *Printer) wrapErr(text string, indent int) string {
	return WrapWords(text, Cells(p.ErrWidth), indent, "")
}

// WrapWords breaks text at spaces into lines of at most cells cells; the first line has
// first cells fewer (a label before it), the others are indented by first spaces and start
// with prefix. A word longer than a line stays whole. cells 0: unchanged.
func WrapWords(text string, cells, first int, prefix string) string {
	if cells <= 0 || ansi.StringWidth(text)+first <= cells {
		return text
	}
	pad := strings.Repeat(" ", first) + prefix
	var b strings.Builder
	for i, para := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteString("\n" + pad)
		}
		used := first
		if i > 0 {
			used = ansi.StringWidth(pad)
		}
		start := used
		for _, word := range strings.Fields(para) {
			w := ansi.StringWidth(word)
			if used > start && used+1+w > cells {
				b.WriteString("\n" + pad)
				used = ansi.StringWidth(pad)
				start = used
			} else if used > start {
				b.WriteByte(' ')
				used++
			}
			b.WriteString(word)
			used += w
		}
	}
	return b.String()
}

// Cells is a width function's answer (Printer.Width, ErrWidth), 0 when there is none.
func Cells(w func() int) int {
	if w == nil {
		return 0
	}
	return w()
}

// fit cuts s (styled text) to at most cells terminal cells, ending it with "…", but never to
// fewer than keep cells: what must stay whole stays, even if the line then wraps. cells 0
// means no bound.
func fit(s string, cells, keep int) string {
	if cells <= 0 {
		return s
	}
	return ansi.Truncate(s, max(cells, keep), "…")
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
