package webhook

import (
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Summary is the gist of an event in a few words, for one line of a terminal.
// Fields hold raw payload text: the printer sanitises and shortens them.
type Summary struct {
	From string // who acted: a uid
	To   string // whom it concerns: a uid, or "g:<guid>" for a group
	Text string // message text, quoted by the printer; empty when there is none
	Gist string // what happened, when there is no text or in addition to it
	By   string // who did it, when it is not the subject (an admin, a reactor)
}

// Summarize reads the fields that matter for the event's trigger. Unknown triggers get a
// generic summary from the fields most payloads share.
func Summarize(e *Event) Summary {
	d := e.Data()
	switch e.Trigger {
	case "message_delivery_receipt", "message_read_receipt":
		// The two systems share these names but not the shape: say which one this is.
		if body := Obj(d, "body"); body != nil { // current system
			return Summary{From: Str(d, "sender"), To: Str(d, "messageSender"),
				Gist: Str(body, "action") + " #" + Str(body, "messageId") + " (v2 receipt)"}
		}
		return Summary{From: Str(d, "receiptSender"), To: Str(d, "messageSender"),
			Gist: Str(d, "receiptType") + " #" + Str(d, "messageId") + " (legacy receipt)"}
	case "after_connection_status_changed":
		return Summary{From: Str(d, "user.uid"),
			Gist: join(Str(d, "event.type"), Str(d, "event.event_for.platform"), at(d, "event.at"))}
	case "user_connection_status_changed":
		return Summary{From: Str(d, "user.uid"),
			Gist: join(Str(d, "currentConnection.action"), Str(d, "currentConnection.platform"), at(d, "timestamp"))}
	case "message_reaction_added", "message_reaction_removed":
		r := Obj(d, "reaction")
		return Summary{Gist: Str(r, "reaction") + " on #" + Str(r, "messageId"), By: Str(r, "uid")}
	case "message_delivered_to_all", "message_read_by_all":
		return Summary{To: groupOf(Str(d, "receiver")), Gist: Str(d, "body.action") + " #" + Str(d, "body.messageId")}
	case "user_blocked", "user_unblocked":
		return Summary{From: Str(d, "by.uid"), Gist: strings.TrimPrefix(e.Trigger, "user_") + " " + keyList(Obj(d, "users"))}
	case "moderation_engine_failed":
		return moderationFailed(d)
	case "message_pinned", "message_unpinned":
		verb := strings.TrimPrefix(e.Trigger, "message_")
		m := Obj(d, "message")
		return Summary{From: Str(m, "sender"), To: receiver(m), Text: Str(m, "data.text"),
			Gist: verb + " #" + Str(m, "id") + " by " + Str(d, verb+"By.uid")}
	case "conversation_pinned", "conversation_unpinned":
		verb := strings.TrimPrefix(e.Trigger, "conversation_")
		return Summary{Gist: verb + " " + Str(d, "conversation.conversationId") + " by " + Str(d, verb+"By.uid")}
	}
	if t, ok := TriggerOf(e); ok {
		switch t.Category {
		case "group":
			return summarizeGroup(e.Trigger, d)
		case "call", "meeting":
			if Obj(d, "call") == nil {
				return summarizeSession(e.Trigger, d)
			}
		case "campaign":
			return summarizeCampaign(e.Trigger, d)
		}
	}
	if m := e.Message(); m != nil {
		s := summarizeMessage(e.Trigger, m)
		if strings.HasPrefix(e.Trigger, "moderation_") {
			if rule := findRule(d); rule != "" { // beside the message, or inside it
				s.Gist = join(s.Gist, "rule: "+rule)
			}
		}
		return s
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
		if cd := Obj(data, "customData"); len(cd) > 0 {
			s.Gist += " {" + keyList(cd) + "}"
		}
	case "message":
		if t := Str(m, "type"); t != "text" && t != "" {
			s.Gist = strings.TrimSpace(s.Gist + " " + attachmentGist(t, data))
		}
	}
	s.Text = Str(data, "text")
	if names := mentionNames(data); names != "" {
		s.Gist = strings.TrimSpace(s.Gist + " mentions " + names)
	}
	if meta := Obj(data, "metadata"); len(meta) > 0 {
		own := maps.Clone(meta)
		delete(own, "@injected") // what CometChat and extensions added, not the sender
		if len(own) > 0 {
			s.Gist = strings.TrimSpace(s.Gist + " metadata{" + keyList(own) + "}")
		}
	}
	if tags, ok := m["tags"].([]any); ok && len(tags) > 0 {
		var ts []string
		for _, t := range tags {
			ts = append(ts, fmt.Sprint(t))
		}
		s.Gist = strings.TrimSpace(s.Gist + " tags:" + strings.Join(ts, ","))
	}
	if Str(m, "category") == "call" {
		s.Gist = join(s.Gist, Str(m, "type")+" call", Str(data, "action"))
		if sid := Str(data, "entities.on.entity.sessionid"); sid != "" {
			s.Gist = join(s.Gist, "session "+shortID(sid))
		}
	}
	if strings.HasPrefix(trigger, "moderation_") {
		s.Gist = join(s.Gist, Str(data, "moderation.status"))
	}
	return s
}

// summarizeGroup: "g:support  cometchat-uid-2 participant → moderator  by cometchat-uid-1".
func summarizeGroup(trigger string, d map[string]any) Summary {
	g := Obj(d, "group")
	s := Summary{To: groupOf(Str(g, "guid")), By: Str(d, "by.uid")}
	members := Obj(d, "members")
	action := strings.TrimPrefix(strings.TrimPrefix(trigger, "group_member_"), "group_")
	switch trigger {
	case "group_created":
		s.Gist = join(quote(Str(g, "name")), Str(g, "type"), "created")
		s.By = Str(g, "owner")
	case "group_updated", "group_deleted":
		s.Gist = join(quote(Str(g, "name")), action)
		s.By = Str(g, "updatedBy")
	case "group_owner_transferred":
		s.Gist = "owner " + Str(g, "oldOwner") + " → " + Str(g, "owner")
	case "group_member_scope_changed":
		var parts []string
		for _, uid := range sortedKeys(members) {
			m := Obj(members, uid)
			parts = append(parts, uid+" "+Str(m, "oldScope")+" → "+Str(m, "scope"))
		}
		s.Gist = strings.Join(parts, ", ")
	case "group_member_joined", "group_member_left":
		s.From = keyList(members)
		s.Gist = action
	default:
		s.Gist = action + " " + keyList(members)
	}
	return s
}

// summarizeSession covers call and meeting sessions: "session v1.us.123  3 participants  42 s".
func summarizeSession(trigger string, d map[string]any) Summary {
	s := Summary{Gist: "session " + shortID(Str(d, "sessionId"))}
	switch {
	case strings.HasSuffix(trigger, "_started"):
		s.Gist = join(s.Gist, "started", at(d, "created_at"))
	case strings.HasSuffix(trigger, "_participant_joined"), strings.HasSuffix(trigger, "_participant_left"):
		o := Obj(d, "occupant")
		kind := "video"
		if Str(o, "audio_call") == "true" {
			kind = "audio"
		}
		verb, stamp := "joined", "joined_at"
		if strings.HasSuffix(trigger, "_left") {
			verb, stamp = "left", "left_at"
		}
		s.From = Str(o, "name")
		s.Gist = join(verb, s.Gist, kind, at(o, stamp))
	case strings.HasSuffix(trigger, "_ended"):
		var n int
		if occ, ok := Get(d, "all_occupants"); ok {
			if list, ok := occ.([]any); ok {
				n = len(list)
			}
		}
		s.Gist = join(s.Gist, plural(n, "participant"), seconds(d, "created_at", "destroyed_at"))
	case trigger == "recording_generated":
		s.Gist = join(s.Gist, "recording", secondsText(Str(d, "duration")), Str(d, "recording_url"))
	case trigger == "transcription_generated":
		s.Gist = join(s.Gist, "transcript", Str(d, "transcript_url"))
	}
	return s
}

func summarizeCampaign(trigger string, d map[string]any) Summary {
	kind := strings.TrimPrefix(trigger, "after_")
	kind = kind[:strings.LastIndexByte(kind, '_')]
	return Summary{
		To:   firstOf(d, "uid", "receiver", "userId"),
		Gist: join(strings.ReplaceAll(kind, "_", " "), shortID(firstOf(d, kind+"Id", camel(kind)+"Id", "id")), quote(Str(d, "name")), Str(d, "status")),
	}
}

// camel turns "push_notification" into "pushNotification".
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func moderationFailed(d map[string]any) Summary {
	f := Obj(d, "failures.0")
	return Summary{
		From: Str(d, "resource.sender"),
		Gist: join("#"+Str(d, "resource.id"), Str(d, "outcome"), Str(f, "category"), Str(f, "httpStatus"), quote(Str(f, "errorMessage"))),
	}
}

// findRule finds the name of the moderation rule that decided, wherever the payload puts it.
func findRule(v any) string {
	switch n := v.(type) {
	case map[string]any:
		if r, ok := n["rule"]; ok {
			if s := Str(r, "name"); s != "" {
				return s
			}
			if s, ok := r.(string); ok {
				return s
			}
		}
		for _, k := range sortedKeys(n) {
			if s := findRule(n[k]); s != "" {
				return s
			}
		}
	case []any:
		for _, c := range n {
			if s := findRule(c); s != "" {
				return s
			}
		}
	}
	return ""
}

func receiver(m map[string]any) string {
	r := Str(m, "receiver")
	if Str(m, "receiverType") == "group" {
		return groupOf(r)
	}
	return r
}

// shortID keeps long session ids readable on one line: the start and the end.
func shortID(id string) string {
	if len(id) <= 24 {
		return id
	}
	return id[:14] + "…" + id[len(id)-8:]
}

func groupOf(guid string) string {
	if guid == "" {
		return ""
	}
	return "g:" + guid
}

// join puts the non-empty parts together with single spaces.
func join(parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

func quote(s string) string {
	if s == "" {
		return ""
	}
	return `"` + s + `"`
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func keyList(m map[string]any) string { return strings.Join(sortedKeys(m), ", ") }

// unixTime reads a Unix time in seconds or milliseconds (told apart by size), as a
// number or a numeric string.
func unixTime(v any, path string) (time.Time, bool) {
	n, err := strconv.ParseInt(Str(v, path), 10, 64)
	switch {
	case err != nil || n <= 0:
		return time.Time{}, false
	case n >= 1e12:
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}

// at formats a timestamp field as "at 14:03:07" in local time.
func at(v any, path string) string {
	t, ok := unixTime(v, path)
	if !ok {
		return ""
	}
	return "at " + t.Local().Format(time.TimeOnly)
}

// seconds is the interval between two timestamp fields, "42 s".
func seconds(v any, from, to string) string {
	a, ok1 := unixTime(v, from)
	b, ok2 := unixTime(v, to)
	if !ok1 || !ok2 || b.Before(a) {
		return ""
	}
	return secondsText(strconv.FormatFloat(b.Sub(a).Seconds(), 'f', -1, 64))
}

// secondsText formats a duration given in seconds as text ("21.433000" → "21.4 s").
func secondsText(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return ""
	}
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d s", int64(f))
	}
	return fmt.Sprintf("%.1f s", f)
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
