package inspect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/simulate"
)

// rec makes a record without a receiver, for list tests.
func rec(seq int64, trigger, outcome string) record.Record {
	payload := fmt.Sprintf(`{"trigger":%q,"webhook":"wh","appId":"app","data":{"message":{"id":"%d","sender":"u1","receiver":"u2","receiverType":"user","category":"message","type":"text","data":{"text":"hello %d"}}}}`, trigger, seq, seq)
	return record.Record{
		Seq: seq, ReceivedAt: time.Unix(1736254812+seq, 0).UTC().Format(time.RFC3339Nano),
		Method: "POST", Path: "/", Trigger: trigger, Webhook: "wh", AppID: "app",
		Headers:  map[string]string{"Content-Type": "application/json", "Authorization": "Basic ****"},
		Payload:  json.RawMessage(payload),
		Response: record.Response{Status: 200, Body: json.RawMessage(`{}`), DurationMs: 1.5, Source: "mock"},
		Outcome:  outcome,
	}
}

// serve starts the inspector on a loopback port, as listen does.
func serve(t *testing.T, s *Server) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); srv.Close() })
	return srv
}

type page struct {
	Items    []row    `json:"items"`
	More     bool     `json:"more"`
	Total    int      `json:"total"`
	Triggers []string `json:"triggers"`
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func getPage(t *testing.T, url string) page {
	t.Helper()
	resp, b := get(t, url)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	var p page
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, b)
	}
	return p
}

func seqs(items []row) []int64 {
	out := make([]int64, len(items))
	for i, r := range items {
		out[i] = r.Seq
	}
	return out
}

func TestListPagesNewestFirst(t *testing.T) {
	s := New(Options{})
	outcomes := []string{"delivered", "injected", "failed"}
	for i := int64(1); i <= 250; i++ {
		trigger := "message_sent"
		if i%2 == 0 {
			trigger = "before_message"
		}
		s.Add(rec(i, trigger, outcomes[i%3]), nil)
	}
	srv := serve(t, s)

	p := getPage(t, srv.URL+"/api/deliveries")
	if len(p.Items) != defaultLimit || p.Items[0].Seq != 250 || p.Items[99].Seq != 151 || !p.More || p.Total != 250 {
		t.Fatalf("first page: %d items %v…, more %v, total %d", len(p.Items), seqs(p.Items)[:3], p.More, p.Total)
	}
	if !reflect.DeepEqual(p.Triggers, []string{"before_message", "message_sent"}) {
		t.Errorf("triggers = %v", p.Triggers)
	}
	first := p.Items[0]
	if first.From != "u1" || first.To != "u2" || first.Text != "hello 250" || first.Outcome != "injected" || first.Status != 200 || first.DurationMs != 1.5 {
		t.Errorf("row = %+v", first)
	}
	p = getPage(t, srv.URL+"/api/deliveries?before=151")
	if p.Items[0].Seq != 150 || p.Items[99].Seq != 51 || !p.More {
		t.Fatalf("second page: %v… more %v", seqs(p.Items)[:3], p.More)
	}
	p = getPage(t, srv.URL+"/api/deliveries?before=51")
	if len(p.Items) != 50 || p.Items[49].Seq != 1 || p.More {
		t.Fatalf("last page: %d items, more %v", len(p.Items), p.More)
	}
	p = getPage(t, srv.URL+"/api/deliveries?limit=7&trigger=before_message&outcome=failed")
	// seq even and seq%3 == 2: 248, 242, 236, ...
	if want := []int64{248, 242, 236, 230, 224, 218, 212}; !reflect.DeepEqual(seqs(p.Items), want) || !p.More {
		t.Fatalf("filtered: %v more %v, want %v", seqs(p.Items), p.More, want)
	}
	p = getPage(t, srv.URL+"/api/deliveries?limit=100000&outcome=delivered")
	if len(p.Items) != 83 || p.More {
		t.Fatalf("delivered: %d items, more %v", len(p.Items), p.More)
	}
	for _, r := range p.Items {
		if r.Outcome != "delivered" {
			t.Fatalf("outcome filter let through %+v", r)
		}
	}
	if p := getPage(t, srv.URL+"/api/deliveries?trigger=nothing"); len(p.Items) != 0 || p.More {
		t.Fatalf("no match: %+v", p)
	}
	for _, q := range []string{"before=x", "before=-1", "limit=0", "limit=many"} {
		if resp, _ := get(t, srv.URL+"/api/deliveries?"+q); resp.StatusCode != 400 {
			t.Errorf("?%s: status %d, want 400", q, resp.StatusCode)
		}
	}
}

