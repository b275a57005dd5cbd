package webhook

import (
	"strings"
	"testing"

	"github.com/comethook/comethook/fixtures"
)

// FuzzParse feeds arbitrary bodies and paths to Parse and the path readers: Parse never
// panics, and on success Get, Str and Obj never panic whatever the path, and agree with
// each other.
func FuzzParse(f *testing.F) {
	paths := []string{"", "trigger", "data.message.id", "data.message.data.attachments.0.url",
		"data.0", "..", ".", "data..x", "-1", "data.-1", "9999999999999999999999", "data.message.data.entities.sender.entity.name"}
	for i, k := range fixtures.Keys() {
		raw, err := fixtures.Load(k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, paths[i%len(paths)])
	}
	for _, s := range []string{"", "null", "[]", "{}", `{"a":1} {"b":2}`, `{"a":1}x`, "{\"a\":\"\x1b]0;t\x07\"}", `{"data":[1,[2,{"x":3}]]}`,
		strings.Repeat("[", 10000), strings.Repeat(`{"a":`, 2000) + "1" + strings.Repeat("}", 2000), "{\"\xff\":\"\x00\"}",
		`{"trigger":1e999,"data":{"message":"x"}}`, `{"data":{"sender":"u","category":null}}`} {
		f.Add([]byte(s), "data.0.x")
	}
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		e, err := Parse(body)
		if err != nil {
			if e != nil {
				t.Fatalf("Parse returned an event and an error %v", err)
			}
			return
		}
		if e == nil || e.Payload == nil {
			t.Fatalf("Parse succeeded without a payload")
		}
		for _, p := range []string{path, "data." + path, "data.message." + path} {
			v, ok := Get(e.Payload, p)
			s := Str(e.Payload, p)
			o := Obj(e.Payload, p)
			if !ok && (s != "" || o != nil) {
				t.Fatalf("path %q: Get found nothing but Str=%q Obj=%v", p, s, o)
			}
			if o != nil {
				if _, isObj := v.(map[string]any); !isObj {
					t.Fatalf("path %q: Obj found an object where Get found %T", p, v)
				}
			}
		}
		e.Data()
		e.Message()
	})
}
