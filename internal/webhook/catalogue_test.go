package webhook

import (
	"slices"
	"testing"

	"github.com/comethook/comethook/fixtures"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name, system string
		ok           bool
		wantName     string
		wantSystem   string
		payload      string
		sync         bool
	}{
		{name: "before_message", ok: true, wantName: "before_message", wantSystem: Legacy, payload: "before_message", sync: true},
		{name: "before_message", system: Legacy, ok: true, wantName: "before_message", wantSystem: Legacy, payload: "before_message", sync: true},
		{name: "before_message", system: V2, ok: false},
		{name: "message_sent", ok: true, wantName: "message_sent", wantSystem: V2, payload: "message_sent"},
		{name: "message_sent", system: Legacy, ok: false},
		// In both systems: the current one wins unless asked.
		{name: "message_delivery_receipt", ok: true, wantName: "message_delivery_receipt", wantSystem: V2, payload: "message_delivery_receipt"},
		{name: "message_read_receipt", system: Legacy, ok: true, wantName: "message_read_receipt", wantSystem: Legacy, payload: "message_read_receipt"},
		// Configured name and payload name both find the legacy connection trigger.
		{name: "user_connection_status_change", ok: true, wantName: "user_connection_status_change", wantSystem: Legacy, payload: "after_connection_status_changed"},
		{name: "after_connection_status_changed", ok: true, wantName: "user_connection_status_change", wantSystem: Legacy, payload: "after_connection_status_changed"},
		{name: "befor_message", ok: false},
		{name: "", ok: false},
		{name: "BEFORE_MESSAGE", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.system, func(t *testing.T) {
			got, ok := Lookup(tt.name, tt.system)
			if ok != tt.ok {
				t.Fatalf("Lookup ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if got.Name != tt.wantName || got.System != tt.wantSystem || got.PayloadTrigger() != tt.payload || got.Sync != tt.sync {
				t.Errorf("Lookup = %+v (payload %q), want %s/%s payload %q sync %v", got, got.PayloadTrigger(),
					tt.wantSystem, tt.wantName, tt.payload, tt.sync)
			}
			if got.Description == "" || got.Category == "" {
				t.Errorf("%s has no description or category", got.Name)
			}
		})
	}
}

func TestCatalogue(t *testing.T) {
	c := Catalogue()
	if len(c) == 0 {
		t.Fatal("empty catalogue")
	}
	sorted := slices.IsSortedFunc(c, func(a, b Trigger) int {
		if a.Name != b.Name {
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		if a.System == b.System {
			return 0
		}
		if a.System == Legacy {
			return -1
		}
		return 1
	})
	if !sorted {
		t.Errorf("Catalogue is not sorted by name, legacy first")
	}
	sync := 0
	for _, tr := range c {
		if tr.Sync {
			sync++
			if tr.Name != "before_message" {
				t.Errorf("%s is marked synchronous; only before_message is", tr.Name)
			}
		}
		if tr.System != Legacy && tr.System != V2 {
			t.Errorf("%s has system %q", tr.Name, tr.System)
		}
		// Every catalogued trigger can be sent: it has a bundled fixture in its system.
		if _, err := fixtures.Load(fixtures.Key{System: fixtures.System(tr.System), Trigger: tr.Name}); err != nil {
			t.Errorf("%s/%s has no bundled fixture: %v", tr.System, tr.Name, err)
		}
	}
	if sync != 1 {
		t.Errorf("%d synchronous triggers, want 1", sync)
	}
	// The copy is the caller's own.
	c[0].Name = "changed"
	if Catalogue()[0].Name == "changed" {
		t.Errorf("Catalogue returns shared storage")
	}
	// Every bundled fixture is in the catalogue, under its own system.
	for _, k := range fixtures.Keys() {
		if _, ok := Lookup(k.Trigger, string(k.System)); !ok {
			t.Errorf("fixture %s/%s has no catalogue entry", k.System, k.Trigger)
		}
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		in    string
		first string // "" for no suggestions
		has   []string
	}{
		{in: "befor_message", first: "before_message"},
		{in: "before-message", first: "before_message"},
		{in: "beforemessage", first: "before_message"},
		{in: "after_mesage", first: "after_message"},
		{in: "message_sen", first: "message_sent"},
		{in: "mesage_read_receipt", first: "message_read_receipt"},
		{in: "message_reaction", has: []string{"message_reaction_added", "message_reaction_removed"}},
		{in: "user_connection_status_chang", first: "user_connection_status_change"},
		{in: "xyz", first: ""},
		{in: "", first: ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Suggest(tt.in)
			if len(got) > 3 {
				t.Errorf("Suggest = %q, want at most 3", got)
			}
			if tt.first == "" && tt.has == nil {
				if len(got) != 0 {
					t.Errorf("Suggest = %q, want none", got)
				}
				return
			}
			if tt.first != "" && (len(got) == 0 || got[0] != tt.first) {
				t.Errorf("Suggest = %q, want %q first", got, tt.first)
			}
			for _, h := range tt.has {
				if !slices.Contains(got, h) {
					t.Errorf("Suggest = %q, want it to contain %q", got, h)
				}
			}
			seen := map[string]bool{}
			for _, s := range got {
				if seen[s] {
					t.Errorf("Suggest repeats %q", s)
				}
				seen[s] = true
				if _, ok := Lookup(s, ""); !ok {
					t.Errorf("Suggest offers %q, which Lookup does not know", s)
				}
			}
		})
	}
}

// The catalogue says which triggers CometChat waits on, and -t patterns match a trigger by
// any of its names.
func TestIsSyncAndMatch(t *testing.T) {
	for trigger, want := range map[string]bool{"before_message": true, "after_message": false, "message_sent": false, "": false} {
		if got := IsSync(trigger); got != want {
			t.Errorf("IsSync(%q) = %v, want %v", trigger, got, want)
		}
	}
	cases := []struct {
		patterns []string
		trigger  string
		want     bool
	}{
		{nil, "anything", true},
		{[]string{"message_*"}, "message_sent", true},
		{[]string{"message_*"}, "before_message", false},
		{[]string{"user_connection_status_change"}, "after_connection_status_changed", true},
		{[]string{"after_connection_status_changed"}, "user_connection_status_change", true},
		{[]string{"group_*", "*_message"}, "after_message", true},
	}
	for _, c := range cases {
		if got := Match(c.patterns, c.trigger); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.patterns, c.trigger, got, c.want)
		}
	}
	if !MatchesKnown("message_*") || MatchesKnown("mesage_sent") {
		t.Error("MatchesKnown: want message_* known and a typo not")
	}
}
