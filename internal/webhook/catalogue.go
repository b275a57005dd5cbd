package webhook

import (
	"path"
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
	Category    string // message, user, group, call, meeting, moderation, campaign
	Description string // one line, sentence case
	Shape       string // where the payload keeps what it is about, e.g. "data.message"
	Sync        bool   // CometChat waits for the answer and acts on it (only before_message)
	// Dedup lists the payload paths that, with webhook and trigger, identify one event:
	// a second delivery with the same values is a retry or a duplicate.
	Dedup []string
	// DedupInferred says CometChat does not document Dedup for this trigger: the key is
	// comethook's heuristic (cometchat-webhooks.md §2.3).
	DedupInferred bool
	// Unverified marks triggers seen in the dashboard or live traffic but not in the docs.
	Unverified bool
}

// Category names, in the order `comethook fixtures` groups them.
var Categories = []string{"message", "user", "group", "call", "meeting", "moderation", "campaign"}

func entry(name, system, category, shape, desc string, dedup ...string) Trigger {
	return Trigger{Name: name, System: system, Category: category, Shape: shape, Description: desc,
		Dedup: dedup, DedupInferred: true}
}

// documented marks the trigger's dedup key as CometChat's own.
func documented(tr Trigger) Trigger { tr.DedupInferred = false; return tr }

func unverified(tr Trigger) Trigger { tr.Unverified = true; return tr }

