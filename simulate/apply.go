package simulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/comethook/comethook/internal/webhook"
)

// Outcome is what happened to a delivery, in the one vocabulary comethook uses everywhere.
type Outcome string

// The outcome words (design.md §3).
const (
	Delivered Outcome = "delivered" // 2xx, nothing changed
	Injected  Outcome = "injected"  // before_message answered a JSON object: stored in the message's metadata
	Dropped   Outcome = "dropped"   // before_message answered {"action":"do_not_propagate"}
	Failed    Outcome = "failed"    // non-2xx, timeout, connection error, or an answer CometChat cannot use
	Rejected  Outcome = "rejected"  // listen only: comethook refused the request itself
)

// Outcomes lists the outcome words in the order comethook counts them.
func Outcomes() []Outcome { return []Outcome{Delivered, Injected, Dropped, Failed, Rejected} }

// Rules are the before_message behaviours CometChat does not document. Each default is an
// assumption (cometchat-webhooks.md §5.3) that the user can change.
type Rules struct {
	InjectEmpty bool // a {} answer is injected as {} (true) or ignored (false)
	DropInvalid bool // a 2xx answer that is not a JSON object drops the message
	DropOnError bool // a non-2xx answer or connection error drops the message
	DropTimeout bool // no answer in time drops the message
}

// DefaultRules fail open, as CometChat's extensions do when they time out.
func DefaultRules() Rules {
	return Rules{InjectEmpty: true}
}

// Verdict is what CometChat would do with an answer.
type Verdict struct {
	Outcome Outcome
	Reason  string // why it failed; empty otherwise
	// Drop says CometChat drops the message (before_message only).
	Drop bool
	// Injected is the object stored under @injected.webhooks.<webhook id>.
	Injected map[string]any
	// Assumptions name the undocumented rules the verdict rests on, and the flag that changes each.
	Assumptions []string
	// Warnings are things the developer should know even when it worked.
	Warnings []string
}

// DropAnswer is the documented before_message answer that drops a message.
var DropAnswer = []byte(`{"action":"do_not_propagate"}`)

// Apply predicts what CometChat does with an endpoint's answer to the event.
func Apply(e *webhook.Event, r Response, rules Rules) Verdict {
	sync := webhook.IsSync(e.Trigger)
	var v Verdict
	switch {
	case r.Err != nil:
		v = Verdict{Outcome: Failed, Reason: "no answer"}
		if r.TimedOut {
			v.Reason = fmt.Sprintf("timed out after %s", r.Duration.Round(time.Millisecond))
			if sync {
				v.Drop = rules.DropTimeout
				v.Assumptions = append(v.Assumptions, fateAssumption("when the endpoint does not answer in time", v.Drop, "--on-timeout"))
			}
		} else if sync {
			v.Drop = rules.DropOnError
			v.Assumptions = append(v.Assumptions, fateAssumption("when the endpoint cannot be reached", v.Drop, "--on-error"))
		}
	case r.Status < 200 || r.Status > 299:
		v = Verdict{Outcome: Failed, Reason: fmt.Sprintf("HTTP %d %s", r.Status, http.StatusText(r.Status))}
		if sync {
			v.Drop = rules.DropOnError
			v.Assumptions = append(v.Assumptions, fateAssumption("when the endpoint answers non-2xx", v.Drop, "--on-error"))
		}
	case !sync:
		v = Verdict{Outcome: Delivered}
	default:
		v = applyBeforeMessage(r.Body, rules)
	}
	if r.Err == nil && r.Duration > Budget {
		v.Warnings = append(v.Warnings, fmt.Sprintf("slow: answered in %s, over CometChat's %s budget", r.Duration.Round(time.Millisecond), Budget))
	}
	if r.Truncated {
		v.Warnings = append(v.Warnings, fmt.Sprintf("the answer was longer than %d bytes; only the start was read", MaxAnswer))
	}
	return v
}

