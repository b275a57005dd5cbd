package simulate

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fresh ids. CometChat gives every event ids of its own (a message id, a reaction id, a call
// session id, a campaign's ids), and apps deduplicate on them, as CometChat advises: a second
// delivery with the same message id is a retry. So each body a Template renders is a new
// event: every id of the event gets a new value of the same form, and every other field that
// holds the same value (a reaction's messageId, an edit's entities.on.entity.id, a thread
// reply's parentId when it is that message, a transcript URL that names its tid) follows, so
// the payload stays self-consistent. Users (uid) and groups (guid) are the app's own entities
// and stay as they are; so do ids of things an event only points at (a template, a channel).

// idKeys are the fields that hold an id of the event itself.
var idKeys = map[string]bool{
	"id": true, "messageId": true, "muid": true, "sessionId": true, "sessionid": true, "session_id": true,
	"tid": true, "campaignId": true, "notificationId": true, "pushNotificationId": true, "_id": true,
}

// refersToID says whether a field may hold one of the event's ids by reference.
func refersToID(key string) bool {
	return idKeys[key] || strings.HasSuffix(key, "Id") || strings.HasSuffix(key, "id") || strings.HasSuffix(key, "_id")
}

// idKind is the form of an id, which its fresh value keeps.
type idKind int

const (
	numericID idKind = iota // "1042": message, reaction and call message ids
	muidID                  // "_k3v9q2m7xp": the client's message id
	sessionID               // "v1.us.<appId>.<time><hex>": call and meeting sessions
	uuidID                  // "f3b8c1d2-7a4e-4c9b-a6d5-2e1f0b9c8a73": transcripts
	objectID                // "677d13014f8a1b3c5d7e9f31": campaigns, notifications, feed items
)

// kindOf recognises the form of an id; ok is false for a value that is not one of the
// forms above (a template element's "el_1"): it stays as it is.
func kindOf(v string) (idKind, bool) {
	switch {
	case v == "":
		return 0, false
	case len(v) <= 18 && allIn(v, "0123456789"):
		return numericID, true
	case len(v) >= 6 && v[0] == '_' && allIn(v[1:], "abcdefghijklmnopqrstuvwxyz0123456789"):
		return muidID, true
	case strings.HasPrefix(v, "v1.") && strings.Count(v, ".") >= 3:
		return sessionID, true
	case len(v) == 36 && v[8] == '-' && v[13] == '-' && v[18] == '-' && v[23] == '-' && allIn(strings.ReplaceAll(v, "-", ""), "0123456789abcdef"):
		return uuidID, true
	case len(v) == 24 && allIn(v, "0123456789abcdef"):
		return objectID, true
	}
	return 0, false
}

func allIn(s, chars string) bool {
	for _, r := range s {
		if !strings.ContainsRune(chars, r) {
			return false
		}
	}
	return true
}

// numericIDs counts up from a random start, so that ids never repeat within a run and two
// runs almost never share one (CometChat's own are increasing numeric strings).
var numericIDs = sync.OnceValue(func() *atomic.Int64 {
	c := &atomic.Int64{}
	c.Store(10_000_000 + mrand.Int64N(80_000_000))
	return c
})

// next returns a new id of the same form as old.
func (k idKind) next(old string, now time.Time) string {
	switch k {
	case muidID:
		return "_" + randomOf("abcdefghijklmnopqrstuvwxyz0123456789", len(old)-1)
	case sessionID:
		i := strings.LastIndexByte(old, '.')
		tail := strconv.FormatInt(now.Unix(), 10)
		if n := len(old) - i - 1 - len(tail); n > 0 {
			tail += randomOf("0123456789abcdef", n)
		}
		return old[:i+1] + tail
	case uuidID:
		var b [16]byte
		for i := range b {
			b[i] = byte(mrand.Uint32())
		}
		b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80 // version 4, RFC 4122 variant
		h := hex.EncodeToString(b[:])
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	case objectID:
		return fmt.Sprintf("%08x", uint32(now.Unix())) + randomOf("0123456789abcdef", 16)
	}
	return strconv.FormatInt(numericIDs().Add(1), 10)
}

// randomOf draws n characters of chars. Ids need to be unlikely to repeat, not secret:
// math/rand/v2 is seeded from the OS and several times cheaper than crypto/rand here.
func randomOf(chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[mrand.IntN(len(chars))]
	}
	return string(b)
}