var catalogue = []Trigger{
	// Legacy Webhooks (Dashboard → Settings → Legacy Webhooks).
	{Name: "before_message", System: Legacy, Category: "message", Shape: "data", Sync: true, DedupInferred: true,
		Dedup:       []string{"data.sender", "data.sentAt", "data.data.text"},
		Description: "A message is in flight: the answer is injected into its metadata or drops it"},
	entry("after_message", Legacy, "message", "data", "A message was sent", "data.id"),
	entry("message_delivery_receipt", Legacy, "message", "data", "A message was marked delivered (legacy shape: data.messageId)",
		"data.messageId", "data.receiptSender", "data.receiptType"),
	entry("message_read_receipt", Legacy, "message", "data", "A message was marked read (legacy shape: data.messageId)",
		"data.messageId", "data.receiptSender", "data.receiptType"),
	{Name: "user_connection_status_change", PayloadName: "after_connection_status_changed", System: Legacy, Category: "user",
		Shape: "data.user", Dedup: []string{"data.user.uid", "data.event.at"}, DedupInferred: true,
		Description: "A user connected or disconnected (arrives as after_connection_status_changed; timestamps in milliseconds)"},

	// Webhooks (Dashboard → Settings → Webhooks).
	documented(entry("message_sent", V2, "message", "data.message", "A message was sent", "data.message.id")),
	entry("message_edited", V2, "message", "data.message", "A message was edited (default: the message itself, as observed live; documented: an action message)", "data.message.id", "data.message.updatedAt"),
	entry("message_deleted", V2, "message", "data.message", "A message was deleted (default: the message itself, as observed live; documented: an action message)", "data.message.id", "data.message.updatedAt"),
	entry("message_delivery_receipt", V2, "message", "data.body", "A message was marked delivered (data.body carries the receipt)",
		"data.body.messageId", "data.sender", "data.body.action"),
	entry("message_read_receipt", V2, "message", "data.body", "A message was marked read (data.body carries the receipt)",
		"data.body.messageId", "data.sender", "data.body.action"),
	unverified(entry("message_delivered_to_all", V2, "message", "data.body", "A group message reached every member (observed, not documented)",
		"data.body.messageId", "data.body.action")),
	unverified(entry("message_read_by_all", V2, "message", "data.body", "A group message was read by every member (observed, not documented)",
		"data.body.messageId", "data.body.action")),
	entry("message_reaction_added", V2, "message", "data.reaction", "A reaction was added to a message", "data.reaction.id", "data.reaction.reactedAt"),
	entry("message_reaction_removed", V2, "message", "data.reaction", "A reaction was removed from a message", "data.reaction.id", "data.reaction.reactedAt"),
	entry("user_mentioned", V2, "message", "data.message", "A message mentioned a user (<@uid:...> in the text)", "data.message.id"),
	// In the dashboard's trigger list, never documented nor seen firing (cometchat-webhooks.md §9):
	// the payloads are comethook's guess, shaped like the reactions' (the message, who, when).
	unverified(entry("message_pinned", V2, "message", "data.message", "A message was pinned (dashboard trigger; payload not documented, shape assumed)", "data.message.id", "data.pinnedAt")),
	unverified(entry("message_unpinned", V2, "message", "data.message", "A message was unpinned (dashboard trigger; payload not documented, shape assumed)", "data.message.id", "data.unpinnedAt")),
	unverified(entry("conversation_pinned", V2, "message", "data.conversation", "A conversation was pinned (dashboard trigger; payload not documented, shape assumed)", "data.conversation.conversationId", "data.pinnedAt")),
	unverified(entry("conversation_unpinned", V2, "message", "data.conversation", "A conversation was unpinned (dashboard trigger; payload not documented, shape assumed)", "data.conversation.conversationId", "data.unpinnedAt")),

	entry("user_connection_status_changed", V2, "user", "data.user", "A user connected or disconnected (timestamps in milliseconds)",
		"data.user.uid", "data.timestamp"),
	entry("user_blocked", V2, "user", "data.users", "A user blocked others", "data.by.uid", "data.users"),
	entry("user_unblocked", V2, "user", "data.users", "A user unblocked others", "data.by.uid", "data.users"),

	entry("group_created", V2, "group", "data.group", "A group was created", "data.group.guid", "data.group.createdAt"),
	entry("group_updated", V2, "group", "data.group", "A group's details changed", "data.group.guid", "data.group.updatedAt"),
	entry("group_deleted", V2, "group", "data.group", "A group was deleted", "data.group.guid", "data.group.updatedAt"),
	entry("group_owner_transferred", V2, "group", "data.group", "A group got a new owner", "data.group.guid", "data.group.owner", "data.group.updatedAt"),
	entry("group_member_added", V2, "group", "data.members", "Members were added to a group", "data.group.guid", "data.group.updatedAt", "data.members"),
	entry("group_member_joined", V2, "group", "data.members", "A user joined a group", "data.group.guid", "data.group.updatedAt", "data.members"),
	entry("group_member_left", V2, "group", "data.members", "A member left a group", "data.group.guid", "data.group.updatedAt", "data.members"),
	entry("group_member_kicked", V2, "group", "data.members", "A member was kicked from a group", "data.group.guid", "data.group.updatedAt", "data.members"),
	// Listed in one docs table (webhooks overview), absent from the Management API's trigger
	// list, no payload anywhere: assumed shaped like group_member_kicked (cometchat-webhooks.md §4.2).
	unverified(entry("group_member_removed", V2, "group", "data.members", "A member was removed from a group (in one docs table only; shape assumed like kicked)", "data.group.guid", "data.group.updatedAt", "data.members")),
	entry("group_member_banned", V2, "group", "data.members", "A member was banned from a group", "data.group.guid", "data.group.updatedAt", "data.members"),
	entry("group_member_unbanned", V2, "group", "data.members", "A member was unbanned", "data.group.guid", "data.group.updatedAt", "data.members"),
	entry("group_member_scope_changed", V2, "group", "data.members", "A member's scope changed (e.g. participant → moderator)",
		"data.group.guid", "data.group.updatedAt", "data.members"),

	documented(entry("call_initiated", V2, "call", "data.call", "A call was started: the callee's phone rings", "data.call.id", "data.call.sentAt")),
	documented(entry("call_started", V2, "call", "data", "A call session began", "data.sessionId", "data.created_at")),
	documented(entry("call_participant_joined", V2, "call", "data.occupant", "Someone joined a call", "data.sessionId", "data.occupant.joined_at")),
	documented(entry("call_participant_left", V2, "call", "data.occupant", "Someone left a call", "data.sessionId", "data.occupant.left_at")),
	documented(entry("call_ended", V2, "call", "data", "A call ended", "data.sessionId", "data.destroyed_at")),
	documented(entry("call_busy", V2, "call", "data.call", "The callee was busy (1-on-1 calls)", "data.call.id", "data.call.sentAt")),
	documented(entry("call_cancelled", V2, "call", "data.call", "The caller hung up before an answer", "data.call.id", "data.call.sentAt")),
	documented(entry("call_rejected", V2, "call", "data.call", "The callee rejected the call (1-on-1 calls)", "data.call.id", "data.call.sentAt")),
	documented(entry("call_unanswered", V2, "call", "data.call", "Nobody answered the call", "data.call.id", "data.call.sentAt")),

	documented(entry("meeting_started", V2, "meeting", "data", "A meeting (call session) began", "data.sessionId", "data.created_at")),
	documented(entry("meeting_participant_joined", V2, "meeting", "data.occupant", "Someone joined a meeting", "data.sessionId", "data.occupant.joined_at")),
	documented(entry("meeting_participant_left", V2, "meeting", "data.occupant", "Someone left a meeting", "data.sessionId", "data.occupant.left_at")),
	documented(entry("meeting_ended", V2, "meeting", "data", "A meeting ended", "data.sessionId", "data.destroyed_at")),
	documented(entry("recording_generated", V2, "meeting", "data", "A call recording is ready to download", "data.sessionId", "data.startTime")),
	entry("transcription_generated", V2, "meeting", "data", "A call transcript is ready to download", "data.sessionId", "data.tid"),

	entry("moderation_engine_approved", V2, "moderation", "data.message", "Moderation rules let a message through", "data.message.id"),
	entry("moderation_engine_blocked", V2, "moderation", "data.message", "Moderation rules blocked a message", "data.message.id"),
	entry("moderation_manual_approved", V2, "moderation", "data.message", "A moderator approved a blocked message", "data.message.id"),
	entry("moderation_engine_failed", V2, "moderation", "data.resource", "A moderation check could not run (e.g. your moderation API failed)",
		"data.resource.id", "data.completedAt"),

	entry("after_campaign_completed", V2, "campaign", "data", "A campaign finished sending", "data.campaignId", "data.status"),
	entry("after_campaign_failed", V2, "campaign", "data", "A campaign failed", "data.campaignId", "data.status"),
	entry("after_notification_created", V2, "campaign", "data", "A notification was created", "data.notificationId"),
	entry("after_feed_item_sent", V2, "campaign", "data", "A feed item was sent", "data.id", "data.status"),
	entry("after_feed_item_delivered", V2, "campaign", "data", "A feed item was delivered", "data.id", "data.status"),
	entry("after_feed_item_read", V2, "campaign", "data", "A feed item was read", "data.id", "data.status"),
	entry("after_feed_item_interacted", V2, "campaign", "data", "Someone interacted with a feed item", "data.id", "data.status"),
	entry("after_push_notification_sent", V2, "campaign", "data", "A push notification was sent", "data.pushNotificationId", "data.status"),
	entry("after_push_notification_delivered", V2, "campaign", "data", "A push notification was delivered", "data.pushNotificationId", "data.status"),
	entry("after_push_notification_clicked", V2, "campaign", "data", "A push notification was clicked", "data.pushNotificationId", "data.status"),
}

