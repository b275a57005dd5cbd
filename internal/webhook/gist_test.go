package webhook

import (
	"strings"
	"testing"

	"github.com/comethook/comethook/fixtures"
)

// TestGistShowsWhatMatters checks, for every bundled fixture, that the one-line summary
// carries the fields a developer looks for without opening the JSON.
func TestGistShowsWhatMatters(t *testing.T) {
	want := map[string][]string{
		"user_blocked":                      {"cometchat-uid-2", "blocked cometchat-uid-5"},
		"user_unblocked":                    {"cometchat-uid-2", "unblocked cometchat-uid-5"},
		"user_connection_status_changed":    {"cometchat-uid-1", "disconnected", "javascript", "at "},
		"group_created":                     {"g:support", `"Support"`, "created", "cometchat-uid-1"},
		"group_updated":                     {"g:support", "updated", "cometchat-uid-1"},
		"group_deleted":                     {"g:support", "deleted"},
		"group_member_added":                {"g:support", "added cometchat-uid-2, cometchat-uid-3", "cometchat-uid-1"},
		"group_member_banned":               {"g:support", "banned cometchat-uid-4"},
		"group_member_unbanned":             {"g:support", "unbanned cometchat-uid-4"},
		"group_member_kicked":               {"g:support", "kicked cometchat-uid-3"},
		"group_member_joined":               {"g:support", "cometchat-uid-4", "joined"},
		"group_member_left":                 {"g:support", "cometchat-uid-1", "left"},
		"group_member_scope_changed":        {"g:support", "cometchat-uid-2 participant → moderator", "cometchat-uid-1"},
		"group_owner_transferred":           {"g:support", "owner cometchat-uid-1 → cometchat-uid-2"},
		"call_initiated":                    {"cometchat-uid-1", "g:support", "video call initiated", "session v1.us."},
		"call_busy":                         {"audio call busy"},
		"call_cancelled":                    {"audio call cancelled"},
		"call_rejected":                     {"audio call rejected"},
		"call_unanswered":                   {"audio call unanswered"},
		"call_started":                      {"session v1.us.", "started", "at "},
		"call_participant_joined":           {"George Alan", "joined session", "at "},
		"call_participant_left":             {"Nancy Grace", "left session"},
		"call_ended":                        {"session v1.us.", "3 participants", "42 s"},
		"meeting_started":                   {"session v1.us.", "started"},
		"meeting_participant_joined":        {"John Paul", "joined session"},
		"meeting_participant_left":          {"John Paul", "left session"},
		"meeting_ended":                     {"session v1.us.", "participant"},
		"recording_generated":               {"session v1.us.", "recording", " s", "https://"},
		"transcription_generated":           {"session v1.us.", "transcript", "https://"},
		"moderation_engine_approved":        {"#15", "approved", "image trailhead.jpg image/jpeg 240 KB"},
		"moderation_engine_blocked":         {"#16", "disapproved", "rule: profanity", "crap weekend"},
		"moderation_manual_approved":        {"#16", "approved", "rule: profanity"},
		"moderation_engine_failed":          {"#15", "http_5xx", "503"},
		"after_campaign_completed":          {"campaign", `"Weekend trail safety"`, "completed"},
		"after_campaign_failed":             {"campaign", "failed"},
		"after_notification_created":        {"notification 677d13004f8a1b3c5d7e9f21", "dispatching"},
		"after_feed_item_sent":              {"feed item", "sent"},
		"after_feed_item_delivered":         {"feed item", "delivered"},
		"after_feed_item_read":              {"feed item", "read"},
		"after_feed_item_interacted":        {"feed item"},
		"after_push_notification_sent":      {"push notification 677d13014f8a1b3c5d7e9f41", "sent"},
		"after_push_notification_delivered": {"push notification", "delivered"},
		"after_push_notification_clicked":   {"push notification", "clicked"},
		"message_delivered_to_all":          {"g:support", "deliveredToAll #"},
		"message_read_by_all":               {"g:support", "readByAll #"},
	}
	for _, k := range fixtures.Keys() {
		subs, ok := want[k.Trigger]
		if !ok {
			continue // the message triggers have exact expectations in TestSummarizeFixtures
		}
		t.Run(k.Trigger, func(t *testing.T) {
			e := fixtureEvent(t, k)
			s := Summarize(e)
			line := strings.Join([]string{s.From, s.To, s.Gist, s.Text, s.By}, " | ")
			for _, sub := range subs {
				if !strings.Contains(line, sub) {
					t.Errorf("summary %q lacks %q", line, sub)
				}
			}
		})
	}
	for trig := range want {
		if _, ok := Lookup(trig, V2); !ok {
			t.Errorf("%s is not in the catalogue", trig)
		}
	}
}

func TestDedupKeys(t *testing.T) {
	for _, k := range fixtures.Keys() {
		raw, _ := fixtures.Load(k)
		e, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		key, _ := DedupKey(e)
		if key == "" {
			t.Errorf("%s/%s: no dedup key from its own fixture", k.System, k.Trigger)
		}
	}
	// The documented key of message_sent: webhook + trigger + message id.
	e, _ := Parse([]byte(`{"trigger":"message_sent","webhook":"w","data":{"message":{"id":"9"}}}`))
	if key, inferred := DedupKey(e); key != "w|message_sent|9" || inferred {
		t.Errorf("message_sent key = %q inferred=%v", key, inferred)
	}
	// Legacy and v2 receipts share a name; the shape decides.
	legacy, _ := Parse([]byte(`{"trigger":"message_read_receipt","webhook":"w","data":{"messageId":"1","receiptSender":"a","receiptType":"read"}}`))
	if tr, _ := TriggerOf(legacy); tr.System != Legacy {
		t.Errorf("legacy receipt taken for %s", tr.System)
	}
	v2, _ := Parse([]byte(`{"trigger":"message_read_receipt","webhook":"w","data":{"sender":"a","body":{"messageId":"1","action":"read"}}}`))
	if tr, _ := TriggerOf(v2); tr.System != V2 {
		t.Errorf("v2 receipt taken for %s", tr.System)
	}
	if key, _ := DedupKey(&Event{Trigger: "something_new", Payload: map[string]any{}}); key != "" {
		t.Errorf("unknown trigger got key %q", key)
	}
}
