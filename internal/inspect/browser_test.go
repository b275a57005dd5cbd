package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/simulate"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Chromium, which may talk to loopback only. A missing browser
// skips the test on a developer's machine and fails it in CI.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the browser test needs Chromium at %s: %v", chromiumPath, err)
		}
		t.Skipf("no Chromium at %s (%v); in CI (CI=true) this fails", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-proxy-server", true),
		// No name but localhost resolves: the page cannot reach anything but loopback.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 800),
		// Chromium adds these two to its own environment as it starts, FC_FONTATIONS from a
		// worker thread while other threads call getenv: glibc's setenv then moves the
		// environment, and a getenv reading the old one crashes the browser (SIGSEGV in
		// getenv, "chrome failed to start"). Seen in CI and in three minidumps in Chromium's
		// "Crash Reports"; an LD_PRELOAD spy on setenv showed the two calls. Set beforehand,
		// they are replaced in place and the environment never moves.
		chromedp.Env("FC_FONTATIONS=1", "DBUS_SESSION_BUS_ADDRESS=disabled:"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser without a deadline
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return ctx
}

// serveLoopback serves the inspector on 127.0.0.1 as listen does, shut down with the test.
func serveLoopback(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s.Handler()}
	hs.RegisterOnShutdown(s.Close)
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			t.Errorf("shutdown with the page open: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// fakeApp answers like a developer's app behind --forward-to: before_message gets a
// verdict, "drop me" is dropped, "fail" fails.
func fakeApp(t *testing.T) string {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev struct{ Trigger string }
		json.Unmarshal(b, &ev)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case bytes.Contains(b, []byte("drop me")):
			w.Write(simulate.DropAnswer)
		case bytes.Contains(b, []byte("fail")):
			w.WriteHeader(500)
			w.Write([]byte(`{"error":"database is down"}`))
		case ev.Trigger == "before_message":
			w.Write([]byte(`{"sentiment":"positive","checked":true}`))
		default:
			w.Write([]byte(`{"ok":true}`))
		}
	}))
	t.Cleanup(app.Close)
	return app.URL
}

// replayTo resends through the listener and waits for the new delivery, as listen's own
// replay does.
func (l *listener) replayTo(s *Server) func(context.Context, record.Record, string, []byte) (ReplayResult, error) {
	return func(ctx context.Context, r record.Record, target string, body []byte) (ReplayResult, error) {
		if target != TargetListener {
			return ReplayResult{}, errors.New("this test has no app to replay to")
		}
		if body == nil {
			body = r.RawBody()
		}
		req, err := http.NewRequestWithContext(ctx, "POST", l.srv.URL+r.Path, bytes.NewReader(body))
		if err != nil {
			return ReplayResult{}, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return ReplayResult{}, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		select {
		case seq := <-l.added:
			rec, _ := s.store.get(seq)
			return ReplayResult{Status: rec.Response.Status, Outcome: rec.Outcome, DurationMs: rec.Response.DurationMs}, nil
		case <-time.After(5 * time.Second):
			return ReplayResult{}, errors.New("the replay never arrived")
		}
	}
}

// edit changes a fixture: path is a dotted path to a string field.
func edit(t *testing.T, body []byte, changes map[string]string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for path, v := range changes {
		keys := strings.Split(path, ".")
		cur := m
		for _, k := range keys[:len(keys)-1] {
			cur = cur[k].(map[string]any)
		}
		cur[keys[len(keys)-1]] = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(m)
	return bytes.TrimSpace(buf.Bytes())
}

// within runs steps with a deadline.
func within(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("INSPECT_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, "settle", chromedp.Sleep(300*time.Millisecond)) // let the new-row flash fade
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		p := emulation.SetEmulatedMediaParams{}
		if scheme != "" {
			p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
		}
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, p)
		return err
	})
}

func rowSel(seq int64) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`#list li.row[data-seq="%d"]`, seq))
}

