package webhook

import (
	"testing"
	"time"

	"github.com/comethook/comethook/fixtures"
)

// TestSummarizeFixtures summarises every bundled fixture. Each known fixture has the exact
// summary a developer should see; a fixture added later must at least not summarise to nothing.
func TestSummarizeFixtures(t *testing.T) {
	want := map[fixtures.Key]Summary{
		{System: fixtures.Legacy, Trigger: "before_message"}:                {From: "cometchat-uid-5", To: "cometchat-uid-4", Text: "Hi there 👋"},
		{System: fixtures.Legacy, Trigger: "after_message"}:                 {From: "cometchat-uid-5", To: "cometchat-uid-4", Text: "Hi there 👋", Gist: "#1042"},
		{System: fixtures.Legacy, Trigger: "message_delivery_receipt"}:      {From: "cometchat-uid-4", To: "cometchat-uid-5", Gist: "delivered #1042 (legacy receipt)"},
		{System: fixtures.Legacy, Trigger: "message_read_receipt"}:          {From: "cometchat-uid-4", To: "cometchat-uid-5", Gist: "read #1042 (legacy receipt)"},
		{System: fixtures.Legacy, Trigger: "user_connection_status_change"}: {From: "cometchat-uid-4", Gist: "connected web " + localAt(t, fixtures.Key{System: fixtures.Legacy, Trigger: "user_connection_status_change"}, "data.event.at")},
		{System: fixtures.V2, Trigger: "message_sent"}: {From: "cometchat-uid-1", To: "cometchat-uid-2",
			Text: "Are we still on for the hike on Saturday? 🥾", Gist: "#1"},
		{System: fixtures.V2, Trigger: "message_edited"}: {From: "cometchat-uid-1", To: "cometchat-uid-2",
			Text: "Are we still on for the hike on Sunday? 🥾", Gist: "edited #1"},
		{System: fixtures.V2, Trigger: "message_deleted"}: {From: "cometchat-uid-1", To: "cometchat-uid-2",
			Text: "Are we still on for the hike on Sunday? 🥾", Gist: "deleted #1"}, // live shape: the message, its last text
		{System: fixtures.V2, Trigger: "message_deleted", Variant: "documented"}: {From: "cometchat-uid-1", To: "cometchat-uid-2", Gist: "deleted #1"},
		{System: fixtures.V2, Trigger: "message_edited", Variant: "documented"}: {From: "cometchat-uid-1", To: "cometchat-uid-2",
			Text: "Are we still on for the hike on Sunday? 🥾", Gist: "edited #1"},
		{System: fixtures.V2, Trigger: "message_delivery_receipt"}: {From: "cometchat-uid-2", To: "cometchat-uid-1", Gist: "delivered #1 (v2 receipt)"},
		{System: fixtures.V2, Trigger: "message_read_receipt"}:     {From: "cometchat-uid-2", To: "cometchat-uid-1", Gist: "read #1 (v2 receipt)"},
		{System: fixtures.V2, Trigger: "message_reaction_added"}:   {Gist: "👍 on #1", By: "cometchat-uid-2"},
		{System: fixtures.V2, Trigger: "message_reaction_removed"}: {Gist: "👍 on #1", By: "cometchat-uid-2"},
		{System: fixtures.V2, Trigger: "user_mentioned"}: {From: "cometchat-uid-1", To: "cometchat-uid-2",
			Text: "<@uid:cometchat-uid-2> can you bring the trail map?", Gist: "#4 mentions @George Alan"},
	}
	keys := fixtures.Keys()
	if len(keys) == 0 {
		t.Fatal("no bundled fixtures")
	}
	seen := map[fixtures.Key]bool{}
	for _, k := range keys {
		seen[k] = true
		t.Run(string(k.System)+"/"+k.Trigger+"@"+k.Variant, func(t *testing.T) {
			e := fixtureEvent(t, k)
			got := Summarize(e)
			w, ok := want[k]
			if !ok {
				// A fixture added since: it gets at least the generic summary; add its
				// exact summary above.
				if got.From == "" && got.Gist == "" && got.Text == "" {
					t.Errorf("new fixture summarised as nothing: %+v", got)
				}
				t.Logf("no expected summary for this fixture; got %+v", got)
				return
			}
			if got != w {
				t.Errorf("Summarize =\n  %+v\nwant\n  %+v", got, w)
			}
		})
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("fixture %s/%s is no longer bundled", k.System, k.Trigger)
		}
	}
}