func TestKeepAndLateDeliveries(t *testing.T) {
	s := New(Options{Keep: 5})
	for _, seq := range []int64{1, 2, 4, 3, 5, 7, 6} { // a slow answer emits #3 after #4
		s.Add(rec(seq, fmt.Sprintf("t%d", seq), "delivered"), nil)
	}
	srv := serve(t, s)
	p := getPage(t, srv.URL+"/api/deliveries")
	if want := []int64{7, 6, 5, 4, 3}; !reflect.DeepEqual(seqs(p.Items), want) || p.Total != 5 {
		t.Fatalf("kept %v (total %d), want %v", seqs(p.Items), p.Total, want)
	}
	if want := []string{"t3", "t4", "t5", "t6", "t7"}; !reflect.DeepEqual(p.Triggers, want) {
		t.Errorf("triggers %v, want %v", p.Triggers, want)
	}
	resp, b := get(t, srv.URL+"/api/deliveries/1")
	if resp.StatusCode != 404 || !strings.Contains(string(b), "keeps the last 5") {
		t.Errorf("dropped delivery: %d %s", resp.StatusCode, b)
	}
}

func TestOlderRecordsComeFromLookup(t *testing.T) {
	var asked []int64
	s := New(Options{Keep: 5, KeepFull: 2, Lookup: func(seq int64) (record.Record, bool) {
		asked = append(asked, seq)
		return rec(seq, "from_capture", "delivered"), seq == 3
	}})
	for seq := int64(1); seq <= 5; seq++ {
		s.Add(rec(seq, "message_sent", "delivered"), nil)
	}
	srv := serve(t, s)
	if p := getPage(t, srv.URL+"/api/deliveries"); len(p.Items) != 5 {
		t.Fatalf("the list keeps rows for all 5, got %d", len(p.Items))
	}
	if resp, b := get(t, srv.URL+"/api/deliveries/5"); resp.StatusCode != 200 || !strings.Contains(string(b), `"trigger":"message_sent"`) {
		t.Errorf("#5 is in memory: %d %s", resp.StatusCode, b)
	}
	if resp, b := get(t, srv.URL+"/api/deliveries/3"); resp.StatusCode != 200 || !strings.Contains(string(b), `"trigger":"from_capture"`) {
		t.Errorf("#3 comes from the capture: %d %s", resp.StatusCode, b)
	}
	if !reflect.DeepEqual(asked, []int64{3}) {
		t.Errorf("Lookup asked for %v, want only [3]", asked)
	}
}

// listener runs a real receiver whose deliveries go to the inspector, as listen wires them.
type listener struct {
	srv   *httptest.Server
	added chan int64
}

func newListener(t *testing.T, s *Server, c receiver.Config) *listener {
	t.Helper()
	l := &listener{added: make(chan int64, 100)}
	c.Rules = simulate.DefaultRules()
	c.Emit = func(d *receiver.Delivery) {
		s.Add(d.Record(), nil)
		l.added <- d.Seq
	}
	h := receiver.New(c)
	l.srv = httptest.NewServer(h)
	t.Cleanup(l.srv.Close)
	return l
}

