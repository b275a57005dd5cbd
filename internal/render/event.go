package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// textWidth bounds message text on one-line summaries.
const textWidth = 80

// eventWords is the one-line description of an event: trigger, webhook id, who → whom,
// the text or gist. Every part is cleaned.
func (st styles) eventWords(e *webhook.Event) string {
	return st.summaryWords(e, webhook.Summarize(e))
}

// summaryWords is eventWords for a summary already worked out.
func (st styles) summaryWords(e *webhook.Event, s webhook.Summary) string {
	return st.summaryFit(e, s, 0)
}

// summaryFit is summaryWords in at most cells terminal cells (0: no bound), giving up what
// matters least first: the message text is shortened (to 12 cells at least), then the
// webhook id left out, then, for a message with text, the gist (its id), then the text
// shortened further; what is still too wide is cut at the end by the caller.
func (st styles) summaryFit(e *webhook.Event, s webhook.Summary, cells int) string {
	text := ""
	if s.Text != "" {
		text = Shorten(Clean(s.Text, false), textWidth)
	}
	join := func(webhookID, gist bool, text string) string {
		parts := []string{st.bold.Sprint(Clean(orDash(e.Trigger), false))}
		if webhookID && e.Webhook != "" {
			parts = append(parts, st.faint.Sprint(Clean(e.Webhook, false)))
		}
		switch {
		case s.From != "" && s.To != "":
			parts = append(parts, Clean(s.From, false)+" → "+Clean(s.To, false))
		case s.From != "":
			parts = append(parts, Clean(s.From, false))
		case s.To != "":
			parts = append(parts, Clean(s.To, false))
		}
		if s.Gist != "" && (gist || text == "") {
			parts = append(parts, Clean(Shorten(s.Gist, textWidth), false))
		}
		if text != "" {
			parts = append(parts, `"`+text+`"`)
		}
		if s.By != "" {
			parts = append(parts, "by "+Clean(s.By, false))
		}
		return strings.Join(parts, "  ")
	}
	words := join(true, true, text)
	if cells <= 0 || ansi.StringWidth(words) <= cells {
		return words
	}
	// shorten cuts the text so that the words fit, down to floor cells of text.
	shorten := func(webhookID, gist bool, floor int) (string, bool) {
		over := ansi.StringWidth(join(webhookID, gist, text)) - cells
		keep := max(ansi.StringWidth(text)-over, floor)
		t := text
		if text != "" {
			t = ansi.Truncate(text, keep, "…")
		}
		w := join(webhookID, gist, t)
		return w, ansi.StringWidth(w) <= cells
	}
	for _, try := range []struct{ webhookID, gist bool }{{true, true}, {false, true}, {false, false}} {
		if w, ok := shorten(try.webhookID, try.gist, 12); ok {
			return w
		}
	}
	w, _ := shorten(false, false, 4)
	return w
}

func orDash(s string) string {
	if s == "" {
		return "(no trigger)"
	}
	return s
}

// statusWord colours an HTTP status by class.
func (st styles) statusWord(status int) string {
	txt := fmt.Sprint(status)
	switch {
	case status >= 500 || status == 0:
		return st.red.Sprint(txt)
	case status >= 300:
		return st.yellow.Sprint(txt)
	}
	return st.green.Sprint(txt)
}

// outcomeWord colours an outcome word.
func (st styles) outcomeWord(o simulate.Outcome) string {
	switch o {
	case simulate.Delivered:
		return st.green.Sprint(string(o))
	case simulate.Injected:
		return st.cyan.Sprint(string(o))
	case simulate.Dropped:
		return st.magenta.Sprint(string(o))
	case simulate.Rejected:
		return st.yellow.Sprint(string(o))
	}
	return st.red.Sprint(Clean(string(o), false)) // a capture file's outcome is untrusted text
}

// Millis formats a duration for people: "4 ms", "812 ms", "2.4 s".
func Millis(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
