package render

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/simulate"
)

// Delivery prints one received delivery as two lines on stdout, tied by its number: the
// event ("→") and the answer ("←"). Verbose adds headers, payload and answer body.
func (p *Printer) Delivery(d *receiver.Delivery) {
	st, w := p.st, p.Out
	stamp := st.faint.Sprint(d.ReceivedAt.Local().Format(time.TimeOnly))
	seq := st.faint.Sprintf("#%d", d.Seq)
	badge := ""
	if d.DuplicateOf > 0 {
		badge = st.yellow.Sprintf("↻ duplicate of #%d", d.DuplicateOf) + "  "
	}
	// On a terminal each line fits its width: the words are cut with "…", the time, the
	// trigger, the outcome and #N stay whole.
	cells := Cells(p.Width)
	fixed := ansi.StringWidth(stamp) + len("  → ") + 2 + ansi.StringWidth(badge) + ansi.StringWidth(seq)
	words, keep := p.deliveryWords(d, max(cells-fixed, 1))
	fmt.Fprintf(w, "%s  → %s  %s%s\n", stamp, fit(words, cells-fixed, keep), badge, seq)
	if p.Verbose {
		for _, h := range headerLines(d.Header) {
			fmt.Fprintf(w, "    %s\n", st.faint.Sprint(h))
		}
		if pretty, ok := st.prettyJSON(d.Body); ok {
			fmt.Fprintln(w, indent(pretty, "    "))
		} else if len(d.Body) > 0 {
			fmt.Fprintln(w, indent(Clean(Shorten(string(d.Body), 4000), true), "    "))
		}
	}
	answer, keep := p.answerWords(d)
	fixed = ansi.StringWidth(stamp) + len("  ← ") + 2 + ansi.StringWidth(seq)
	fmt.Fprintf(w, "%s  ← %s  %s\n", stamp, fit(answer, cells-fixed, keep), seq)
	if p.Verbose && len(d.Response.Body) > 0 {
		if pretty, ok := st.prettyJSON(d.Response.Body); ok {
			fmt.Fprintln(w, indent(pretty, "    "))
		} else {
			fmt.Fprintln(w, indent(Clean(Shorten(string(d.Response.Body), 4000), true), "    "))
		}
	}
	for _, a := range d.Verdict.Assumptions {
		if p.Verbose {
			fmt.Fprintf(w, "    %s\n", st.faint.Sprint(Clean(a, false)))
		}
	}
	for _, msg := range d.Warnings {
		p.Warn(fmt.Sprintf("#%d %s", d.Seq, Clean(msg, false)))
	}
}

// deliveryWords describes what arrived: the event's words, or the request when it
// carried no usable payload; keep is the width of its first word (the trigger, or the
// method), which a narrow terminal must not cut.
func (p *Printer) deliveryWords(d *receiver.Delivery, cells int) (words string, keep int) {
	st := p.st
	if d.Event != nil {
		if cells > 0 && Cells(p.Width) == 0 {
			cells = 0 // no terminal: whole
		}
		words = st.summaryFit(d.Event, d.Summary(), cells)
		keep = ansi.StringWidth(Clean(orDash(d.Event.Trigger), false))
	} else {
		keep = ansi.StringWidth(Clean(d.Method, false))
		words = st.bold.Sprint(Clean(d.Method, false))
		switch {
		case d.Body == nil && d.Outcome == simulate.Rejected:
			// Refused before the body was read: say why, rather than look empty.
			words += "  " + st.faint.Sprintf("(body not read: %d, %s)", d.Response.Status, refusal(d.Response.Status))
		case len(d.Body) == 0:
			words += "  " + st.faint.Sprint("(empty body)")
		default:
			words += "  " + st.faint.Sprintf("(not JSON, %d bytes)", len(d.Body))
		}
	}
	if d.Path != "" && d.Path != "/" {
		path := d.Path
		if d.Query != "" {
			path += "?" + d.Query
		}
		words += "  " + st.faint.Sprint(Clean(Shorten(path, textWidth), false))
	}
	return words, keep
}

// refusal says in a few words why comethook refused a request with status.
func refusal(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "wrong or missing credentials"
	case http.StatusMethodNotAllowed:
		return "not a POST"
	case http.StatusRequestEntityTooLarge:
		return "body over --max-body"
	case http.StatusRequestTimeout:
		return "body too slow"
	case http.StatusServiceUnavailable:
		return "listen was stopping"
	}
	return strings.ToLower(http.StatusText(status))
}

// answerWords describes the answer: status, outcome, what it means, time; keep is the width
// of the status and outcome, which a narrow terminal must not cut.
func (p *Printer) answerWords(d *receiver.Delivery) (string, int) {
	st, r := p.st, d.Response
	parts := []string{st.statusWord(r.Status) + " " + st.outcomeWord(d.Outcome)}
	keep := ansi.StringWidth(parts[0])
	switch {
	case d.Error != "":
		parts = append(parts, Clean(d.Error, false))
	case d.Outcome == simulate.Injected:
		b, _ := simulate.Marshal(d.Verdict.Injected)
		parts = append(parts, Clean(Shorten(string(b), textWidth), false))
	case d.Outcome == simulate.Dropped:
		parts = append(parts, "CometChat drops the message")
	}
	if r.Source == receiver.SourceForward && d.Error == "" { // a 502/504 is comethook speaking, not the app
		parts = append(parts, st.faint.Sprint("from your app"))
	}
	parts = append(parts, st.faint.Sprint(Millis(r.Duration)))
	return strings.Join(parts, "  "), keep
}
