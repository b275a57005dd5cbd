package webhook

import (
	"fmt"
	"sort"
	"strings"
)

// Summary is the gist of an event in a few words, for one line of a terminal.
// Fields hold raw payload text: the printer sanitises and shortens them.
type Summary struct {
	From string // who acted: a uid
	To   string // whom it concerns: a uid, or "g:<guid>" for a group
	Text string // message text, quoted by the printer; empty when there is none
	Gist string // what happened, when there is no text or in addition to it
}

// Summarize reads the fields that matter for the event's trigger. Unknown triggers get a
// generic summary from the fields most payloads share.
func Summarize(e *Event) Summary {
	d := e.Data()
	switch e.Trigger {
	case "message_delivery_receipt", "message_read_receipt":
		if body := Obj(d, "body"); body != nil { // current system
			return Summary{From: Str(d, "sender"), To: Str(d, "messageSender"),
				Gist: Str(body, "action") + " #" + Str(body, "messageId")}
		}
		return Summary{From: Str(d, "receiptSender"), To: Str(d, "messageSender"),
			Gist: Str(d, "receiptType") + " #" + Str(d, "messageId")}
	case "after_connection_status_changed":
		return Summary{From: Str(d, "user.uid"),
			Gist: strings.TrimSpace(Str(d, "event.type") + " " + Str(d, "event.event_for.platform"))}
	case "user_connection_status_changed":
		return Summary{From: Str(d, "user.uid"),
			Gist: strings.TrimSpace(Str(d, "currentConnection.action") + " " + Str(d, "currentConnection.platform"))}
	case "message_reaction_added", "message_reaction_removed":
		r := Obj(d, "reaction")
		return Summary{From: Str(r, "uid"), Gist: Str(r, "reaction") + " on #" + Str(r, "messageId")}
	}
	if m := e.Message(); m != nil {
		return summarizeMessage(e.Trigger, m)
	}
	return Summary{From: firstOf(d, "sender", "by.uid", "user.uid"), Gist: keysGist(d)}
}

func summarizeMessage(trigger string, m map[string]any) Summary {
	s := Summary{From: Str(m, "sender"), To: receiver(m)}
	data := Obj(m, "data")
	if Str(m, "category") == "action" && Str(m, "type") == "message" {
		// message_edited / message_deleted as documented: an action about another message.
		on := Obj(data, "entities.on.entity")
		s.From = firstOf(data, "entities.by.entity.uid")
		if s.From == "" {
			s.From = Str(m, "sender")
		}
		s.Gist = Str(data, "action") + " #" + Str(on, "id")
		s.Text = Str(on, "data.text")
		return s
	}
	if id := Str(m, "id"); id != "" {
		s.Gist = "#" + id
	}
	switch trigger {
	case "message_edited":
		s.Gist = strings.TrimSpace("edited " + s.Gist)
	case "message_deleted":
		s.Gist = strings.TrimSpace("deleted " + s.Gist)
	}
	if p := Str(m, "parentId"); p != "" {
		s.Gist += " in thread #" + p
	}
	switch Str(m, "category") {
	case "custom":
		s.Gist = strings.TrimSpace(s.Gist + " custom:" + Str(m, "type"))
	case "message":
		if t := Str(m, "type"); t != "text" && t != "" {
			s.Gist = strings.TrimSpace(s.Gist + " " + attachmentGist(t, data))
		}
	}
	s.Text = Str(data, "text")
	if names := mentionNames(data); names != "" {
		s.Gist = strings.TrimSpace(s.Gist + " mentions " + names)
	}
	return s
}

func receiver(m map[string]any) string {
	r := Str(m, "receiver")
	if Str(m, "receiverType") == "group" && r != "" {
		return "g:" + r
	}
	return r
}

func attachmentGist(kind string, data map[string]any) string {
	a := Obj(data, "attachments.0")
	if a == nil {
		return "[" + kind + "]"
	}
	parts := []string{kind}
	if n := Str(a, "name"); n != "" {
		parts = append(parts, n)
	}
	if mt := Str(a, "mimeType"); mt != "" {
		parts = append(parts, mt)
	}
	if sz := Str(a, "size"); sz != "" {
		parts = append(parts, humanBytes(sz))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func humanBytes(s string) string {
	var n float64
	if _, err := fmt.Sscan(s, &n); err != nil {
		return s
	}
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", n/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", n/(1<<10))
	}
	return fmt.Sprintf("%.0f B", n)
}

func mentionNames(data map[string]any) string {
	ms := Obj(data, "mentions")
	if len(ms) == 0 {
		return ""
	}
	names := make([]string, 0, len(ms))
	for uid, v := range ms {
		n := Str(v, "name")
		if n == "" {
			n = uid
		}
		names = append(names, "@"+n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func firstOf(v any, paths ...string) string {
	for _, p := range paths {
		if s := Str(v, p); s != "" {
			return s
		}
	}
	return ""
}

func keysGist(d map[string]any) string {
	if len(d) == 0 {
		return ""
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "data: " + strings.Join(keys, ", ")
}
