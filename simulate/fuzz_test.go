package simulate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/webhook"
)

// fuzzFixture decodes the bundled fixture number i (modulo their count), or fails the run.
func fuzzFixture(t testing.TB, i uint) ([]byte, map[string]any) {
	keys := fixtures.Keys()
	k := keys[int(i%uint(len(keys)))]
	raw, err := fixtures.Load(k)
	if err != nil {
		t.Fatal(err)
	}
	p, err := fixtures.Parse(k.Trigger+".json", raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw, p
}

// decodeBody reads a body as comethook does, numbers as json.Number; ok is false when it is
// not exactly one JSON object.
func decodeBody(b []byte) (map[string]any, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// FuzzSet parses arbitrary --set arguments and applies them to a realistic fixture:
// neither ParseSet nor Prepare panics, and when both succeed the value is readable at the
// path afterwards through webhook.Get, in the payload and in the rendered body.
func FuzzSet(f *testing.F) {
	seeds := []string{
		`data.message.data.text="hello"`, `data.message.data.text=hello`, `data.message.id=42`, `data.x.y.z=null`,
		`data.message.data.attachments.0.url="u"`, `data.message.data.attachments.9=1`, `data.message.data.attachments.-1=1`,
		`trigger.x=1`, `a..b=1`, `=1`, `a`, `.=1`, `a.=1`, `data={"message":{"sentAt":1696937627}}`, `data.message={}`,
		`data.message.sentAt="1696937627"`, `data.message.sentAt=1696937627000`, `x=[1,2,{"a":[]}]`, `x=1e999`,
		"data.message.data.text=\x1b]0;pwn\x07", `x= 1 `, `x=1 2`, `x="\ud800"`, `x.0=1`, `x=[];x.0=1`, `appId.0=1`,
		`data.message.data.entities.sender.entity.uid.x=1`, `data.members.0=1`, `x=` + strings.Repeat("[", 10001),
	}
	n := uint(len(fixtures.Keys()))
	for i, s := range seeds {
		f.Add(uint(i)%n, s)
	}
	for i := range n {
		f.Add(i, `data.message.data.text="seed"`)
	}
	f.Fuzz(func(t *testing.T, fixture uint, arg string) {
		set, err := ParseSet(arg)
		if err != nil {
			return
		}
		if set.Path == "" {
			t.Fatalf("ParseSet(%q) succeeded with an empty path", arg)
		}
		raw, payload := fuzzFixture(t, fixture)
		tpl, _, err := Prepare(payload, BuildOptions{Sets: []Set{set}, Raw: raw})
		if err != nil {
			if tpl != nil {
				t.Fatalf("Prepare(--set %q) returned a template and an error %v", arg, err)
			}
			if !strings.HasPrefix(err.Error(), "--set ") {
				t.Fatalf("Prepare(--set %q): error %q does not name --set", arg, err)
			}
			return
		}
		got, ok := webhook.Get(tpl.Payload(), set.Path)
		if !ok || !reflect.DeepEqual(got, set.Value) {
			t.Fatalf("--set %q: at %s after Prepare: %#v (found %v), want %#v", arg, set.Path, got, ok, set.Value)
		}
		body, err := tpl.Body(time.Unix(1_800_000_000, 0))
		if err != nil {
			// Values ParseSet accepts are JSON or strings: they always encode.
			t.Fatalf("--set %q: Body: %v", arg, err)
		}
		m, ok := decodeBody(body)
		if !ok {
			t.Fatalf("--set %q: body is not one JSON object: %q", arg, body)
		}
		got, ok = webhook.Get(m, set.Path)
		if !ok {
			t.Fatalf("--set %q: %s is missing from the body %s", arg, set.Path, body)
		}
		want, _ := json.Marshal(set.Value)
		if b, _ := json.Marshal(got); !jsonEqual(b, want) {
			t.Fatalf("--set %q: %s in the body is %s, want %s", arg, set.Path, b, want)
		}
	})
}

// jsonEqual compares two JSON texts by value, numbers by their text.
func jsonEqual(a, b []byte) bool {
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// FuzzBody renders arbitrary JSON objects through Prepare and Template.Body at arbitrary
// times: neither panics, and every body is one valid JSON object with the same keys at the
// top level.
func FuzzBody(f *testing.F) {
	for i := range uint(len(fixtures.Keys())) {
		raw, _ := fuzzFixture(f, i)
		f.Add(raw, int64(1_800_000_000_123), false)
	}
	for _, s := range []string{
		`{}`, `{"at":1696937627}`, `{"sentAt":"1696937627"}`, `{"at":1696937627000,"x":{"created_at":1696937627}}`,
		`{"at":9999999999,"b":{"at":1000000000000}}`, `{"a":[{"timestamp":1696937627},{"timestamp":"1696937627123"}]}`,
		`{"at":1e9}`, `{"at":"01696937627"}`, `{"at":" 1696937627"}`, `{"at":"+1696937627"}`, `{"at":-1696937627}`,
		`{"at":1696937627,"at":"x"}`, "{\"at\":\"\x1b\",\"t\":\"\\u2028<&>\"}", `{"startTime":1696937627,"endTime":1696937690}`,
		`{"x":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`,
	} {
		f.Add([]byte(s), int64(0), false)
		f.Add([]byte(s), int64(-1<<63), true)
		f.Add([]byte(s), int64(1<<63-1), false)
	}
	f.Fuzz(func(t *testing.T, raw []byte, nowMs int64, keep bool) {
		payload, err := fixtures.Parse("fz.json", raw)
		if err != nil {
			return
		}
		keys := len(payload)
		tpl, _, err := Prepare(payload, BuildOptions{KeepTimestamps: keep, Raw: raw})
		if err != nil {
			t.Fatalf("Prepare without options: %v", err)
		}
		for _, now := range []time.Time{time.UnixMilli(nowMs), time.UnixMilli(nowMs).Add(1500 * time.Millisecond)} {
			body, err := tpl.Body(now)
			if err != nil {
				t.Fatalf("Body(%v): %v", now, err)
			}
			m, ok := decodeBody(body)
			if !ok {
				t.Fatalf("Body(%v) is not one JSON object: %q", now, body)
			}
			if len(m) != keys {
				t.Fatalf("Body(%v) has %d top-level keys, the input %d", now, len(m), keys)
			}
		}
	})
}