// send posts a body like CometChat and waits for its delivery to reach the inspector.
func (l *listener) send(t *testing.T, body []byte) int64 {
	t.Helper()
	resp, err := http.Post(l.srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	select {
	case seq := <-l.added:
		return seq
	case <-time.After(5 * time.Second):
		t.Fatal("the delivery never reached the inspector")
		return 0
	}
}

func fixture(t *testing.T, sys fixtures.System, trigger string) []byte {
	t.Helper()
	b, err := fixtures.Load(fixtures.Key{System: sys, Trigger: trigger})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func getDetail(t *testing.T, url string) (detail, map[string]any) {
	t.Helper()
	resp, b := get(t, url)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	var d detail
	var m map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return d, m
}

func TestDetailBeforeMessageVerdict(t *testing.T) {
	s := New(Options{})
	srv := serve(t, s)
	body := fixture(t, fixtures.Legacy, "before_message")

	inject := newListener(t, s, receiver.Config{Mock: receiver.Mock{Respond: []byte(`{"moderated":true,"score":0.25}`)}})
	seq := inject.send(t, body)
	d, m := getDetail(t, fmt.Sprintf("%s/api/deliveries/%d", srv.URL, seq))
	if d.Row.Trigger != "before_message" || d.Row.From != "cometchat-uid-5" || d.Row.To != "cometchat-uid-4" || d.Row.Text != "Hi there 👋" {
		t.Errorf("row = %+v", d.Row)
	}
	if d.Record.Seq != seq || d.Record.Headers["Content-Type"] != "application/json" || d.Fixture != fmt.Sprintf("/api/deliveries/%d/fixture", seq) {
		t.Errorf("record %+v, fixture %q", d.Record, d.Fixture)
	}
	if d.Verdict == nil || d.Verdict.Outcome != "injected" || d.Verdict.Drop || d.Verdict.Webhook != "send-message" {
		t.Fatalf("verdict = %+v", d.Verdict)
	}
	hook := digMap(t, m, "verdict", "message", "data", "metadata", "@injected", "webhooks", "send-message")
	if hook["moderated"] != true || hook["score"] != json.Number("0.25") {
		t.Errorf("injected metadata = %v", hook)
	}
	if text := digMap(t, m, "verdict", "message", "data")["text"]; text != "Hi there 👋" {
		t.Errorf("message text = %v", text)
	}
	var payload any
	if err := json.Unmarshal([]byte(d.PayloadText), &payload); err != nil || !strings.Contains(d.PayloadText, "\n  \"data\": {") {
		t.Errorf("payloadText is not the pretty payload (%v):\n%s", err, d.PayloadText)
	}

	drop := newListener(t, s, receiver.Config{Mock: receiver.Mock{Drop: true}})
	seq = drop.send(t, body)
	d, m = getDetail(t, fmt.Sprintf("%s/api/deliveries/%d", srv.URL, seq))
	if d.Verdict == nil || d.Verdict.Outcome != "dropped" || !d.Verdict.Drop || d.Verdict.Message != nil || digMap(t, m, "verdict")["message"] != nil {
		t.Errorf("dropped verdict = %+v", d.Verdict)
	}

	// Not before_message: no verdict.
	seq = drop.send(t, fixture(t, fixtures.V2, "message_sent"))
	if d, _ := getDetail(t, fmt.Sprintf("%s/api/deliveries/%d", srv.URL, seq)); d.Verdict != nil || d.Row.Outcome != "delivered" {
		t.Errorf("message_sent: verdict %+v, row %+v", d.Verdict, d.Row)
	}
}

func TestVerdictFromFailedRecord(t *testing.T) {
	body := fixture(t, fixtures.Legacy, "before_message")
	r := rec(1, "before_message", "failed")
	r.Payload = json.RawMessage(compact(t, body))
	r.Response = record.Response{Status: 500, Body: "oops"}
	r.Assumptions = []string{"assumed: CometChat drops the message when the endpoint answers non-2xx (--on-error=drop; deliver is the default)"}
	e := event(&r)
	if v := verdictOf(&r, e); v == nil || !v.Drop || v.Message != nil {
		t.Errorf("failed, dropping: %+v", v)
	}
	r.Assumptions = []string{"assumed: CometChat delivers the message unchanged when the endpoint answers non-2xx (--on-error=drop to assume it drops it)"}
	if v := verdictOf(&r, e); v == nil || v.Drop || v.Message == nil || v.Injected != nil {
		t.Errorf("failed, delivering: %+v", v)
	}
	// The record's drop field is the fact; the assumptions' words are only read for
	// captures written before records had it.
	yes, no := true, false
	r.Assumptions, r.Drop = []string{"whatever the words"}, &yes
	if v := verdictOf(&r, e); v == nil || !v.Drop || v.Message != nil {
		t.Errorf("failed, drop=true: %+v", v)
	}
	r.Drop = &no
	r.Assumptions = []string{"assumed: CometChat drops the message when the endpoint answers non-2xx (--on-error=drop; deliver is the default)"}
	if v := verdictOf(&r, e); v == nil || v.Drop {
		t.Errorf("failed, drop=false: %+v, want the field to win over the words", v)
	}
	r.Drop = nil
	// A record read back from a capture file has its answer decoded.
	r.Outcome, r.Response.Body = "injected", map[string]any{"a": 1.0}
	if v := verdictOf(&r, e); v == nil || v.Injected["a"] != json.Number("1") {
		t.Errorf("injected from a decoded body: %+v", v)
	}
}

func compact(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func digMap(t *testing.T, m map[string]any, path ...string) map[string]any {
	t.Helper()
	cur := m
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %q in %v", k, cur)
		}
		cur = next
	}
	return cur
}

func TestFixtureDownload(t *testing.T) {
	s := New(Options{})
	srv := serve(t, s)
	l := newListener(t, s, receiver.Config{Mock: receiver.Mock{}})
	body := fixture(t, fixtures.Legacy, "before_message")
	// As CometChat sends it: compact, with < and > as they are.
	var payload map[string]any
	json.Unmarshal(body, &payload)
	payload["data"].(map[string]any)["data"].(map[string]any)["text"] = "<@uid:cometchat-uid-4> & you"
	sent, _ := simulate.Marshal(payload)
	seq := l.send(t, sent)

	resp, b := get(t, fmt.Sprintf("%s/api/deliveries/%d/fixture", srv.URL, seq))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != fmt.Sprintf(`attachment; filename="%d-before_message.json"`, seq) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	if !bytes.Equal(compact(t, b), sent) {
		t.Errorf("fixture is not the payload:\n%s\nsent:\n%s", b, sent)
	}
	if !bytes.HasPrefix(b, []byte("{\n  \"")) || !bytes.HasSuffix(b, []byte("}\n")) {
		t.Errorf("fixture is not pretty-printed:\n%s", b)
	}
	if _, err := fixtures.Parse("fixture.json", b); err != nil {
		t.Errorf("send would not read it: %v", err)
	}

	// A delivery without a JSON payload has no fixture.
	s.Add(record.Record{Seq: 99, Method: "GET", Payload: json.RawMessage("null"), Outcome: "rejected"}, nil)
	if resp, _ := get(t, srv.URL+"/api/deliveries/99/fixture"); resp.StatusCode != http.StatusConflict {
		t.Errorf("no payload: status %d", resp.StatusCode)
	}
	if resp, _ := get(t, srv.URL+"/api/deliveries/12345/fixture"); resp.StatusCode != 404 {
		t.Errorf("unknown delivery: status %d", resp.StatusCode)
	}
}

// readEvent reads one server-sent event: its name and data.
func readEvent(t *testing.T, r *bufio.Reader) (name, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if name != "" || data != "" {
				return name, data
			}
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		}
	}
}

