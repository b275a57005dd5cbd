package render

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
)

// Banner is what `listen` says once it is ready.
type Banner struct {
	PublicURL  string // the URL to paste into the dashboard; empty without a tunnel
	LocalURL   string
	ForwardTo  string // empty in mock mode
	MockAnswer string // what mock mode answers before_message, e.g. "{}"
	Inspect    string // reserved for the inspector
	Filter     string // -t patterns, shown once
	Capture    string // the capture file, when capturing
	Registered string // what listen --register did, instead of the instruction to paste the URL
	Notes      []string
}

// Banner prints the boxed URL and what happens to deliveries, on stderr.
func (p *Printer) Banner(b Banner) {
	st := p.est
	var lines []string
	if b.PublicURL != "" {
		lines = append(lines, st.bold.Sprint("CometChat webhook URL")+"   "+st.cyan.Sprint(b.PublicURL))
		if b.Registered != "" {
			lines = append(lines, st.green.Sprint(b.Registered))
		} else {
			lines = append(lines, "Paste it in Dashboard → Settings → Webhooks",
				"(before_message: Settings → Legacy Webhooks).")
		}
		lines = append(lines, st.faint.Sprint("Local: "+b.LocalURL))
	} else {
		lines = append(lines,
			st.bold.Sprint("Listening locally")+"   "+st.cyan.Sprint(b.LocalURL),
			st.faint.Sprint("No tunnel: CometChat cannot reach this URL, comethook send can."))
	}
	if b.ForwardTo != "" {
		lines = append(lines, "Forwarding to "+st.bold.Sprint(SafeURL(b.ForwardTo)))
	} else {
		lines = append(lines, "Answering for you: 200 "+b.MockAnswer+" "+st.faint.Sprint("(--forward-to to use your app)"))
	}
	if b.Inspect != "" {
		lines = append(lines, "Inspector "+st.cyan.Sprint(b.Inspect)+" "+st.faint.Sprint("(this machine only)"))
	}
	if b.Filter != "" {
		lines = append(lines, st.faint.Sprint("Showing only "+b.Filter+" (everything is still answered)"))
	}
	box := lipgloss.NewStyle().
		Border(lipgloss.RoundedBorder()).
		BorderForeground(lipgloss.Color("6")).
		Padding(0, 1).
		MarginLeft(2).
		Render(strings.Join(lines, "\n"))
	// p.Err is a colorprofile writer set from our colour decision: lipgloss.Fprintln would
	// detect again from the environment and disagree with --color. A terminal narrower than
	// the box gets the lines without it: a box whose sides wrap falls apart, and the URLs
	// must stay whole to be copied.
	if cells := Cells(p.ErrWidth); cells > 0 && lipgloss.Width(box) > cells {
		for _, l := range lines {
			fmt.Fprintf(p.Err, "  %s\n", l)
		}
	} else {
		fmt.Fprintln(p.Err, box)
	}
	if b.Capture != "" {
		fmt.Fprintf(p.Err, "  %s\n", st.faint.Sprint(WrapWords("Capturing to "+b.Capture+" (comethook events, comethook replay)", Cells(p.ErrWidth), 2, "")))
	}
	for _, n := range b.Notes {
		fmt.Fprintf(p.Err, "  %s\n", WrapWords(n, Cells(p.ErrWidth), 2, ""))
	}
	fmt.Fprintf(p.Err, "  %s Ctrl-C to stop.\n", st.green.Sprint("Ready."))
}