func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)

	s := New(Options{ForwardTo: "http://localhost:3000/webhooks"})
	fwd, err := receiver.ParseTarget(fakeApp(t))
	if err != nil {
		t.Fatal(err)
	}
	l := newListener(t, s, receiver.Config{Forward: fwd, ForwardTimeout: 5 * time.Second})
	s.o.Replay = l.replayTo(s)
	base := serveLoopback(t, s)

	// A few deliveries before the page opens.
	sent := fixture(t, fixtures.V2, "message_sent")
	before := fixture(t, fixtures.Legacy, "before_message")
	for _, b := range [][]byte{
		sent,
		before,
		fixture(t, fixtures.V2, "group_member_added"),
		fixture(t, fixtures.V2, "message_reaction_added"),
		sent, // CometChat delivered it again: a duplicate
		edit(t, before, map[string]string{"data.data.text": "please drop me"}),
		fixture(t, fixtures.V2, "call_ended"),
		edit(t, sent, map[string]string{"data.message.id": "2", "data.message.data.text": "this one will fail"}),
	} {
		l.send(t, b)
	}

	within(t, ctx, "open the page",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(rowSel(8)),
		chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent === 'live'`),
	)
	if n := eval[int](t, ctx, `document.querySelectorAll('#list .row').length`); n != 8 {
		t.Errorf("%d rows, want 8", n)
	}
	if dup := eval[string](t, ctx, `document.querySelector('#list li.row[data-seq="5"] .dup').textContent`); dup != "↻ dup of #1" {
		t.Errorf("duplicate badge = %q", dup)
	}

	// A delivery with markup in its text arrives live and shows as text.
	eval[bool](t, ctx, `window.__alerted = false; window.alert = () => { window.__alerted = true; }; true`)
	evil := "<script>alert(1)</script><img src=x onerror=alert(2)>"
	evilBody := edit(t, sent, map[string]string{"data.message.id": "3", "data.message.data.text": evil})
	seq := l.send(t, evilBody)
	within(t, ctx, "the live delivery", chromedp.WaitVisible(rowSel(seq)))
	what := eval[string](t, ctx, fmt.Sprintf(`document.querySelector('#list li.row[data-seq="%d"] .what').textContent`, seq))
	if !strings.Contains(what, `"`+evil+`"`) {
		t.Errorf("row text = %q, want the markup as text", what)
	}
	if first := eval[string](t, ctx, `document.querySelector('#list .row').dataset.seq`); first != fmt.Sprint(seq) {
		t.Errorf("newest row is #%s, want #%d", first, seq)
	}

	// Its detail shows the payload.
	within(t, ctx, "open the detail", chromedp.Click(rowSel(seq)), chromedp.WaitVisible(chromedp.CSS("#detail .json")))
	payloadText := eval[string](t, ctx, `document.querySelector('#detail .section .json').textContent`)
	if !strings.Contains(payloadText, `"text": `+mustJSON(evil)) || !strings.Contains(payloadText, `"trigger": "message_sent"`) {
		t.Errorf("payload view = %q", payloadText)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('script:not([src]), #list img, #detail img').length`); n != 0 {
		t.Errorf("%d elements came from the payload's markup", n)
	}
	if eval[bool](t, ctx, `window.__alerted`) {
		t.Error("a script from the payload ran")
	}
	screenshot(t, ctx, "desktop-1280x800.png")

	// Replay to the listener: a new delivery appears.
	within(t, ctx, "replay to the listener",
		chromedp.Click(chromedp.CSS(`#detail button[data-action="replay-listener"]`)),
		chromedp.WaitVisible(rowSel(seq+1)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#detail .result').textContent.includes('delivered')`),
	)
	if res := eval[string](t, ctx, `document.querySelector('#detail .result').textContent`); !strings.Contains(res, "replayed to the listener: 200 delivered") || strings.HasSuffix(res, "null") {
		t.Errorf("replay result = %q", res)
	}
	if r, ok := s.store.get(seq + 1); !ok || !bytes.Equal(r.RawBody(), evilBody) {
		t.Errorf("the replay did not resend the body byte for byte: %s", r.RawBody())
	}

	// The fixture link gives the payload back.
	fix := eval[string](t, ctx, `fetch(document.querySelector('#detail a.fixture').href).then(r => r.text())`, chromedp.EvalAwaitPromise)
	var got, want any
	if err := json.Unmarshal([]byte(fix), &got); err != nil {
		t.Fatalf("the fixture is not JSON: %v\n%s", err, fix)
	}
	json.Unmarshal(evilBody, &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fixture = %s\nwant %s", fix, evilBody)
	}
	if name := eval[string](t, ctx, `document.querySelector('#detail a.fixture').getAttribute('href')`); name != fmt.Sprintf("/api/deliveries/%d/fixture", seq) {
		t.Errorf("fixture link = %q", name)
	}

	// Copy payload hands the payload's text to the clipboard (the tree's text lacks commas).
	eval[bool](t, ctx, `Object.defineProperty(navigator, 'clipboard', {configurable: true,
		value: {writeText: async (t) => { window.__copied = t; }}}); true`)
	within(t, ctx, "copy",
		chromedp.Click(chromedp.CSS(`#detail button[data-action="copy"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#detail button[data-action="copy"]').textContent === 'Copied'`))
	var copied any
	if err := json.Unmarshal([]byte(eval[string](t, ctx, `window.__copied`)), &copied); err != nil || !reflect.DeepEqual(copied, want) {
		t.Errorf("copied %v (%v), want the payload", copied, err)
	}

	// Replay with changes opens at the top, the caret on the message's text, in view.
	within(t, ctx, "open the editor",
		chromedp.Click(chromedp.CSS(`#detail button[data-action="edit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail .editor textarea`)))
	caret := eval[map[string]any](t, ctx, `(() => {
		const ta = document.querySelector('#detail .editor textarea');
		const line = ta.value.slice(0, ta.selectionStart).split('\n').length - 1;
		const lh = parseFloat(getComputedStyle(ta).lineHeight);
		return {before: ta.value.slice(ta.selectionStart - 9, ta.selectionStart), focused: document.activeElement === ta,
			visible: line * lh >= ta.scrollTop && (line + 1) * lh <= ta.scrollTop + ta.clientHeight,
			atBottom: ta.scrollHeight > ta.clientHeight && ta.scrollTop + ta.clientHeight >= ta.scrollHeight - 1};
	})()`)
	if caret["before"] != `"text": "` || caret["focused"] != true || caret["visible"] != true || caret["atBottom"] == true {
		t.Errorf("the editor opened with %v; want the caret on the message text, focused and in view, not at the bottom", caret)
	}

	// Replay with changes: bad JSON is refused in the page, good JSON is sent.
	within(t, ctx, "bad edit",
		chromedp.SetValue(chromedp.CSS(`#detail .editor textarea`), `{"trigger": "message_sent",`),
		chromedp.Click(chromedp.CSS(`#detail button[data-action="send"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#detail .editor .error').textContent.startsWith('Not valid JSON')`),
	)
	if s.store.len() != 10 {
		t.Errorf("a bad edit was sent: %d deliveries", s.store.len())
	}
	changed := edit(t, evilBody, map[string]string{"data.message.data.text": "edited in the inspector"})
	within(t, ctx, "good edit",
		chromedp.SetValue(chromedp.CSS(`#detail .editor textarea`), string(changed)),
		chromedp.Click(chromedp.CSS(`#detail button[data-action="send"]`)),
		chromedp.WaitVisible(rowSel(seq+2)),
	)
	if r, _ := s.store.get(seq + 2); !bytes.Equal(r.RawBody(), changed) {
		t.Errorf("edited replay sent %s", r.RawBody())
	}

	// The before_message verdict, in light and dark.
	within(t, ctx, "before_message detail", chromedp.Click(rowSel(2)), chromedp.WaitVisible(chromedp.CSS(`#detail .json`)))
	verdict := eval[string](t, ctx, `document.querySelector('#detail .section').textContent`)
	if !strings.Contains(verdict, "injected") || !strings.Contains(verdict, `"@injected"`) || !strings.Contains(verdict, `"sentiment": "positive"`) {
		t.Errorf("verdict section = %q", verdict)
	}
	screenshot(t, ctx, "desktop-1280x800-verdict.png")
	within(t, ctx, "dark", colorScheme("dark"))
	screenshot(t, ctx, "desktop-1280x800-dark.png")
	within(t, ctx, "light", colorScheme(""))

	// A phone: the list, then the detail in its place.
	within(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Click(chromedp.CSS(`#detail button[data-action="close"]`)),
		chromedp.WaitVisible(rowSel(1)))
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the page is %d px wide on a 390 px screen", w)
	}
	screenshot(t, ctx, "phone-390x844-list.png")
	within(t, ctx, "phone detail", chromedp.Click(rowSel(2)), chromedp.WaitVisible(chromedp.CSS(`#detail .json`)))
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the detail is %d px wide on a 390 px screen", w)
	}
	screenshot(t, ctx, "phone-390x844-detail.png")
}

