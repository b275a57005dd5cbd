package cmd

import (
	"os"
	"strings"
	"testing"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/webhook"
)

// The guide's catalogue table is written from `comethook fixtures --json`; this keeps it
// from drifting: every bundled trigger is listed with its dedup key.
func TestReadmeListsTheCatalogue(t *testing.T) {
	b, err := os.ReadFile("../docs/guide.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, k := range fixtures.Keys() {
		tr, ok := webhook.Lookup(k.Trigger, string(k.System))
		if !ok {
			t.Fatalf("%s has a fixture but no catalogue entry", k.Trigger)
		}
		var row string
		for _, line := range strings.Split(readme, "\n") {
			if strings.Contains(line, "| `"+k.Trigger+"` | "+string(k.System)) {
				row = line
				break
			}
		}
		if row == "" {
			t.Errorf("docs/guide.md has no catalogue row for %s (%s)", k.Trigger, k.System)
			continue
		}
		for _, p := range tr.Dedup {
			if !strings.Contains(row, "`"+p+"`") {
				t.Errorf("docs/guide.md row for %s lacks dedup path %s: %s", k.Trigger, p, row)
			}
		}
	}
}