func TestSummarizeShapes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Summary
	}{
		{name: "group receiver",
			body: `{"trigger":"message_sent","data":{"message":{"id":"5","sender":"u1","receiver":"hikers","receiverType":"group",
				"category":"message","type":"text","data":{"text":"hello all"}}}}`,
			want: Summary{From: "u1", To: "g:hikers", Text: "hello all", Gist: "#5"}},
		{name: "legacy group receiver",
			body: `{"trigger":"after_message","data":{"id":"5","sender":"u1","receiver":"hikers","receiverType":"group",
				"category":"message","type":"text","data":{"text":"hi"}}}`,
			want: Summary{From: "u1", To: "g:hikers", Text: "hi", Gist: "#5"}},
		{name: "group receipt (legacy)",
			body: `{"trigger":"message_read_receipt","data":{"messageId":"8","receiptType":"read","messageSender":"u1",
				"receiptSender":"u2","receiptReceiver":"hikers","receiverType":"group"}}`,
			want: Summary{From: "u2", To: "u1", Gist: "read #8 (legacy receipt)"}},
		{name: "image attachment",
			body: `{"trigger":"message_sent","data":{"message":{"id":"6","sender":"u1","receiver":"u2","receiverType":"user",
				"category":"message","type":"image","data":{"url":"https://x.test/p.png",
				"attachments":[{"url":"https://x.test/p.png","name":"trail.png","mimeType":"image/png","extension":"png","size":"245760"}]}}}}`,
			want: Summary{From: "u1", To: "u2", Gist: "#6 [image trail.png image/png 240 KB]"}},
		{name: "file attachment with a numeric size",
			body: `{"trigger":"message_sent","data":{"message":{"id":"6","sender":"u1","receiver":"u2","category":"message","type":"file",
				"data":{"attachments":[{"name":"map.pdf","mimeType":"application/pdf","size":3145728}]}}}}`,
			want: Summary{From: "u1", To: "u2", Gist: "#6 [file map.pdf application/pdf 3.0 MB]"}},
		{name: "small attachment",
			body: `{"trigger":"message_sent","data":{"message":{"id":"6","sender":"u1","category":"message","type":"audio",
				"data":{"attachments":[{"name":"a.m4a","size":"512"}]}}}}`,
			want: Summary{From: "u1", Gist: "#6 [audio a.m4a 512 B]"}},
		{name: "media without attachments",
			body: `{"trigger":"message_sent","data":{"message":{"id":"6","sender":"u1","category":"message","type":"video","data":{}}}}`,
			want: Summary{From: "u1", Gist: "#6 [video]"}},
		{name: "media caption kept",
			body: `{"trigger":"before_message","data":{"sender":"u1","category":"message","type":"image",
				"data":{"text":"look","attachments":[{"name":"a.jpg"}]}}}`,
			want: Summary{From: "u1", Text: "look", Gist: "[image a.jpg]"}},
		{name: "custom message",
			body: `{"trigger":"message_sent","data":{"message":{"id":"7","sender":"u1","receiver":"u2","category":"custom","type":"location",
				"data":{"customData":{"latitude":"50.6","longitude":"-1.2"}}}}}`,
			want: Summary{From: "u1", To: "u2", Gist: "#7 custom:location {latitude, longitude}"}},
		{name: "thread reply",
			body: `{"trigger":"message_sent","data":{"message":{"id":"9","parentId":"3","sender":"u1","receiver":"u2",
				"category":"message","type":"text","data":{"text":"in the thread"}}}}`,
			want: Summary{From: "u1", To: "u2", Text: "in the thread", Gist: "#9 in thread #3"}},
		{name: "mentions sorted, uid when no name",
			body: `{"trigger":"user_mentioned","data":{"message":{"id":"4","sender":"u1","category":"message","type":"text",
				"data":{"text":"<@uid:u3> <@uid:u2> <@uid:u9>","mentions":{"u3":{"uid":"u3","name":"Zoe"},"u2":{"uid":"u2","name":"Adam"},"u9":{"uid":"u9"}}}}}}`,
			want: Summary{From: "u1", Text: "<@uid:u3> <@uid:u2> <@uid:u9>", Gist: "#4 mentions @Adam, @Zoe, @u9"}},
		{name: "edited as observed live: the message itself",
			body: `{"trigger":"message_edited","data":{"message":{"id":"1","sender":"u1","receiver":"u2","category":"message",
				"type":"text","data":{"text":"new text"},"editedAt":1736259045}}}`,
			want: Summary{From: "u1", To: "u2", Text: "new text", Gist: "edited #1"}},
		{name: "deleted as observed live",
			body: `{"trigger":"message_deleted","data":{"message":{"id":"1","sender":"u1","receiver":"u2","category":"message","type":"text","data":{}}}}`,
			want: Summary{From: "u1", To: "u2", Gist: "deleted #1"}},
		{name: "edit by a moderator: the actor is entities.by",
			body: `{"trigger":"message_edited","data":{"message":{"id":"2","sender":"u1","receiver":"g1","receiverType":"group",
				"category":"action","type":"message","data":{"action":"edited","entities":{"by":{"entity":{"uid":"mod"}},
				"on":{"entity":{"id":"1","data":{"text":"cleaned"}}}}}}}}`,
			want: Summary{From: "mod", To: "g:g1", Text: "cleaned", Gist: "edited #1"}},
		{name: "action without by falls back to the sender",
			body: `{"trigger":"message_deleted","data":{"message":{"id":"3","sender":"u1","category":"action","type":"message",
				"data":{"action":"deleted","entities":{"on":{"entity":{"id":"1"}}}}}}}`,
			want: Summary{From: "u1", Gist: "deleted #1"}},
		{name: "call",
			body: `{"trigger":"call_initiated","data":{"call":{"id":"11","sender":"u1","receiver":"u2","receiverType":"user","category":"call","type":"audio"}}}`,
			want: Summary{From: "u1", To: "u2", Gist: "#11 audio call"}},
		{name: "v2 connection status",
			body: `{"trigger":"user_connection_status_changed","data":{"timestamp":1736259001000,"user":{"uid":"u5","name":"N"},
				"status":"offline","currentConnection":{"action":"disconnected","platform":"javascript"}}}`,
			want: Summary{From: "u5", Gist: "disconnected javascript at " + time.UnixMilli(1736259001000).Local().Format(time.TimeOnly)}},
		{name: "user blocked",
			body: `{"trigger":"user_blocked","data":{"users":{"u2":{"uid":"u2"}},"by":{"uid":"u1","name":"A"}}}`,
			want: Summary{From: "u1", Gist: "blocked u2"}},
		{name: "unknown trigger with a sender",
			body: `{"trigger":"something_new","data":{"sender":"u7","zeta":1,"alpha":{}}}`,
			want: Summary{From: "u7", Gist: "data: alpha, sender, zeta"}},
		{name: "group event",
			body: `{"trigger":"group_created","data":{"group":{"guid":"g1"},"members":{}}}`,
			want: Summary{To: "g:g1", Gist: "created"}},
		{name: "no data",
			body: `{"trigger":"mystery"}`,
			want: Summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := Summarize(e); got != tt.want {
				t.Errorf("Summarize =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

// localAt is how a summary shows the fixture's timestamp at path: "at 14:03:07", local time.
func localAt(t *testing.T, k fixtures.Key, path string) string {
	t.Helper()
	return at(fixtureEvent(t, k).Payload, path)
}

// fixtureEvent loads and decodes a bundled fixture.
func fixtureEvent(t *testing.T, k fixtures.Key) *Event {
	t.Helper()
	raw, err := fixtures.Load(k)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
