// Package webhook knows what CometChat sends: the envelope of every webhook, the message
// object most payloads carry, the trigger catalogue, and one-line summaries of events.
//
// It reads payloads only; building and delivering them is the simulate package's job.
package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Event is a decoded webhook payload. Numbers are kept as json.Number so ids and
// timestamps survive a round trip exactly.
type Event struct {
	Trigger string // the payload's "trigger" field
	Webhook string // the webhook's configured id
	AppID   string
	Region  string
	Payload map[string]any // the whole payload
}

// Parse decodes a webhook body. The body must be one JSON object.
func Parse(body []byte) (*Event, error) {
	m, err := Object(body)
	if err != nil {
		return nil, fmt.Errorf("payload %w", err)
	}
	return FromPayload(m), nil
}

// Object decodes body as one JSON object with nothing but space after it, numbers kept as
// written (json.Number). Payloads and before_message answers are both read this way.
func Object(body []byte) (map[string]any, error) {
	if m, ok := fastObject(body); ok {
		return m, nil
	}
	return slowObject(body)
}

// slowObject is Object by encoding/json: the reference fastObject is held to, and the one
// whose errors users see.
func slowObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("is not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("is not a JSON object: null")
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return nil, errors.New("has data after the JSON object")
	}
	return m, nil
}

// FromPayload wraps an already decoded payload.
func FromPayload(m map[string]any) *Event {
	return &Event{
		Trigger: Str(m, "trigger"),
		Webhook: Str(m, "webhook"),
		AppID:   Str(m, "appId"),
		Region:  Str(m, "region"),
		Payload: m,
	}
}

// Data returns the payload's "data" object, or nil.
func (e *Event) Data() map[string]any {
	d, _ := e.Payload["data"].(map[string]any)
	return d
}

// Message returns the message object the event is about, or nil: "data" itself for legacy
// before_message/after_message, "data.message" (or "data.call") for the current system.
func (e *Event) Message() map[string]any {
	d := e.Data()
	if d == nil {
		return nil
	}
	for _, k := range []string{"message", "call"} {
		if m, ok := d[k].(map[string]any); ok {
			return m
		}
	}
	if _, ok := d["sender"].(string); ok {
		if _, ok := d["category"]; ok {
			return d
		}
	}
	return nil
}

// Get walks a dotted path ("data.message.id", "attachments.0.url") through decoded JSON.
func Get(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for part := range strings.SplitSeq(path, ".") { // no slice: Get runs for every field shown
		switch n := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = n[part]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			v = n[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Str returns the value at path as text: strings as they are, numbers and booleans
// formatted, anything else (or nothing) as "".
func Str(v any, path string) string {
	x, _ := Get(v, path)
	switch s := x.(type) {
	case string:
		return s
	case json.Number:
		return s.String()
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(s)
	}
	return ""
}

// Obj returns the object at path, or nil.
func Obj(v any, path string) map[string]any {
	x, _ := Get(v, path)
	m, _ := x.(map[string]any)
	return m
}
