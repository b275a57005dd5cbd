// Package simulate plays CometChat's part: it builds payloads as CometChat would, delivers
// them like CometChat does, and applies CometChat's rules to the endpoint's answer.
//
// Rules that CometChat documents are applied as documented; the ones it leaves open are
// applied as labelled assumptions that the caller can change (see Rules).
package simulate

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/comethook/comethook/internal/webhook"
)

// Set is one --set override: a dotted path and the value to put there.
type Set struct {
	Path  string
	Value any
}

// ParseSet reads "path=value". The value is taken as JSON when it is valid JSON
// (numbers, true, null, objects, quoted strings) and as a plain string otherwise.
func ParseSet(s string) (Set, error) {
	path, val, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return Set{}, fmt.Errorf("--set %q: want path=value, e.g. data.data.text=\"hello\"", s)
	}
	if !utf8.ValidString(path) {
		// JSON keys are text: the body would carry U+FFFD where the path has a stray byte.
		return Set{}, fmt.Errorf("--set %q: path %q is not valid UTF-8", s, path)
	}
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			return Set{}, fmt.Errorf("--set %q: empty segment in path %q", s, path)
		}
	}
	dec := json.NewDecoder(strings.NewReader(val))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && strings.TrimSpace(val[dec.InputOffset():]) == "" {
		return Set{Path: path, Value: v}, nil
	}
	return Set{Path: path, Value: val}, nil
}

// BuildOptions say how to turn a fixture into the payload CometChat would send.
type BuildOptions struct {
	Trigger        webhook.Trigger // sets the payload's "trigger" field; zero keeps the fixture's
	WebhookID      string          // sets "webhook" when not empty
	AppID          string          // sets "appId" when not empty
	Sets           []Set           // applied last, in order
	KeepTimestamps bool            // send the fixture's timestamps as they are
	// KeepIDs sends the event's own ids as they are (a retry, a redelivery). Otherwise every
	// body is a new event: new message, reaction, call session, campaign ids (see ids.go).
	KeepIDs bool
	// Raw is the fixture as read. When nothing needs changing it is sent byte for byte.
	Raw []byte
}

// Template is a prepared payload. Body renders it with timestamps shifted so that the
// latest one is "now", which keeps the intervals between them (a call's start and end),
// and with fresh ids for the event unless they are kept. It is encoded once, with a
// placeholder in every field that changes, so that a body is a few appends.
type Template struct {
	payload map[string]any
	stamps  []stamp
	ids     []idField
	groups  []idGroup
	latest  int64 // latest original timestamp, in milliseconds
	millis  bool  // some timestamp is in milliseconds
	pieces  []piece
	raw     []byte // sent as it is when set: nothing was changed
}

// stamp is one timestamp field found in the fixture.
type stamp struct {
	obj    map[string]any
	key    string
	path   string
	ms     int64 // original value in milliseconds
	millis bool  // the field holds milliseconds (else seconds)
	str    bool  // the field is a numeric string ("1696937627")
}

// piece is a run of the encoded payload, then (when field >= 0) the field that follows it:
// an index into the stamps, or into the ids after them.
type piece struct {
	lit   []byte
	field int
}

// Prepare applies the options to a decoded fixture (which it takes over) and returns the
// template to render bodies from, with notes for the user about what it changed.
func Prepare(payload map[string]any, o BuildOptions) (*Template, []string, error) {
	var notes []string
	changed := false
	if o.Trigger.Name != "" {
		want := o.Trigger.PayloadTrigger()
		if had, _ := payload["trigger"].(string); had != want {
			if had != "" {
				notes = append(notes, fmt.Sprintf("the fixture says trigger %q; sending it as %q", had, want))
			}
			payload["trigger"] = want
			changed = true
		}
	}
	if t, _ := payload["trigger"].(string); webhook.IsSync(t) {
		notes = append(notes, toBeforeMessage(payload)...)
	}
	for k, v := range map[string]string{"webhook": o.WebhookID, "appId": o.AppID} {
		if v != "" && payload[k] != v {
			payload[k] = v
			changed = true
		}
	}
	t := &Template{payload: payload}
	if !o.KeepTimestamps {
		t.findStamps(payload, "")
	}
	if !o.KeepIDs {
		t.findIDs(payload)
	}
	for _, s := range o.Sets {
		if err := setPath(payload, s.Path, s.Value); err != nil {
			return nil, nil, err
		}
		t.forget(s.Path)
	}
	for _, s := range t.stamps {
		t.latest = max(t.latest, s.ms)
		t.millis = t.millis || s.millis
	}
	if !changed && len(notes) == 0 && len(o.Sets) == 0 && len(t.stamps) == 0 && len(t.ids) == 0 {
		t.raw = o.Raw
	}
	if err := t.compile(); err != nil {
		return nil, nil, err
	}
	return t, notes, nil
}