func applyBeforeMessage(body []byte, rules Rules) Verdict {
	obj, err := webhook.Object(body)
	if err != nil {
		// Real receivers answer with res.status(200).end() or "OK": the endpoint worked, and
		// what CometChat does with the message is the assumption's to say.
		what := "is not JSON"
		switch trimmed := bytes.TrimSpace(body); {
		case len(trimmed) == 0:
			what = "is empty"
		case string(trimmed) == "null":
			what = "is null"
		case json.Valid(body):
			what = "is JSON but not an object"
		}
		v := Verdict{Outcome: Delivered, Drop: rules.DropInvalid,
			Warnings: []string{"the answer " + what + ": before_message expects a JSON object (answer {} to let the message through unchanged)"}}
		if v.Drop {
			v.Outcome = Dropped
		}
		v.Assumptions = append(v.Assumptions, fateAssumption("when the answer is not a JSON object", v.Drop, "--on-invalid"))
		return v
	}
	if obj["action"] == "do_not_propagate" {
		return Verdict{Outcome: Dropped, Drop: true}
	}
	var warnings []string
	if looksLikeBlock(obj) {
		warnings = append(warnings, `this answer looks meant to block the message, but CometChat injects it into the metadata and delivers the message: only {"action":"do_not_propagate"} drops it`)
	}
	if len(obj) == 0 {
		if !rules.InjectEmpty {
			return Verdict{Outcome: Delivered, Assumptions: []string{"assumed: CometChat injects nothing for an empty {} answer (--empty-object=skip; inject stores {})"}}
		}
		return Verdict{Outcome: Injected, Injected: obj, Assumptions: []string{"assumed: CometChat stores an empty {} answer as it is (--empty-object=skip to inject nothing)"}}
	}
	return Verdict{Outcome: Injected, Injected: obj, Warnings: warnings}
}

// looksLikeBlock spots answers people write to block a message that CometChat does not
// read that way: {"action":"block"}, {"action":"BLOCK"}, {"action":"DO_NOT_PROPAGATE"},
// {"blocked":true}, {"drop":true}.
func looksLikeBlock(obj map[string]any) bool {
	if a, ok := obj["action"].(string); ok {
		switch strings.ToLower(strings.TrimSpace(a)) {
		case "block", "blocked", "drop", "reject", "deny", "do_not_propagate", "do-not-propagate", "donotpropagate":
			return true
		}
	}
	for _, k := range []string{"blocked", "block", "drop", "reject"} {
		if obj[k] == true {
			return true
		}
	}
	return false
}

func fateAssumption(when string, drop bool, flag string) string {
	if drop {
		return fmt.Sprintf("assumed: CometChat drops the message %s (%s=drop; deliver is the default)", when, flag)
	}
	return fmt.Sprintf("assumed: CometChat delivers the message unchanged %s (%s=drop to assume it drops it)", when, flag)
}

// MaxMessageChars is CometChat's limit on a whole message, metadata included.
const MaxMessageChars = 65536

// FinalMessage returns the message as CometChat would deliver it after the verdict: a copy
// of the event's message with the answer stored under
// data.metadata["@injected"].webhooks[<webhook id>]. It is nil when the message is dropped
// or the event carries none. A warning is returned when the result breaks CometChat's limit.
func FinalMessage(e *webhook.Event, v Verdict) (map[string]any, string) {
	m := e.Message()
	if m == nil || v.Drop {
		return nil, ""
	}
	out := deepCopy(m).(map[string]any)
	if v.Injected != nil {
		data := ensureObj(out, "data")
		meta := ensureObj(data, "metadata")
		inj := ensureObj(meta, "@injected")
		hooks := ensureObj(inj, "webhooks")
		hooks[e.Webhook] = v.Injected
	}
	var warn string
	if b, err := Marshal(out); err == nil && len([]rune(string(b))) > MaxMessageChars {
		warn = fmt.Sprintf("with the injected metadata the message is %d characters, over CometChat's %d limit", len([]rune(string(b))), MaxMessageChars)
	}
	return out, warn
}

func ensureObj(m map[string]any, k string) map[string]any {
	if o, ok := m[k].(map[string]any); ok {
		return o
	}
	o := map[string]any{}
	m[k] = o
	return o
}

func deepCopy(v any) any {
	switch n := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, c := range n {
			out[k] = deepCopy(c)
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, c := range n {
			out[i] = deepCopy(c)
		}
		return out
	}
	return v
}