func mustJSON(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSpace(buf.String())
}

// TestBrowserTenThousand measures how long the page takes to show its first rows with
// 10,000 deliveries kept, and how it copes with 100 deliveries a second. It logs the
// times; machines differ too much to assert on them.
func TestBrowserTenThousand(t *testing.T) {
	ctx := newBrowser(t)
	s := New(Options{})
	triggers := []string{"message_sent", "before_message", "message_delivery_receipt", "group_member_added"}
	outcomes := []string{"delivered", "injected", "delivered", "failed", "dropped"}
	for i := int64(1); i <= 10000; i++ {
		s.Add(rec(i, triggers[i%4], outcomes[i%5]), nil)
	}
	base := serveLoopback(t, s)

	start := time.Now()
	within(t, ctx, "open the page", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/"))
	ms, err := chromedp.Run(ctx, chromedp.Poll[float64](`document.querySelector('#list .row') ? performance.now() : 0`))
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	rows := eval[int](t, ctx, `document.querySelectorAll('#list .row').length`)
	count := eval[string](t, ctx, `document.getElementById('count').textContent`)
	t.Logf("10,000 deliveries: first %d rows shown %.0f ms after navigation started (page clock), %s wall clock; header says %q",
		rows, ms, wall.Round(time.Millisecond), count)
	if rows != defaultLimit || count != "10,000 deliveries" {
		t.Errorf("%d rows, count %q", rows, count)
	}

	// Scrolling down loads the next page.
	within(t, ctx, "scroll", chromedp.ScrollIntoView(chromedp.CSS("#more")), chromedp.WaitVisible(rowSel(10000-defaultLimit)))

	// 100 deliveries a second for two seconds, while long tasks are counted.
	within(t, ctx, "live", chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent === 'live'`))
	eval[bool](t, ctx, `window.__long = []; new PerformanceObserver((l) => window.__long.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' }); true`)
	burst := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	for i := int64(10001); i <= 10200; i++ {
		<-tick.C
		s.Add(rec(i, triggers[i%4], outcomes[i%5]), nil)
	}
	tick.Stop()
	within(t, ctx, "the burst arrives", chromedp.WaitVisible(rowSel(10200)))
	long := eval[[]float64](t, ctx, `window.__long`)
	worst := 0.0
	for _, d := range long {
		worst = max(worst, d)
	}
	t.Logf("200 deliveries at 100/s: all shown %s after the first was sent; %d long tasks (>50 ms), the longest %.0f ms",
		time.Since(burst).Round(time.Millisecond), len(long), worst)
	eval[bool](t, ctx, `document.querySelector('.list-pane').scrollTop = 0; true`)
	screenshot(t, ctx, "desktop-1280x800-10000.png")
}

// When listen stops, the page says so and where the deliveries are, opening one says how to
// see it, and the page comes back by itself when a listen serves the address again.
func TestBrowserListenStopped(t *testing.T) {
	ctx := newBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serve := func(ln net.Listener) (*Server, *listener, *http.Server) {
		s := New(Options{})
		l := newListener(t, s, receiver.Config{})
		hs := &http.Server{Handler: s.Handler()}
		hs.RegisterOnShutdown(s.Close)
		go hs.Serve(ln)
		return s, l, hs
	}
	_, l, hs := serve(ln)
	l.send(t, fixture(t, fixtures.V2, "message_sent"))
	l.send(t, fixture(t, fixtures.V2, "message_sent"))
	within(t, ctx, "open the page",
		chromedp.Navigate("http://"+addr+"/"),
		chromedp.WaitVisible(rowSel(2)),
		chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent === 'live'`))

	// listen stops (Ctrl-C): the inspector's server shuts down.
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, "stopped",
		chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent === 'listen stopped'`),
		chromedp.WaitVisible(chromedp.CSS(`#stopped`)))
	if notice := eval[string](t, ctx, `document.getElementById('stopped').textContent`); !strings.Contains(notice, "comethook events show N") {
		t.Errorf("notice = %q", notice)
	}
	within(t, ctx, "open a delivery", chromedp.Click(rowSel(1)), chromedp.WaitVisible(chromedp.CSS(`#detail .error`)))
	if msg := eval[string](t, ctx, `document.querySelector('#detail .error').textContent`); msg != "listen is not running, so #1 cannot be fetched: comethook events show 1 prints it from the capture." {
		t.Errorf("detail error = %q", msg)
	}

	// A new listen on the same address: the page reconnects and shows its deliveries.
	var ln2 net.Listener
	waitUntil(t, func() bool { ln2, err = net.Listen("tcp", addr); return err == nil })
	_, l2, hs2 := serve(ln2)
	t.Cleanup(func() { hs2.Close() })
	within(t, ctx, "reconnected",
		chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent === 'live'`, chromedp.WithPollingTimeout(15*time.Second)))
	if eval[bool](t, ctx, `!document.getElementById('stopped').hidden`) {
		t.Error("the stopped notice is still shown after reconnecting")
	}
	seq := l2.send(t, fixture(t, fixtures.V2, "message_sent"))
	within(t, ctx, "new delivery", chromedp.WaitVisible(rowSel(seq)))
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}
