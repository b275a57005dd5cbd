package webhook

import (
	"reflect"
	"testing"

	"github.com/comethook/comethook/fixtures"
)

// fastObject gives exactly what encoding/json gives, or gives up; never something else.
func FuzzFastObject(f *testing.F) {
	for _, k := range fixtures.Keys() {
		if b, err := fixtures.Load(k); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{`{}`, `{"a":1e5,"b":-0.5E-3,"c":[true,false,null,{}],"a":"last"}`, `{"t":"\u00e9\ud83d\ude00\n\"\\/"}`,
		`{"bad":"\ud800x"}`, "{\"raw\":\"\xff\xfe\"}", `{"n":01}`, `{"n":1.}`, `{"x":1}  `, `{"x":1} x`, `[1]`, `null`, `{"a":[1,]}`,
		"{\"c\":\"\x01\"}", `{"deep":[[[[[[[[[[]]]]]]]]]]}`, `{"k":-}`, ` {"k":"v"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := fastObject(body)
		if !ok {
			return // Object asks encoding/json
		}
		slow, err := slowObject(body)
		if err != nil {
			t.Fatalf("fastObject took %q, which encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fastObject(%q)\n got %#v\nwant %#v", body, fast, slow)
		}
	})
}

// Every bundled payload takes the fast path: otherwise it would not speed listen up.
func TestFixturesTakeTheFastPath(t *testing.T) {
	for _, k := range fixtures.Keys() {
		b, err := fixtures.Load(k)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := fastObject(b); !ok {
			t.Errorf("%v: fastObject gave up", k)
		}
	}
}

func BenchmarkObject(b *testing.B) {
	body, err := fixtures.Load(fixtures.Key{System: fixtures.Legacy, Trigger: "before_message"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			fastObject(body)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			slowObject(body)
		}
	})
}