// idGroup is one id of the event: its value in the fixture and its form.
type idGroup struct {
	old  string
	kind idKind
}

// idField is one field that changes with the event's ids: it is one of them (whole >= 0),
// or a string that contains some (a URL).
type idField struct {
	obj   map[string]any
	key   string
	path  string
	str   bool // a JSON string (else a number)
	whole int  // the group this field is; -1 for a string that contains groups
	text  string
	parts []int
}

// findIDs finds the event's ids and every field that holds or contains one.
func (t *Template) findIDs(payload map[string]any) {
	index := map[string]int{}
	walkScalars(payload, "", func(obj map[string]any, key, path string, v string, _ bool) {
		if !idKeys[key] {
			return
		}
		if _, seen := index[v]; seen {
			return
		}
		if kind, ok := kindOf(v); ok {
			index[v] = len(t.groups)
			t.groups = append(t.groups, idGroup{old: v, kind: kind})
		}
	})
	if len(t.groups) == 0 {
		return
	}
	walkScalars(payload, "", func(obj map[string]any, key, path string, v string, str bool) {
		if g, ok := index[v]; ok && refersToID(key) {
			t.ids = append(t.ids, idField{obj: obj, key: key, path: path, str: str, whole: g})
			return
		}
		if !str {
			return
		}
		f := idField{obj: obj, key: key, path: path, str: true, whole: -1, text: v}
		for g, grp := range t.groups {
			if len(grp.old) >= 16 && strings.Contains(v, grp.old) { // long enough not to match by chance
				f.parts = append(f.parts, g)
			}
		}
		if len(f.parts) > 0 {
			t.ids = append(t.ids, f)
		}
	})
}

// walkScalars calls fn for every string and number field of an object, with its text.
func walkScalars(v any, path string, fn func(obj map[string]any, key, path, v string, str bool)) {
	switch n := v.(type) {
	case map[string]any:
		for k, child := range n {
			p := joinPath(path, k)
			switch c := child.(type) {
			case string:
				fn(n, k, p, c, true)
			case json.Number:
				fn(n, k, p, c.String(), false)
			default:
				walkScalars(child, p, fn)
			}
		}
	case []any:
		for i, child := range n {
			walkScalars(child, joinPath(path, strconv.Itoa(i)), fn)
		}
	}
}

// append writes the field's value for this body, fresh holding the new value of each group.
func (f idField) append(out []byte, groups []idGroup, fresh []string) ([]byte, error) {
	if f.whole >= 0 {
		if !f.str {
			return append(out, fresh[f.whole]...), nil
		}
		return strconv.AppendQuote(out, fresh[f.whole]), nil // ids are plain ASCII
	}
	s := f.text
	for _, g := range f.parts {
		s = strings.ReplaceAll(s, groups[g].old, fresh[g])
	}
	b, err := Marshal(s)
	return append(out, b...), err
}

// IDs is the new value of each id that bodies rendered with it share (see BodyWith).
type IDs struct {
	mu  sync.Mutex
	new map[string]string // by the id's value in the fixtures
}

// NewIDs returns an empty set of shared ids.
func NewIDs() *IDs { return &IDs{new: map[string]string{}} }

func (s *IDs) get(g idGroup, now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.new[g.old]
	if !ok {
		v = g.kind.next(g.old, now)
		s.new[g.old] = v
	}
	return v
}
