package render

import (
	"net/http"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// A request refused before its body was read says why instead of looking empty.
func TestDeliveryRefusedSaysWhy(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   []byte
		out    simulate.Outcome
		want   string
	}{
		{http.StatusUnauthorized, nil, simulate.Rejected, "→ POST  (body not read: 401, wrong or missing credentials)"},
		{http.StatusMethodNotAllowed, nil, simulate.Rejected, "→ POST  (body not read: 405, not a POST)"},
		{http.StatusRequestEntityTooLarge, nil, simulate.Rejected, "(body not read: 413, body over --max-body)"},
		{http.StatusOK, []byte{}, simulate.Delivered, "→ POST  (empty body)"},
		{http.StatusOK, []byte("hi"), simulate.Delivered, "→ POST  (not JSON, 2 bytes)"},
	} {
		p, out, _ := testPrinter(false)
		p.Delivery(&receiver.Delivery{Seq: 1, Method: "POST", Path: "/", Body: tt.body, Outcome: tt.out,
			Response: receiver.Response{Status: tt.status}})
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("%d: %q, want %q", tt.status, out.String(), tt.want)
		}
	}
}

// On a terminal each delivery line fits its width, cut with "…" in the words; the time, the
// trigger, the outcome and #N stay whole. Piped output (no width) stays whole.
func TestDeliveryFitsTheTerminal(t *testing.T) {
	body := []byte(`{"trigger":"message_sent","webhook":"comethook-dev","appId":"a","data":{"message":{"id":"12345678","sender":"cometchat-uid-1","receiver":"cometchat-uid-2","receiverType":"user","type":"text","category":"message","data":{"text":"Are we still on for the hike on Saturday? I was thinking we could start early 🥾"}}}}`)
	ev, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	d := &receiver.Delivery{Seq: 1234, Method: "POST", Path: "/webhooks/cometchat", Body: body, Event: ev, DuplicateOf: 1200,
		Outcome: simulate.Delivered, Response: receiver.Response{Status: 200, Source: receiver.SourceForward}}
	for _, colour := range []bool{false, true} {
		for _, cells := range []int{60, 80, 120} {
			p, out, _ := testPrinter(colour)
			p.Width = func() int { return cells }
			p.Delivery(d)
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("%d cells: %d lines, want 2:\n%s", cells, len(lines), out)
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w > cells {
					t.Errorf("%d cells, colour %v: a line of %d cells: %q", cells, colour, w, l)
				}
				if !strings.HasSuffix(ansi.Strip(l), "#1234") {
					t.Errorf("%d cells: #N is not whole at the end of %q", cells, ansi.Strip(l))
				}
			}
			if ev, ans := ansi.Strip(lines[0]), ansi.Strip(lines[1]); !strings.Contains(ev, "→ message_sent  ") || !strings.Contains(ev, "…") || !strings.Contains(ans, "← 200 delivered") {
				t.Errorf("%d cells: %q / %q: want the trigger and outcome whole and the words cut with …", cells, ev, ans)
			}
		}
		// Narrower than what must stay whole: nothing of it is cut (the line wraps instead).
		p, out, _ := testPrinter(colour)
		p.Width = func() int { return 20 }
		p.Delivery(d)
		if s := ansi.Strip(out.String()); !strings.Contains(s, "→ message_sent") || !strings.Contains(s, "#1234") || !strings.Contains(s, "200 delivered") {
			t.Errorf("20 cells: %q", s)
		}
	}
	p, out, _ := testPrinter(false)
	p.Delivery(d)
	if !strings.Contains(out.String(), "I was thinking we could start early 🥾") {
		t.Errorf("piped output was cut: %q", out.String())
	}
}

// A terminal narrower than the banner's box gets its lines without the box, URLs whole.
func TestBannerNarrow(t *testing.T) {
	b := Banner{PublicURL: "https://abcd-1234-5678.ngrok-free.app", LocalURL: "http://127.0.0.1:4571", MockAnswer: "{}"}
	p, _, errOut := testPrinter(false)
	p.ErrWidth = func() int { return 50 }
	p.Banner(b)
	if s := errOut.String(); strings.Contains(s, "╭") || !strings.Contains(s, "  CometChat webhook URL   https://abcd-1234-5678.ngrok-free.app\n") {
		t.Errorf("50 cells:\n%s", s)
	}
	p, _, errOut = testPrinter(false)
	p.ErrWidth = func() int { return 120 }
	p.Banner(b)
	if !strings.Contains(errOut.String(), "╭") {
		t.Errorf("120 cells: want the box:\n%s", errOut)
	}
}

// stderr's sentences wrap at spaces to the terminal, under their label, and never inside a
// path or a URL; on a pipe they stay on one line.
func TestMessagesWrapAtWords(t *testing.T) {
	path := "/home/dev/.cache/comethook/listen-20261130-101010-4242.jsonl"
	p, _, errOut := testPrinter(false)
	p.ErrWidth = func() int { return 60 }
	p.Warn("capture: this run's capture reached half of --capture-max 100MiB; its older deliveries are in " + path)
	got := errOut.String()
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if ansi.StringWidth(l) > 60 && !strings.Contains(l, path) {
			t.Errorf("a line of %d cells: %q", ansi.StringWidth(l), l)
		}
		if l != strings.TrimLeft(l, " ") && !strings.HasPrefix(l, "         ") {
			t.Errorf("a continuation line not under the text: %q", l)
		}
	}
	if !strings.Contains(got, path) || !strings.HasPrefix(got, "warning: capture:") {
		t.Errorf("the path was broken, or the label lost:\n%s", got)
	}
	p, _, errOut = testPrinter(false)
	p.Warn("a long sentence that would wrap on a terminal " + path)
	if strings.Count(errOut.String(), "\n") != 1 {
		t.Errorf("piped: %q, want one line", errOut.String())
	}
}