func TestStreamSendsNewDeliveries(t *testing.T) {
	s := New(Options{})
	s.Add(rec(1, "message_sent", "delivered"), nil)
	srv := serve(t, s)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	br := bufio.NewReader(resp.Body)
	// Wait until the stream is subscribed: the first comment is written after that.
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, ": connected") {
			break
		}
	}
	s.Add(rec(2, "before_message", "injected"), nil)
	name, data := readEvent(t, br)
	var ev struct {
		Total int `json:"total"`
		Row   row `json:"row"`
	}
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		t.Fatal(err)
	}
	if name != "delivery" || ev.Row.Seq != 2 || ev.Row.Trigger != "before_message" || ev.Row.Outcome != "injected" || ev.Row.Text != "hello 2" || ev.Total != 2 {
		t.Fatalf("event %q %s", name, data)
	}

	// Close ends the stream, so a server can shut down with pages open.
	s.Close()
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(br); done <- err }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the stream")
	}
}

func TestAddNeverWaitsForASlowPage(t *testing.T) {
	s := New(Options{})
	sub := s.subscribe() // a page that reads nothing
	defer s.unsubscribe(sub)
	done := make(chan struct{})
	go func() {
		for i := int64(1); i <= subscriberBuffer+10; i++ {
			s.Add(rec(i, "message_sent", "delivered"), nil)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Add blocked on a page that does not read")
	}
	if !sub.lagged.Load() || len(sub.ch) != subscriberBuffer {
		t.Errorf("lagged %v, queued %d", sub.lagged.Load(), len(sub.ch))
	}
}

func TestRefusesOtherHostsAndOrigins(t *testing.T) {
	var calls int
	var mu sync.Mutex
	s := New(Options{Replay: func(ctx context.Context, r record.Record, target string, body []byte) (ReplayResult, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		return ReplayResult{Status: 200, Outcome: "delivered"}, nil
	}})
	s.Add(rec(1, "message_sent", "delivered"), nil)
	srv := serve(t, s)
	u, _ := url.Parse(srv.URL)
	port := u.Port()

	do := func(method, host, origin, fetchSite string) *http.Response {
		t.Helper()
		path := "/api/deliveries"
		if method == "POST" {
			path = "/api/deliveries/1/replay?target=listener"
		}
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if site, mode, _ := strings.Cut(fetchSite, "/"); site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
			req.Header.Set("Sec-Fetch-Mode", mode)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, tt := range []struct {
		method, host, origin, site string
		want                       int
	}{
		{"GET", "127.0.0.1:" + port, "", "", 200},
		{"GET", "localhost:" + port, "", "", 200},
		{"GET", "LOCALHOST:" + port, "", "", 200},
		{"GET", "[::1]:" + port, "", "", 200},
		{"GET", "evil.com", "", "", 403},
		{"GET", "evil.com:" + port, "", "", 403},
		{"GET", "127.0.0.1.nip.io:" + port, "", "", 403},
		{"GET", "127.0.0.1:1", "", "", 403},
		{"GET", "localhost", "", "", 403},
		{"GET", "127.0.0.1:" + port, "http://evil.com", "", 403},                          // a page's fetch
		{"GET", "127.0.0.1:" + port, "", "cross-site/cors", 403},                          // the same, by Sec-Fetch
		{"GET", "127.0.0.1:" + port, "", "cross-site/no-cors", 403},                       // <img>, <script>
		{"GET", "127.0.0.1:" + port, "", "cross-site/navigate", 200},                      // a link followed
		{"GET", "127.0.0.1:" + port, "http://127.0.0.1:" + port, "same-origin/cors", 200}, // its own page
		{"GET", "127.0.0.1:" + port, "", "none/navigate", 200},                            // typed in
		{"POST", "127.0.0.1:" + port, "http://evil.com", "", 403},
		{"POST", "127.0.0.1:" + port, "http://localhost:" + port, "", 403},
		{"POST", "127.0.0.1:" + port, "http://127.0.0.1:3000", "", 403},
		{"POST", "127.0.0.1:" + port, "null", "", 403},
		{"POST", "127.0.0.1:" + port, "", "cross-site/cors", 403},
		{"POST", "127.0.0.1:" + port, "", "cross-site/navigate", 403}, // a form posted from elsewhere
		{"POST", "evil.com", "http://evil.com", "", 403},
		{"POST", "127.0.0.1:" + port, "http://127.0.0.1:" + port, "same-origin/cors", 200},
		{"POST", "localhost:" + port, "http://localhost:" + port, "", 200},
		{"POST", "127.0.0.1:" + port, "", "", 200}, // curl
	} {
		if resp := do(tt.method, tt.host, tt.origin, tt.site); resp.StatusCode != tt.want {
			t.Errorf("%s Host %q Origin %q Sec-Fetch-Site %q: %d, want %d", tt.method, tt.host, tt.origin, tt.site, resp.StatusCode, tt.want)
		}
	}
	if calls != 3 {
		t.Errorf("Replay called %d times, want 3 (the allowed POSTs)", calls)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := New(Options{})
	s.Add(rec(1, "message_sent", "delivered"), nil)
	srv := serve(t, s)
	for _, path := range []string{"/", "/app.js", "/app.css", "/api/deliveries", "/api/deliveries/1", "/api/info", "/nothing"} {
		resp, b := get(t, srv.URL+path)
		h := resp.Header
		if h.Get("Content-Security-Policy") == "" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
		if strings.HasPrefix(path, "/api/deliveries") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, h.Get("Cache-Control"))
		}
		if path == "/" && (!strings.Contains(string(b), `<script src="/app.js"`) || !strings.HasPrefix(h.Get("Content-Type"), "text/html")) {
			t.Errorf("/: %s %s", h.Get("Content-Type"), b)
		}
		if path == "/app.js" && !strings.Contains(h.Get("Content-Type"), "javascript") {
			t.Errorf("/app.js: Content-Type %q", h.Get("Content-Type"))
		}
	}
}

// TestPageInsertsDataAsText is a cheap guard next to the browser test: the page never
// parses strings as HTML.
func TestPageInsertsDataAsText(t *testing.T) {
	for _, name := range []string{"app.js", "index.html"} {
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "http://", "https://"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}

type replayCall struct {
	seq    int64
	target string
	body   []byte
}

func TestReplay(t *testing.T) {
	var mu sync.Mutex
	var calls []replayCall
	fail := false
	s := New(Options{ForwardTo: "http://localhost:3000/hooks", Replay: func(ctx context.Context, r record.Record, target string, body []byte) (ReplayResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return ReplayResult{}, errors.New("the listener is shutting down")
		}
		calls = append(calls, replayCall{r.Seq, target, body})
		return ReplayResult{Status: 201, Outcome: "injected", DurationMs: 3.25}, nil
	}})
	s.Add(rec(4, "before_message", "injected"), nil)
	srv := serve(t, s)

	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, b := post("/api/deliveries/4/replay?target=listener", "")
	if status != 200 || b != `{"status":201,"outcome":"injected","durationMs":3.25}` {
		t.Fatalf("replay: %d %s", status, b)
	}
	edited := `{"trigger":"before_message","data":{"text":"<b>changed</b>"}}`
	if status, b := post("/api/deliveries/4/replay?target=forward", edited); status != 200 {
		t.Fatalf("replay edited: %d %s", status, b)
	}
	want := []replayCall{{4, "listener", nil}, {4, "forward", []byte(edited)}}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("calls = %+v, want %+v", calls, want)
	}

	for _, tt := range []struct {
		path, body string
		status     int
		msg        string
	}{
		{"/api/deliveries/4/replay?target=listener", `{"trigger": "before_message",}`, 400, "not valid JSON"},
		{"/api/deliveries/4/replay?target=listener", `{} {}`, 400, "not valid JSON"},
		{"/api/deliveries/4/replay?target=app", "", 400, "target must be"},
		{"/api/deliveries/4/replay", "", 400, "target must be"},
		{"/api/deliveries/5/replay?target=listener", "", 404, "no delivery #5"},
		{"/api/deliveries/4/replay?target=listener", `"` + strings.Repeat("x", MaxReplayBody) + `"`, 413, "over 1048576 bytes"},
	} {
		status, b := post(tt.path, tt.body)
		if status != tt.status || !strings.Contains(b, tt.msg) {
			t.Errorf("POST %s %.40q: %d %s, want %d %q", tt.path, tt.body, status, b, tt.status, tt.msg)
		}
	}
	if len(calls) != 2 {
		t.Errorf("refused replays reached Replay: %+v", calls[2:])
	}

	mu.Lock()
	fail = true
	mu.Unlock()
	if status, b := post("/api/deliveries/4/replay?target=listener", ""); status != 502 || !strings.Contains(b, "shutting down") {
		t.Errorf("failed replay: %d %s", status, b)
	}

	// Without --forward-to there is no app to replay to.
	s2 := New(Options{Replay: s.o.Replay})
	s2.Add(rec(1, "message_sent", "delivered"), nil)
	srv2 := serve(t, s2)
	resp, err := http.Post(srv2.URL+"/api/deliveries/1/replay?target=forward", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("forward without ForwardTo: %d", resp.StatusCode)
	}
	var info map[string]any
	_, ib := get(t, srv2.URL+"/api/info")
	json.Unmarshal(ib, &info)
	if info["forwardTo"] != "" || info["replay"] != true {
		t.Errorf("info = %s", ib)
	}
}

