package webhook

import (
	"sort"
	"strings"
)

// TriggerOf finds the catalogue entry for an event, telling the legacy and v2 shapes of a
// shared trigger name apart by where the payload keeps its data.
func TriggerOf(e *Event) (Trigger, bool) {
	var best Trigger
	found := false
	for _, t := range catalogue {
		if t.PayloadTrigger() != e.Trigger {
			continue
		}
		if _, ok := Get(e.Payload, t.Shape); !ok {
			if !found {
				best, found = t, true // keep as a fallback
			}
			continue
		}
		if !found || len(t.Shape) > len(best.Shape) {
			best, found = t, true
		}
	}
	return best, found
}

// DedupKey returns the key that identifies the event across deliveries: the webhook, the
// trigger and the values at the trigger's dedup paths. It is "" when the trigger is unknown
// or a field is missing. inferred is true when CometChat does not document the key.
func DedupKey(e *Event) (key string, inferred bool) {
	t, ok := TriggerOf(e)
	if !ok || len(t.Dedup) == 0 {
		return "", false
	}
	parts := make([]string, 0, 2+len(t.Dedup))
	parts = append(parts, e.Webhook, e.Trigger)
	for _, p := range t.Dedup {
		v, ok := Get(e.Payload, p)
		if !ok {
			return "", false
		}
		switch x := v.(type) {
		case map[string]any: // members, users: the set of uids
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts = append(parts, strings.Join(keys, ","))
		default:
			parts = append(parts, Str(e.Payload, p))
		}
	}
	return strings.Join(parts, "|"), t.DedupInferred
}
