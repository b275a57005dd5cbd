package pipeline

import (
	"testing"

	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// -t shows the triggers asked for, and whatever needs attention whatever it asks.
func TestFilter(t *testing.T) {
	ev := func(trigger string) *webhook.Event { return &webhook.Event{Trigger: trigger} }
	for _, c := range []struct {
		name string
		d    receiver.Delivery
		want bool
	}{
		{"a matching trigger", receiver.Delivery{Method: "POST", Event: ev("message_sent"), Outcome: simulate.Delivered}, true},
		{"another trigger", receiver.Delivery{Method: "POST", Event: ev("before_message"), Outcome: simulate.Injected}, false},
		{"another trigger, rejected", receiver.Delivery{Method: "POST", Event: ev("before_message"), Outcome: simulate.Rejected}, true},
		{"a POST that is not a webhook", receiver.Delivery{Method: "POST", Outcome: simulate.Failed}, true},
		{"a GET of /favicon.ico", receiver.Delivery{Method: "GET", Path: "/favicon.ico", Outcome: simulate.Rejected}, false},
	} {
		if got := Filter([]string{"message_s*"})(&c.d); got != c.want {
			t.Errorf("%s: shown %v, want %v", c.name, got, c.want)
		}
	}
	if !Filter(nil)(&receiver.Delivery{Method: "GET"}) {
		t.Error("no patterns: a GET is hidden, want everything shown")
	}
}
