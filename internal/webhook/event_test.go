package webhook

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr string
		trigger string
		webhook string
		appID   string
		region  string
	}{
		{name: "envelope", body: `{"trigger":"message_sent","webhook":"hook-1","appId":"app1","region":"eu","data":{}}`,
			trigger: "message_sent", webhook: "hook-1", appID: "app1", region: "eu"},
		{name: "surrounding whitespace", body: " \n{\"trigger\":\"x\"}\n\t", trigger: "x"},
		{name: "missing fields are empty", body: `{}`},
		{name: "numbers and booleans are formatted", body: `{"trigger":5,"webhook":true}`, trigger: "5", webhook: "true"},
		{name: "array", body: `[{"trigger":"x"}]`, wantErr: "not a JSON object"},
		{name: "string", body: `"x"`, wantErr: "not a JSON object"},
		{name: "number", body: `1`, wantErr: "not a JSON object"},
		{name: "null", body: `null`, wantErr: "not a JSON object"},
		{name: "empty", body: ``, wantErr: "not a JSON object"},
		{name: "truncated", body: `{"trigger":`, wantErr: "not a JSON object"},
		{name: "trailing object", body: `{"a":1} {"b":2}`, wantErr: "data after the JSON object"},
		{name: "trailing text", body: `{"a":1} x`, wantErr: "data after the JSON object"},
		{name: "trailing brace", body: `{"a":1}}`, wantErr: "data after the JSON object"},
		{name: "trailing bracket", body: `{"a":1}]`, wantErr: "data after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error containing %q", tt.body, e, err, tt.wantErr)
				}
				if e != nil {
					t.Errorf("an event came back with the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Trigger != tt.trigger || e.Webhook != tt.webhook || e.AppID != tt.appID || e.Region != tt.region {
				t.Errorf("event = %q %q %q %q, want %q %q %q %q", e.Trigger, e.Webhook, e.AppID, e.Region,
					tt.trigger, tt.webhook, tt.appID, tt.region)
			}
			if e.Payload == nil {
				t.Errorf("Payload is nil")
			}
		})
	}
}

func TestParseKeepsNumbersExact(t *testing.T) {
	e, err := Parse([]byte(`{"data":{"at":1736254790417,"big":12345678901234567890,"f":1.50,"id":"57"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{
		"data.at":  json.Number("1736254790417"),
		"data.big": json.Number("12345678901234567890"),
		"data.f":   json.Number("1.50"),
		"data.id":  "57",
	} {
		if got, _ := Get(e.Payload, path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	if got := Str(e.Payload, "data.at"); got != "1736254790417" {
		t.Errorf("Str(data.at) = %q, want the 13 digits", got)
	}
}

func TestGetStrObj(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(`{
		"a":{"b":{"c":"deep"}},
		"list":[{"url":"u0"},{"url":"u1"},[10,20]],
		"n":1.5,"t":true,"f":false,"z":null,"s":"text",
		"dotted.key":"unreachable"}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		found bool
		str   string
		obj   bool
	}{
		{path: "", found: true, obj: true},
		{path: "a", found: true, obj: true},
		{path: "a.b.c", found: true, str: "deep"},
		{path: "a.b.c.d", found: false},
		{path: "a.x", found: false},
		{path: "list.0.url", found: true, str: "u0"},
		{path: "list.1.url", found: true, str: "u1"},
		{path: "list.1", found: true, obj: true},
		{path: "list.2.1", found: true, str: "20"},
		{path: "list.3", found: false},
		{path: "list.-1", found: false},
		{path: "list.x", found: false},
		{path: "list", found: true},
		{path: "n", found: true, str: "1.5"},
		{path: "t", found: true, str: "true"},
		{path: "f", found: true, str: "false"},
		{path: "z", found: true},
		{path: "s", found: true, str: "text"},
		{path: "s.0", found: false},
		{path: "dotted.key", found: false},
		{path: "missing", found: false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, found := Get(doc, tt.path)
			if found != tt.found {
				t.Errorf("Get found = %v, want %v", found, tt.found)
			}
			if got := Str(doc, tt.path); got != tt.str {
				t.Errorf("Str = %q, want %q", got, tt.str)
			}
			if got := Obj(doc, tt.path); (got != nil) != tt.obj {
				t.Errorf("Obj = %v, want an object: %v", got, tt.obj)
			}
		})
	}
	if Str(nil, "a") != "" || Obj(nil, "a") != nil {
		t.Errorf("nil input should give empty results")
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		wantID string // the "id" of the message found; "-" for none
		sender string
	}{
		{name: "legacy after_message: data itself", body: `{"trigger":"after_message","data":{"id":"1","sender":"u1","category":"message","type":"text"}}`,
			wantID: "1", sender: "u1"},
		{name: "legacy before_message: no id", body: `{"trigger":"before_message","data":{"sender":"u1","category":"message","data":{"text":"hi"}}}`,
			wantID: "", sender: "u1"},
		{name: "v2 message", body: `{"trigger":"message_sent","data":{"message":{"id":"7","sender":"u2","category":"message"}}}`,
			wantID: "7", sender: "u2"},
		{name: "v2 call", body: `{"trigger":"call_initiated","data":{"call":{"id":"9","sender":"u3","category":"call","type":"audio"}}}`,
			wantID: "9", sender: "u3"},
		{name: "v2 receipt is not a message", body: `{"trigger":"message_read_receipt","data":{"sender":"u2","type":"receipts","body":{}}}`,
			wantID: "-"},
		{name: "legacy receipt is not a message", body: `{"trigger":"message_read_receipt","data":{"messageId":"1","receiptSender":"u2"}}`,
			wantID: "-"},
		{name: "sender not a string", body: `{"data":{"sender":{"uid":"u"},"category":"message"}}`, wantID: "-"},
		{name: "message not an object", body: `{"data":{"message":"hello"}}`, wantID: "-"},
		{name: "no data", body: `{"trigger":"x"}`, wantID: "-"},
		{name: "data not an object", body: `{"trigger":"x","data":[1]}`, wantID: "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			m := e.Message()
			if tt.wantID == "-" {
				if m != nil {
					t.Errorf("Message() = %v, want nil", m)
				}
				return
			}
			if m == nil {
				t.Fatal("Message() = nil")
			}
			if Str(m, "id") != tt.wantID || Str(m, "sender") != tt.sender {
				t.Errorf("Message() = %v, want id %q sender %q", m, tt.wantID, tt.sender)
			}
		})
	}
}

func TestFromPayloadSharesThePayload(t *testing.T) {
	m := map[string]any{"trigger": "message_sent", "data": map[string]any{"x": "y"}}
	e := FromPayload(m)
	if e.Trigger != "message_sent" || !reflect.DeepEqual(e.Data(), map[string]any{"x": "y"}) {
		t.Errorf("FromPayload = %+v", e)
	}
}