// compile encodes the payload once with a unique placeholder string in each field that
// changes per body, and splits the encoding at the placeholders.
func (t *Template) compile() error {
	if t.raw != nil {
		return nil
	}
	var nonce [8]byte
	rand.Read(nonce[:])
	mark := `\u0000` + fmt.Sprintf("%x:", nonce) // how a placeholder's start looks encoded
	type saved struct {
		obj map[string]any
		key string
		v   any
	}
	var restore []saved
	put := func(obj map[string]any, key string, i int) {
		restore = append(restore, saved{obj, key, obj[key]})
		obj[key] = fmt.Sprintf("\x00%x:%d\x00", nonce, i)
	}
	for i, s := range t.stamps {
		put(s.obj, s.key, i)
	}
	for i, f := range t.ids {
		put(f.obj, f.key, len(t.stamps)+i)
	}
	b, err := Marshal(t.payload)
	for _, r := range slices.Backward(restore) {
		r.obj[r.key] = r.v
	}
	if err != nil {
		return err
	}
	for {
		at := bytes.Index(b, []byte(`"`+mark))
		if at < 0 {
			t.pieces = append(t.pieces, piece{lit: b, field: -1})
			return nil
		}
		rest := b[at+1+len(mark):]
		end := bytes.Index(rest, []byte(`\u0000"`))
		i, err := strconv.Atoi(string(rest[:end]))
		if err != nil {
			return fmt.Errorf("encoding the payload: placeholder %q", rest[:end])
		}
		t.pieces = append(t.pieces, piece{lit: b[:at], field: i})
		b = rest[end+len(`\u0000"`):]
	}
}

// toBeforeMessage makes a captured message look like one still in flight.
func toBeforeMessage(p map[string]any) []string {
	var notes []string
	data, _ := p["data"].(map[string]any)
	if msg, ok := data["message"].(map[string]any); ok {
		p["data"] = msg
		data = msg
		notes = append(notes, "moved data.message to data: before_message carries the message directly in data (legacy shape)")
	}
	if _, ok := data["id"]; ok {
		delete(data, "id")
		notes = append(notes, "removed data.id: before_message runs before CometChat stores the message, so it has no id yet")
	}
	return notes
}

// Payload returns the prepared payload with the fixture's own timestamps.
func (t *Template) Payload() map[string]any { return t.payload }

// Body renders the payload as JSON with timestamps moved to now and, unless kept, new ids
// for the event. It is safe for concurrent use.
func (t *Template) Body(now time.Time) ([]byte, error) { return t.BodyWith(now, nil) }