func TestTenThousandDeliveriesFirstPageIsSmall(t *testing.T) {
	s := New(Options{})
	for i := int64(1); i <= 10500; i++ {
		s.Add(rec(i, "message_sent", "delivered"), nil)
	}
	srv := serve(t, s)
	resp, b := get(t, srv.URL+"/api/deliveries")
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	var p page
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != defaultLimit || p.Items[0].Seq != 10500 || p.Total != DefaultKeep || !p.More {
		t.Fatalf("%d items from #%d, total %d, more %v", len(p.Items), p.Items[0].Seq, p.Total, p.More)
	}
	if len(b) > 64<<10 {
		t.Errorf("first page is %d bytes", len(b))
	}
	if p := getPage(t, srv.URL+"/api/deliveries?limit=100000"); len(p.Items) != maxLimit {
		t.Errorf("limit not capped: %d items", len(p.Items))
	}
	if p := getPage(t, srv.URL+"/api/deliveries?before=502"); p.Items[len(p.Items)-1].Seq != 501 || p.More {
		t.Errorf("the oldest kept is #501: %v", seqs(p.Items)[len(p.Items)-3:])
	}
}

func TestRowOfRejectedAndOddText(t *testing.T) {
	msg := "refused: wrong credentials"
	r := record.Record{Seq: 3, Method: "PUT", Path: "/x", Query: "a=1", Payload: json.RawMessage("null"),
		Response: record.Response{Status: 401}, Outcome: "rejected", Error: &msg}
	w := rowOf(&r, nil) // no payload, so no summary
	if w.Path != "/x?a=1" || w.Error != msg || w.Trigger != "" || w.From != "" {
		t.Errorf("row = %+v", w)
	}
	if got := clean("a\nb\x1b[31m\u202Eevil\u2066" + strings.Repeat("x", 300)); got != "a b [31mevil"+strings.Repeat("x", rowText-12)+"…" {
		t.Errorf("clean = %q", got)
	}
	if d := detailOf(r); d.Fixture != "" || d.PayloadText != "" || d.Verdict != nil {
		t.Errorf("detail of a rejected delivery: %+v", d)
	}
}
