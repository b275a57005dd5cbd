package simulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/webhook"
)

// loadFixture returns a bundled fixture, raw and decoded.
func loadFixture(t *testing.T, sys fixtures.System, trigger string) ([]byte, map[string]any) {
	t.Helper()
	trigger, variant, _ := strings.Cut(trigger, "@")
	raw, err := fixtures.Load(fixtures.Key{System: sys, Trigger: trigger, Variant: variant})
	if err != nil {
		t.Fatal(err)
	}
	p, err := fixtures.Parse(trigger+".json", raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw, p
}

// decode reads a JSON body the way comethook does (numbers as json.Number).
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, b)
	}
	return m
}

func mustParse(t *testing.T, s string) map[string]any {
	t.Helper()
	return decode(t, []byte(s))
}

func lookup(t *testing.T, name, system string) webhook.Trigger {
	t.Helper()
	tr, ok := webhook.Lookup(name, system)
	if !ok {
		t.Fatalf("trigger %q (%s) not in the catalogue", name, system)
	}
	return tr
}

func TestParseSet(t *testing.T) {
	tests := []struct {
		in      string
		path    string
		want    any
		wantErr string
	}{
		{in: "data.data.text=hello", path: "data.data.text", want: "hello"},
		{in: `data.data.text="hello"`, path: "data.data.text", want: "hello"},
		{in: `data.data.text="42"`, path: "data.data.text", want: "42"},
		{in: "data.sentAt=1700000000", path: "data.sentAt", want: json.Number("1700000000")},
		{in: "data.x=-1.5e3", path: "data.x", want: json.Number("-1.5e3")},
		{in: "data.x=true", path: "data.x", want: true},
		{in: "data.x=false", path: "data.x", want: false},
		{in: "data.x=null", path: "data.x", want: nil},
		{in: `data.x={"a":1,"b":"c"}`, path: "data.x", want: map[string]any{"a": json.Number("1"), "b": "c"}},
		{in: `data.x=[1,"b"]`, path: "data.x", want: []any{json.Number("1"), "b"}},
		{in: "data.x= 5 ", path: "data.x", want: json.Number("5")},
		{in: "data.x=hello world", path: "data.x", want: "hello world"},
		{in: "data.x=true love", path: "data.x", want: "true love"},
		{in: "data.x=123abc", path: "data.x", want: "123abc"},
		{in: "data.x=1 2", path: "data.x", want: "1 2"},
		// Trailing brackets make the value invalid JSON: it must stay the text typed.
		{in: "data.x=1]", path: "data.x", want: "1]"},
		{in: `data.x={"a":1}}`, path: "data.x", want: `{"a":1}}`},
		{in: "data.x=", path: "data.x", want: ""},
		{in: "data.x=a=b", path: "data.x", want: "a=b"},
		{in: "data.x=<@uid:cometchat-uid-2>", path: "data.x", want: "<@uid:cometchat-uid-2>"},
		{in: "novalue", wantErr: "want path=value"},
		{in: "=x", wantErr: "want path=value"},
		{in: "a..b=1", wantErr: "empty segment"},
		{in: ".a=1", wantErr: "empty segment"},
		{in: "a.=1", wantErr: "empty segment"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSet(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSet(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "--set") {
					t.Errorf("error %q does not name the --set flag", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSet(%q): %v", tt.in, err)
			}
			if got.Path != tt.path || !reflect.DeepEqual(got.Value, tt.want) {
				t.Errorf("ParseSet(%q) = {%q %#v}, want {%q %#v}", tt.in, got.Path, got.Value, tt.path, tt.want)
			}
		})
	}
}

func hasNote(notes []string, sub string) bool {
	for _, n := range notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

func TestPrepareTrigger(t *testing.T) {
	t.Run("override notes the fixture's own trigger", func(t *testing.T) {
		_, p := loadFixture(t, fixtures.Legacy, "after_message")
		tpl, notes, err := Prepare(p, BuildOptions{Trigger: lookup(t, "before_message", webhook.Legacy), KeepTimestamps: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := webhook.Str(tpl.Payload(), "trigger"); got != "before_message" {
			t.Errorf("trigger = %q, want before_message", got)
		}
		if !hasNote(notes, `the fixture says trigger "after_message"; sending it as "before_message"`) {
			t.Errorf("notes %q do not mention the trigger override", notes)
		}
		if _, ok := webhook.Get(tpl.Payload(), "data.id"); ok {
			t.Errorf("data.id still present in a before_message payload")
		}
		if !hasNote(notes, "removed data.id") {
			t.Errorf("notes %q do not mention removing data.id", notes)
		}
	})
	t.Run("same trigger gives no note", func(t *testing.T) {
		_, p := loadFixture(t, fixtures.V2, "message_sent")
		_, notes, err := Prepare(p, BuildOptions{Trigger: lookup(t, "message_sent", "")})
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 0 {
			t.Errorf("notes = %q, want none", notes)
		}
	})
	t.Run("user_connection_status_change is sent under its payload name", func(t *testing.T) {
		p := mustParse(t, `{"trigger":"something_else","data":{}}`)
		tpl, notes, err := Prepare(p, BuildOptions{Trigger: lookup(t, "user_connection_status_change", webhook.Legacy)})
		if err != nil {
			t.Fatal(err)
		}
		if got := webhook.Str(tpl.Payload(), "trigger"); got != "after_connection_status_changed" {
			t.Errorf("trigger = %q, want after_connection_status_changed", got)
		}
		if !hasNote(notes, `"after_connection_status_changed"`) {
			t.Errorf("notes %q do not say what is sent", notes)
		}
	})
	t.Run("bundled connection fixture already has the payload name", func(t *testing.T) {
		_, p := loadFixture(t, fixtures.Legacy, "user_connection_status_change")
		tpl, notes, err := Prepare(p, BuildOptions{Trigger: lookup(t, "user_connection_status_change", webhook.Legacy)})
		if err != nil {
			t.Fatal(err)
		}
		if got := webhook.Str(tpl.Payload(), "trigger"); got != "after_connection_status_changed" || len(notes) != 0 {
			t.Errorf("trigger = %q, notes = %q; want after_connection_status_changed and no notes", got, notes)
		}
	})
	t.Run("missing trigger is set silently", func(t *testing.T) {
		p := mustParse(t, `{"data":{}}`)
		tpl, notes, err := Prepare(p, BuildOptions{Trigger: lookup(t, "message_sent", "")})
		if err != nil {
			t.Fatal(err)
		}
		if got := webhook.Str(tpl.Payload(), "trigger"); got != "message_sent" || len(notes) != 0 {
			t.Errorf("trigger = %q, notes = %q", got, notes)
		}
	})
}

func TestPrepareBeforeMessage(t *testing.T) {
	t.Run("v2 message_sent becomes the legacy in-flight shape", func(t *testing.T) {
		_, p := loadFixture(t, fixtures.V2, "message_sent")
		tpl, notes, err := Prepare(p, BuildOptions{Trigger: lookup(t, "before_message", webhook.Legacy), KeepTimestamps: true})
		if err != nil {
			t.Fatal(err)
		}
		pl := tpl.Payload()
		if _, ok := webhook.Get(pl, "data.message"); ok {
			t.Errorf("data.message still present")
		}
		if got := webhook.Str(pl, "data.sender"); got != "cometchat-uid-1" {
			t.Errorf("data.sender = %q, want the message moved into data", got)
		}
		if got := webhook.Str(pl, "data.data.text"); !strings.HasPrefix(got, "Are we still on") {
			t.Errorf("data.data.text = %q", got)
		}
		if _, ok := webhook.Get(pl, "data.id"); ok {
			t.Errorf("data.id still present")
		}
		for _, want := range []string{"moved data.message to data", "removed data.id"} {
			if !hasNote(notes, want) {
				t.Errorf("notes %q lack %q", notes, want)
			}
		}
		if e := webhook.FromPayload(pl); e.Message() == nil || webhook.Str(e.Message(), "receiver") != "cometchat-uid-2" {
			t.Errorf("the prepared event has no readable message")
		}
	})
	t.Run("bundled before_message needs no change", func(t *testing.T) {
		raw, p := loadFixture(t, fixtures.Legacy, "before_message")
		tpl, notes, err := Prepare(p, BuildOptions{Trigger: lookup(t, "before_message", ""), KeepTimestamps: true, Raw: raw})
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 0 {
			t.Errorf("notes = %q, want none", notes)
		}
		b, err := tpl.Body(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, raw) {
			t.Errorf("body differs from the fixture although nothing changed")
		}
	})
}

func TestPrepareIDs(t *testing.T) {
	_, p := loadFixture(t, fixtures.V2, "message_sent")
	tpl, _, err := Prepare(p, BuildOptions{WebhookID: "my-hook", AppID: "app42", KeepTimestamps: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tpl.Body(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	if m["webhook"] != "my-hook" || m["appId"] != "app42" {
		t.Errorf("webhook, appId = %v, %v; want my-hook, app42", m["webhook"], m["appId"])
	}
	if m["trigger"] != "message_sent" || m["region"] != "us" {
		t.Errorf("other envelope fields changed: %v, %v", m["trigger"], m["region"])
	}
}

func TestPrepareSets(t *testing.T) {
	const base = `{"trigger":"after_message","webhook":"w","data":{"sender":"u1","category":"message",
		"data":{"text":"hi","attachments":[{"url":"https://x.test/a.png"}],"nothing":null}}}`
	tests := []struct {
		name    string
		sets    []string
		check   map[string]any // path -> wanted value
		wantErr string
	}{
		{name: "replace a string", sets: []string{"data.data.text=bye"},
			check: map[string]any{"data.data.text": "bye"}},
		{name: "json value", sets: []string{`data.data.metadata={"tag":"vip"}`},
			check: map[string]any{"data.data.metadata.tag": "vip"}},
		{name: "creates missing objects", sets: []string{"data.data.metadata.a.b=1"},
			check: map[string]any{"data.data.metadata.a.b": json.Number("1")}},
		{name: "null on the way becomes an object", sets: []string{"data.data.nothing.x=y"},
			check: map[string]any{"data.data.nothing.x": "y"}},
		{name: "array index", sets: []string{"data.data.attachments.0.url=https://x.test/b.png"},
			check: map[string]any{"data.data.attachments.0.url": "https://x.test/b.png"}},
		{name: "array element replaced whole", sets: []string{`data.data.attachments.0={"url":"u"}`},
			check: map[string]any{"data.data.attachments.0.url": "u"}},
		{name: "array length appends", sets: []string{"data.data.attachments.1.url=https://x.test/c.png"},
			check: map[string]any{
				"data.data.attachments.0.url": "https://x.test/a.png",
				"data.data.attachments.1.url": "https://x.test/c.png",
			}},
		{name: "array length appends a value", sets: []string{"data.data.attachments.1=x"},
			check: map[string]any{"data.data.attachments.1": "x"}},
		{name: "applied in order", sets: []string{"data.data.text=one", "data.data.text=two"},
			check: map[string]any{"data.data.text": "two"}},
		{name: "top level", sets: []string{"webhook=other"},
			check: map[string]any{"webhook": "other"}},
		{name: "through a string", sets: []string{"data.data.text.x=1"}, wantErr: "data.data.text is a string, not an object"},
		{name: "through a number", sets: []string{"data.sender=5", "data.sender.x=1"}, wantErr: "data.sender is a number, not an object"},
		{name: "through a boolean", sets: []string{"data.b=true", "data.b.x=1"}, wantErr: "data.b is a boolean, not an object"},
		{name: "index past the end", sets: []string{"data.data.attachments.5.url=x"}, wantErr: "is an array of 1"},
		{name: "not an index", sets: []string{"data.data.attachments.first.url=x"}, wantErr: `"first" is not an index`},
		{name: "negative index", sets: []string{"data.data.attachments.-1=x"}, wantErr: "not an index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sets []Set
			for _, s := range tt.sets {
				set, err := ParseSet(s)
				if err != nil {
					t.Fatal(err)
				}
				sets = append(sets, set)
			}
			tpl, _, err := Prepare(mustParse(t, base), BuildOptions{Sets: sets})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if tpl != nil {
					t.Errorf("a template came back with the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := tpl.Body(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			m := decode(t, b)
			for path, want := range tt.check {
				got, ok := webhook.Get(m, path)
				if !ok || !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v (present %v), want %#v", path, got, ok, want)
				}
			}
		})
	}
}

// stampValue reads a timestamp field of a rendered body as an integer, and how it is spelled.
func stampValue(t *testing.T, m map[string]any, path string) (n int64, digits int, isString bool) {
	t.Helper()
	v, ok := webhook.Get(m, path)
	if !ok {
		t.Fatalf("%s missing", path)
	}
	var text string
	switch x := v.(type) {
	case json.Number:
		text = x.String()
	case string:
		text, isString = x, true
	default:
		t.Fatalf("%s is %T, want a number or numeric string", path, v)
	}
	if _, err := fmt.Sscan(text, &n); err != nil {
		t.Fatalf("%s = %q: %v", path, text, err)
	}
	return n, len(text), isString
}

func TestBodyShiftsSecondsKeepingIntervals(t *testing.T) {
	_, p := loadFixture(t, fixtures.V2, "message_edited@documented")
	orig := map[string]int64{}
	paths := []string{
		"data.message.sentAt",
		"data.message.updatedAt",
		"data.message.data.entities.by.entity.lastActiveAt",
		"data.message.data.entities.on.entity.sentAt",
		"data.message.data.entities.on.entity.editedAt",
	}
	for _, path := range paths {
		orig[path], _, _ = stampValue(t, p, path)
	}
	latest := orig["data.message.sentAt"] // 1736259045, the latest in the fixture
	tpl, _, err := Prepare(p, BuildOptions{KeepIDs: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 5, 6, 7, 8, 9, 500e6, time.UTC)
	b, err := tpl.Body(now)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	for _, path := range paths {
		got, digits, isStr := stampValue(t, m, path)
		want := now.Unix() - (latest - orig[path])
		if got != want {
			t.Errorf("%s = %d, want %d (now minus its original distance to the latest timestamp)", path, got, want)
		}
		if digits != 10 || isStr {
			t.Errorf("%s spelled with %d digits (string %v), want a 10-digit number", path, digits, isStr)
		}
	}
	// ids are numeric strings too, but not timestamps.
	if got := webhook.Str(m, "data.message.id"); got != "2" {
		t.Errorf("data.message.id = %q, want 2", got)
	}
	if got := webhook.Str(m, "data.message.data.entities.on.entity.id"); got != "1" {
		t.Errorf("edited message id = %q, want 1", got)
	}
}

func TestBodyShiftsMilliseconds(t *testing.T) {
	_, p := loadFixture(t, fixtures.Legacy, "user_connection_status_change")
	tpl, _, err := Prepare(p, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 5, 6, 7, 8, 9, 123e6, time.UTC)
	b, err := tpl.Body(now)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	for path, before := range map[string]int64{
		"data.user.status_updated_at":       0,
		"data.event.at":                     0,
		"data.event.event_for.connected_at": 5, // 1736254790412 vs the latest ...417
		"data.connections.0.connected_at":   5,
	} {
		got, digits, _ := stampValue(t, m, path)
		if want := now.UnixMilli() - before; got != want {
			t.Errorf("%s = %d, want %d", path, got, want)
		}
		if digits != 13 {
			t.Errorf("%s has %d digits, want 13 (milliseconds)", path, digits)
		}
	}
	// Bodies change every millisecond when the fixture has millisecond stamps.
	b2, _ := tpl.Body(now.Add(time.Millisecond))
	if got, _, _ := stampValue(t, decode(t, b2), "data.event.at"); got != now.UnixMilli()+1 {
		t.Errorf("one millisecond later: event.at = %d, want %d", got, now.UnixMilli()+1)
	}
}

func TestBodyMixedUnitsAndStrings(t *testing.T) {
	p := mustParse(t, `{"trigger":"recording_generated","data":{
		"sessionId":"v1.us.123","startTime":"1696937627","duration":"21.433000",
		"recordingDate":"2023-10-10","created_at":1696937600,"at":1696937627500,
		"membersCount":1696937627,"deliveredAt":null,"readAt":0,"id":"1696937627"}}`)
	tpl, _, err := Prepare(p, BuildOptions{KeepIDs: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	m := decode(t, must(tpl.Body(now)))
	// The latest stamp is "at" (ms, 1696937627500): it becomes now; the others keep their distance.
	if got, d, s := stampValue(t, m, "data.at"); got != now.UnixMilli() || d != 13 || s {
		t.Errorf("at = %d (%d digits, string %v), want %d", got, d, s, now.UnixMilli())
	}
	if got, d, s := stampValue(t, m, "data.startTime"); got != now.Unix()-1 || d != 10 || !s {
		t.Errorf("startTime = %d (%d digits, string %v), want the string %q", got, d, s, fmt.Sprint(now.Unix()-1))
	}
	if got, d, s := stampValue(t, m, "data.created_at"); got != now.Unix()-28 || d != 10 || s {
		t.Errorf("created_at = %d (%d digits, string %v), want %d", got, d, s, now.Unix()-28)
	}
	for path, want := range map[string]any{
		"data.duration":      "21.433000",
		"data.recordingDate": "2023-10-10",
		"data.membersCount":  json.Number("1696937627"),
		"data.deliveredAt":   nil,
		"data.readAt":        json.Number("0"),
		"data.id":            "1696937627",
		"data.sessionId":     "v1.us.123",
	} {
		if got, _ := webhook.Get(m, path); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want it untouched: %#v", path, got, want)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestBodyKeepsUserSetTimestamps(t *testing.T) {
	_, p := loadFixture(t, fixtures.V2, "message_sent")
	sets := []Set{
		{Path: "data.message.sentAt", Value: json.Number("1600000000")},
		{Path: "data.message.data.entities", Value: mustParse(t, `{"sender":{"entity":{"lastActiveAt":1500000000}}}`)},
	}
	tpl, _, err := Prepare(p, BuildOptions{Sets: sets})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	m := decode(t, must(tpl.Body(now)))
	if got, _, _ := stampValue(t, m, "data.message.sentAt"); got != 1600000000 {
		t.Errorf("sentAt = %d, want the value set with --set (1600000000)", got)
	}
	if got, _, _ := stampValue(t, m, "data.message.data.entities.sender.entity.lastActiveAt"); got != 1500000000 {
		t.Errorf("lastActiveAt under a --set object = %d, want 1500000000", got)
	}
	if got, _, _ := stampValue(t, m, "data.message.updatedAt"); got != now.Unix() {
		t.Errorf("updatedAt = %d, want now (%d): stamps not set by the user still move", got, now.Unix())
	}
}

func TestBodyKeepTimestamps(t *testing.T) {
	raw, p := loadFixture(t, fixtures.V2, "message_sent")
	tpl, _, err := Prepare(p, BuildOptions{KeepTimestamps: true, WebhookID: "other"})
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, must(tpl.Body(time.Now())))
	if got, _, _ := stampValue(t, m, "data.message.sentAt"); got != 1736259000 {
		t.Errorf("sentAt = %d, want the fixture's 1736259000", got)
	}
	if bytes.Equal(must(tpl.Body(time.Now())), raw) {
		t.Errorf("webhook id changed but the raw fixture was sent")
	}
}

func TestBodyRawWhenUnchanged(t *testing.T) {
	raw := []byte("{\n  \"trigger\": \"custom_thing\",\n  \"data\": {\"n\": 1.50, \"s\": \"<b>\"}\n}\n")
	p := decode(t, raw)
	tpl, notes, err := Prepare(p, BuildOptions{Raw: raw})
	if err != nil || len(notes) != 0 {
		t.Fatalf("err %v, notes %q", err, notes)
	}
	for _, now := range []time.Time{time.Now(), time.Now().Add(time.Hour)} {
		if b := must(tpl.Body(now)); !bytes.Equal(b, raw) {
			t.Errorf("Body = %q, want the fixture byte for byte", b)
		}
	}

	// With timestamps to refresh, the body is re-encoded.
	raw2, p2 := loadFixture(t, fixtures.V2, "message_sent")
	tpl2, _, _ := Prepare(p2, BuildOptions{Raw: raw2})
	if bytes.Equal(must(tpl2.Body(time.Now())), raw2) {
		t.Errorf("timestamps should have been refreshed")
	}
}

// Every body is a new event: each id of the event is new, of the same form, and every field
// that refers to it follows; the rest of the payload stays as it was.
func TestBodyFreshIDs(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	const num, oid = `^[1-9]\d{7}$`, `^70dbd880[0-9a-f]{16}$` // 2030-01-01 is 0x70dbd880
	session := `^v1\.us\.2512345abcdef678\.1893456000[0-9a-f]{34}$`
	tests := []struct {
		fixture, variant string
		ids              map[string]string // path of each id of the event: the form of its new value
		refs             []string          // fields that contain an id (set back before comparing)
	}{
		{fixture: "message_sent", ids: map[string]string{"data.message.id": num}},
		{fixture: "message_reaction_added", ids: map[string]string{"data.reaction.id": num, "data.reaction.messageId": num}},
		{fixture: "message_edited", variant: "documented", ids: map[string]string{"data.message.id": num, "data.message.data.entities.on.entity.id": num}},
		{fixture: "message_edited", ids: map[string]string{"data.message.id": num}},
		{fixture: "message_read_receipt", ids: map[string]string{"data.body.messageId": num}},
		{fixture: "call_initiated", ids: map[string]string{"data.call.id": num, "data.call.data.entities.on.entity.sessionid": session}},
		{fixture: "transcription_generated", ids: map[string]string{"data.sessionId": session,
			"data.tid": `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`}, refs: []string{"data.transcript_url"}},
		{fixture: "after_feed_item_sent", ids: map[string]string{"data.id": oid, "data.campaignId": oid, "data.notificationId": oid}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"@"+tt.variant, func(t *testing.T) {
			k, ok := fixtures.ResolveVariant(tt.fixture, fixtures.V2, tt.variant)
			if !ok {
				t.Fatalf("no fixture %v", k)
			}
			raw, err := fixtures.Load(k)
			if err != nil {
				t.Fatal(err)
			}
			orig := decode(t, raw)
			tpl, _, err := Prepare(decode(t, raw), BuildOptions{KeepTimestamps: true})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]string{}
			for range 3 {
				m := decode(t, must(tpl.Body(now)))
				for path, form := range tt.ids {
					got, was := webhook.Str(m, path), webhook.Str(orig, path)
					if got == was || !regexp.MustCompile(form).MatchString(got) {
						t.Errorf("%s = %q (was %q), want a new id matching %s", path, got, was, form)
					}
					if other, dup := seen[got]; dup {
						t.Errorf("%s = %q, already the id of %s in an earlier body", path, got, other)
					}
					seen[got] = path
				}
				// Nothing else changed.
				for path := range tt.ids {
					v, _ := webhook.Get(orig, path)
					setPath(m, path, v)
				}
				for _, path := range tt.refs {
					v, _ := webhook.Get(orig, path)
					setPath(m, path, v)
				}
				if !reflect.DeepEqual(m, orig) {
					t.Errorf("more than the ids changed:\n%s\nwant\n%s", must(Marshal(m)), must(Marshal(orig)))
				}
			}
		})
	}

	// A field that refers to the event's id follows it: a thread reply whose parentId is the
	// message itself, a URL naming the transcript.
	p := mustParse(t, `{"trigger":"message_sent","data":{"message":{"id":"1042","parentId":"1042","muid":"_abc123def","data":{"text":"hi"}},
		"reply":{"parentId":"7"}}}`)
	tpl, _, _ := Prepare(p, BuildOptions{})
	m := decode(t, must(tpl.Body(now)))
	id := webhook.Str(m, "data.message.id")
	if id == "1042" || webhook.Str(m, "data.message.parentId") != id {
		t.Errorf("id %s, parentId %s: want a new id, and the same in both", id, webhook.Str(m, "data.message.parentId"))
	}
	if muid := webhook.Str(m, "data.message.muid"); muid == "_abc123def" || !regexp.MustCompile(`^_[a-z0-9]{9}$`).MatchString(muid) {
		t.Errorf("muid %q, want a new one of the same form", muid)
	}
	if got := webhook.Str(m, "data.reply.parentId"); got != "7" {
		t.Errorf("a parentId naming another message changed: %q", got)
	}
	_, tr := loadFixture(t, fixtures.V2, "transcription_generated")
	tpl, _, _ = Prepare(tr, BuildOptions{})
	m = decode(t, must(tpl.Body(now)))
	if tid := webhook.Str(m, "data.tid"); !strings.Contains(webhook.Str(m, "data.transcript_url"), "/"+tid+".json") {
		t.Errorf("transcript_url %s does not name the new tid %s", webhook.Str(m, "data.transcript_url"), tid)
	}

	// KeepIDs sends them as they are; with the timestamps kept too, the file byte for byte.
	raw, p := loadFixture(t, fixtures.V2, "message_sent")
	tpl, _, _ = Prepare(p, BuildOptions{KeepIDs: true})
	if got := webhook.Str(decode(t, must(tpl.Body(now))), "data.message.id"); got != "1" {
		t.Errorf("KeepIDs: id %q, want the fixture's 1", got)
	}
	tpl, _, _ = Prepare(decode(t, raw), BuildOptions{KeepIDs: true, KeepTimestamps: true, Raw: raw})
	if b := must(tpl.Body(now)); !bytes.Equal(b, raw) {
		t.Errorf("KeepIDs and KeepTimestamps: the body is not the file byte for byte")
	}
	// An id the user sets with --set is theirs.
	tpl, _, _ = Prepare(decode(t, raw), BuildOptions{Sets: []Set{{Path: "data.message.id", Value: "77"}}})
	if got := webhook.Str(decode(t, must(tpl.Body(now))), "data.message.id"); got != "77" {
		t.Errorf("--set data.message.id=77: id %q", got)
	}
}

func TestBodyConcurrent(t *testing.T) {
	_, p := loadFixture(t, fixtures.V2, "message_edited@documented")
	tpl, _, err := Prepare(p, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				now := base.Add(time.Duration((g*7+i)%13) * time.Second)
				b, err := tpl.Body(now)
				if err != nil {
					errs <- err.Error()
					return
				}
				var m map[string]any
				dec := json.NewDecoder(bytes.NewReader(b))
				dec.UseNumber()
				if err := dec.Decode(&m); err != nil {
					errs <- err.Error()
					return
				}
				sent := webhook.Str(m, "data.message.sentAt")
				edited := webhook.Str(m, "data.message.data.entities.on.entity.sentAt")
				if sent != fmt.Sprint(now.Unix()) || edited != fmt.Sprint(now.Unix()-45) {
					errs <- fmt.Sprintf("now %d: sentAt %s, edited message sentAt %s", now.Unix(), sent, edited)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestMarshal(t *testing.T) {
	b, err := Marshal(map[string]any{"text": "<@uid:cometchat-uid-2> & <b>co</b>", "n": json.Number("1736259000")})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"n":1736259000,"text":"<@uid:cometchat-uid-2> & <b>co</b>"}`
	if string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}

	_, p := loadFixture(t, fixtures.V2, "user_mentioned")
	tpl, _, _ := Prepare(p, BuildOptions{})
	body := must(tpl.Body(time.Now()))
	if !bytes.Contains(body, []byte(`"<@uid:cometchat-uid-2> can you bring the trail map?"`)) || bytes.Contains(body, []byte(`\u003c`)) {
		t.Errorf("mention escaped in the body: %s", body)
	}
	if bytes.HasSuffix(body, []byte("\n")) {
		t.Errorf("body ends with a newline")
	}
}

// BenchmarkBody: what a fresh body costs per request of --count, beside re-encoding the
// payload each time (the naive way to give each body new ids).
func BenchmarkBody(b *testing.B) {
	raw, err := fixtures.Load(fixtures.Key{System: fixtures.V2, Trigger: "message_sent"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for _, keep := range []bool{false, true} {
		name := map[bool]string{false: "fresh-ids", true: "keep-ids"}[keep]
		b.Run(name, func(b *testing.B) {
			p, _ := fixtures.Parse("message_sent", raw)
			tpl, _, _ := Prepare(p, BuildOptions{KeepIDs: keep})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tpl.Body(now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("marshal-baseline", func(b *testing.B) {
		p, _ := fixtures.Parse("message_sent", raw)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Marshal(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
