package webhook

import (
	"testing"

	"github.com/comethook/comethook/fixtures"
)

// FuzzSummarize feeds arbitrary payloads through everything listen does with a body that
// parses: the summary, the dedup key, the catalogue lookup. None may panic, whatever types
// a hostile or broken payload puts where CometChat puts others.
func FuzzSummarize(f *testing.F) {
	for _, k := range fixtures.Keys() {
		raw, err := fixtures.Load(k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"trigger":"call_ended","data":{"all_occupants":"x","created_at":[1],"destroyed_at":{}}}`))
	f.Add([]byte(`{"trigger":"group_member_scope_changed","data":{"members":{"a":1},"group":"g"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := Parse(body)
		if err != nil {
			return
		}
		Summarize(e)
		DedupKey(e)
		TriggerOf(e)
		e.Message()
	})
}
