package webhook

import (
	"sort"
	"strings"
)

// Systems of CometChat webhooks. A trigger name can exist in both with different payloads.
const (
	Legacy = "legacy" // Dashboard → Settings → Legacy Webhooks
	V2     = "v2"     // Dashboard → Settings → Webhooks (the current system)
)

// Trigger describes one CometChat webhook trigger.
type Trigger struct {
	Name        string // as configured in the dashboard and the Management API
	PayloadName string // the payload's "trigger" value when it differs from Name
	System      string // Legacy or V2
	Category    string // message, user, group, call, moderation, campaign
	Description string // one line, sentence case
	Sync        bool   // CometChat waits for the answer and acts on it (only before_message)
}

var catalogue = []Trigger{
	{Name: "before_message", System: Legacy, Category: "message", Sync: true,
		Description: "A message is in flight: the answer is injected into its metadata or drops it"},
	{Name: "after_message", System: Legacy, Category: "message",
		Description: "A message was sent"},
	{Name: "message_delivery_receipt", System: Legacy, Category: "message",
		Description: "A message was marked delivered (legacy shape: data.messageId)"},
	{Name: "message_read_receipt", System: Legacy, Category: "message",
		Description: "A message was marked read (legacy shape: data.messageId)"},
	{Name: "user_connection_status_change", PayloadName: "after_connection_status_changed", System: Legacy, Category: "user",
		Description: "A user connected or disconnected (timestamps in milliseconds)"},
	{Name: "message_sent", System: V2, Category: "message",
		Description: "A message was sent"},
	{Name: "message_edited", System: V2, Category: "message",
		Description: "A message was edited (an action message about the edited one)"},
	{Name: "message_deleted", System: V2, Category: "message",
		Description: "A message was deleted (an action message about the deleted one)"},
	{Name: "message_delivery_receipt", System: V2, Category: "message",
		Description: "A message was marked delivered (data.body carries the receipt)"},
	{Name: "message_read_receipt", System: V2, Category: "message",
		Description: "A message was marked read (data.body carries the receipt)"},
	{Name: "message_reaction_added", System: V2, Category: "message",
		Description: "A reaction was added to a message"},
	{Name: "message_reaction_removed", System: V2, Category: "message",
		Description: "A reaction was removed from a message"},
	{Name: "user_mentioned", System: V2, Category: "message",
		Description: "A message mentioned a user (<@uid:...> in the text)"},
}

// PayloadTrigger is the value CometChat puts in the payload's "trigger" field.
func (t Trigger) PayloadTrigger() string {
	if t.PayloadName != "" {
		return t.PayloadName
	}
	return t.Name
}

// Catalogue returns every known trigger, sorted by name then system (legacy first).
func Catalogue() []Trigger {
	out := append([]Trigger(nil), catalogue...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].System < out[j].System
	})
	return out
}

// Lookup returns the trigger called name in system; an empty system prefers V2.
func Lookup(name, system string) (Trigger, bool) {
	var found Trigger
	ok := false
	for _, t := range catalogue {
		if t.Name != name && t.PayloadTrigger() != name {
			continue
		}
		if system != "" && t.System != system {
			continue
		}
		if !ok || t.System == V2 {
			found, ok = t, true
		}
	}
	return found, ok
}

// Suggest returns up to three known trigger names closest to name, closest first.
// Names that contain name (or are contained in it) count as close.
func Suggest(name string) []string {
	type cand struct {
		name string
		d    int
	}
	seen := map[string]bool{}
	var cs []cand
	for _, t := range catalogue {
		if seen[t.Name] {
			continue
		}
		seen[t.Name] = true
		d := levenshtein(name, t.Name)
		if name != "" && (strings.Contains(t.Name, name) || strings.Contains(name, t.Name)) {
			d = min(d, 2)
		}
		if d <= max(2, len(name)/4) {
			cs = append(cs, cand{t.Name, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