// BodyWith is Body with the new ids taken from ids where it has them (and added to it where
// it has not), so that several bodies are about the same message, call or group: the steps
// of a scenario. A nil ids gives every body ids of its own.
func (t *Template) BodyWith(now time.Time, ids *IDs) ([]byte, error) {
	if t.raw != nil {
		return t.raw, nil
	}
	delta := now.UnixMilli() - t.latest
	if !t.millis {
		delta = (now.Unix() - t.latest/1000) * 1000
	}
	fresh := make([]string, len(t.groups))
	for i, g := range t.groups {
		if ids != nil {
			fresh[i] = ids.get(g, now)
		} else {
			fresh[i] = g.kind.next(g.old, now)
		}
	}
	n := 0
	for _, p := range t.pieces {
		n += len(p.lit) + 24
	}
	out := make([]byte, 0, n)
	for _, p := range t.pieces {
		out = append(out, p.lit...)
		switch {
		case p.field < 0:
		case p.field < len(t.stamps):
			s := t.stamps[p.field]
			v := s.ms + delta
			if !s.millis {
				v /= 1000
			}
			if s.str {
				out = append(out, '"')
			}
			out = strconv.AppendInt(out, v, 10)
			if s.str {
				out = append(out, '"')
			}
		default:
			f := t.ids[p.field-len(t.stamps)]
			var err error
			if out, err = f.append(out, t.groups, fresh); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Marshal encodes JSON the way CometChat sends it: compact, without escaping <, > and &
// (mentions look like <@uid:cometchat-uid-2>).
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// isStampKey says whether a field name holds an event time in CometChat payloads.
func isStampKey(k string) bool {
	switch k {
	case "timestamp", "at", "startTime", "endTime":
		return true
	}
	return strings.HasSuffix(k, "At") || strings.HasSuffix(k, "_at")
}

func (t *Template) findStamps(v any, path string) {
	switch n := v.(type) {
	case map[string]any:
		for k, child := range n {
			p := joinPath(path, k)
			if isStampKey(k) {
				if s, ok := asStamp(n, k, child); ok {
					s.path = p
					t.stamps = append(t.stamps, s)
					continue
				}
			}
			t.findStamps(child, p)
		}
	case []any:
		for i, child := range n {
			t.findStamps(child, joinPath(path, strconv.Itoa(i)))
		}
	}
}

// asStamp recognises Unix times in seconds (10 digits) or milliseconds (13 digits),
// as numbers or numeric strings.
func asStamp(obj map[string]any, key string, v any) (stamp, bool) {
	var text string
	s := stamp{obj: obj, key: key}
	switch x := v.(type) {
	case json.Number:
		text = x.String()
	case string:
		text, s.str = x, true
	default:
		return s, false
	}
	n, err := strconv.ParseInt(text, 10, 64)
	switch {
	case err != nil:
		return s, false
	case n >= 1e9 && n < 1e10:
		s.ms = n * 1000
	case n >= 1e12 && n < 1e13:
		s.ms, s.millis = n, true
	default:
		return s, false
	}
	return s, true
}

// forget stops refreshing timestamps and ids that the user set explicitly (or that sit
// under a path the user replaced).
func (t *Template) forget(path string) {
	t.stamps = slices.DeleteFunc(t.stamps, func(s stamp) bool { return overlaps(s.path, path) })
	t.ids = slices.DeleteFunc(t.ids, func(f idField) bool { return overlaps(f.path, path) })
}

// overlaps says whether one dotted path is the other or lies under it.
func overlaps(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(b, a+".")
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// setPath puts v at a dotted path, creating objects on the way. Numeric segments index
// arrays (the length appends).
func setPath(root map[string]any, path string, v any) error {
	parts := strings.Split(path, ".")
	var cur any = root
	var replace func(any) // puts a grown array back where cur was found
	for i, part := range parts {
		last := i == len(parts)-1
		here := strings.Join(parts[:i], ".")
		switch n := cur.(type) {
		case map[string]any:
			if last {
				n[part] = v
				return nil
			}
			next, ok := n[part]
			if !ok || next == nil {
				next = map[string]any{}
				n[part] = next
			}
			replace = func(x any) { n[part] = x }
			cur = next
		case []any:
			idx, err := strconv.Atoi(part)
			if err != nil || idx < 0 || idx > len(n) {
				return fmt.Errorf("--set %s: %s is an array of %d; %q is not an index in it", path, here, len(n), part)
			}
			if idx == len(n) {
				n = append(n, map[string]any{})
				replace(n)
			}
			replace = func(x any) { n[idx] = x }
			if last {
				n[idx] = v
				return nil
			}
			cur = n[idx]
		default:
			return fmt.Errorf("--set %s: %s is a %s, not an object", path, here, kind(cur))
		}
	}
	return errors.New("unreachable")
}

func kind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return "value"
}