// PayloadTrigger is the value CometChat puts in the payload's "trigger" field.
func (t Trigger) PayloadTrigger() string {
	if t.PayloadName != "" {
		return t.PayloadName
	}
	return t.Name
}

// Names returns the names one trigger goes by: the name itself and, for the legacy
// connection-status trigger, the other one (the dashboard's user_connection_status_change
// arrives as after_connection_status_changed). A name the catalogue does not know is its
// only name.
func Names(name string) []string {
	for _, t := range catalogue {
		if t.PayloadName != "" && (t.Name == name || t.PayloadName == name) {
			return []string{t.Name, t.PayloadName}
		}
	}
	return []string{name}
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
		d := EditDistance(name, t.Name)
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

// EditDistance is the Levenshtein distance between a and b, in bytes: what "did you mean"
// suggestions rank by.
func EditDistance(a, b string) int {
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

// syncTriggers are the payload trigger names CometChat waits on (Trigger.Sync), made once:
// the receiver asks for every delivery.
var syncTriggers = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range catalogue {
		if t.Sync {
			m[t.PayloadTrigger()] = true
		}
	}
	return m
}()

// IsSync says whether CometChat waits for the answer to a payload with this trigger and acts
// on it (before_message): the catalogue is the one place that knows.
func IsSync(trigger string) bool { return syncTriggers[trigger] }

// Match says whether trigger matches one of the -t patterns (path.Match globs: message_*),
// by any of its names (user_connection_status_change matches the payloads that say
// after_connection_status_changed). No patterns match everything. listen, events and replay
// filter with it.
func Match(patterns []string, trigger string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, name := range Names(trigger) {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
	}
	return false
}

// MatchesKnown says whether the pattern matches any trigger of the catalogue, by either name:
// a typo in -t would otherwise filter everything out in silence.
func MatchesKnown(pattern string) bool {
	for _, t := range catalogue {
		if Match([]string{pattern}, t.Name) || Match([]string{pattern}, t.PayloadTrigger()) {
			return true
		}
	}
	return false
}
