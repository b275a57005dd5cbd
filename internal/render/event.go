package render

import (
	"fmt"
	"strings"
	"time"

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
	parts := []string{st.bold.Sprint(Clean(orDash(e.Trigger), false))}
	if e.Webhook != "" {
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
	if s.Gist != "" {
		parts = append(parts, Clean(Shorten(s.Gist, textWidth), false))
	}
	if s.Text != "" {
		parts = append(parts, `"`+Shorten(Clean(s.Text, false), textWidth)+`"`)
	}
	if s.By != "" {
		parts = append(parts, "by "+Clean(s.By, false))
	}
	return strings.Join(parts, "  ")
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
