package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

const beforeMessage = `{
  "trigger": "before_message",
  "data": {
    "conversationId": "cometchat-uid-4_user_cometchat-uid-5",
    "sender": "cometchat-uid-5",
    "receiverType": "user",
    "receiver": "cometchat-uid-4",
    "category": "message",
    "type": "text",
    "data": {
      "text": "Hi there 👋",
      "entities": {
        "sender": {
          "entity": {
            "uid": "cometchat-uid-5",
            "name": "John Paul",
            "avatar": "https://data-us.cometchat.io/assets/images/avatars/cometchat-uid-5.webp",
            "status": "online",
            "role": "default"
          },
          "entityType": "user"
        },
        "receiver": {
          "entity": {
            "uid": "cometchat-uid-4",
            "name": "Susan Marie",
            "avatar": "https://data-us.cometchat.io/assets/images/avatars/cometchat-uid-4.webp",
            "status": "online",
            "role": "default"
          },
          "entityType": "user"
        }
      }
    },
    "sentAt": 1736254812,
    "updatedAt": 1736254812
  },
  "appId": "2512345abcdef678",
  "webhook": "send-message"
}`

const afterMessage = `{"trigger":"after_message","webhook":"after","appId":"app1","data":{"id":"42","sender":"a","receiver":"b","category":"message","type":"text","data":{"text":"hi"}}}`

// sink collects emitted deliveries.
type sink struct {
	mu sync.Mutex
	ds []*Delivery
}

func (s *sink) emit(d *Delivery) {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
}

func (s *sink) all() []*Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Delivery(nil), s.ds...)
}

// last is the latest delivery emitted, or nil.
func (s *sink) last() *Delivery {
	ds := s.all()
	if len(ds) == 0 {
		return nil
	}
	return ds[len(ds)-1]
}

func (s *sink) one(t *testing.T) *Delivery {
	t.Helper()
	ds := s.all()
	if len(ds) != 1 {
		t.Fatalf("emitted %d deliveries, want 1", len(ds))
	}
	return ds[0]
}

// waitIdle waits until h has emitted everything it served.
func waitIdle(t *testing.T, h *Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

func post(path, body string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	return r
}

// serve runs one request through a Handler configured by c and returns the answer and
// what was emitted.
func serve(t *testing.T, c Config, r *http.Request) (*httptest.ResponseRecorder, *sink) {
	t.Helper()
	s := &sink{}
	c.Emit = s.emit
	if c.Rules == (simulate.Rules{}) {
		c.Rules = simulate.DefaultRules()
	}
	w := httptest.NewRecorder()
	New(c).ServeHTTP(w, r)
	return w, s
}

func TestBasicAuth(t *testing.T) {
	withAuth := func(u, p string) *http.Request {
		r := post("/", afterMessage)
		r.SetBasicAuth(u, p)
		return r
	}
	bearer := post("/", afterMessage, "Authorization", "Bearer s3cret")
	tests := []struct {
		name    string
		req     *http.Request
		status  int
		outcome simulate.Outcome
		errHas  string
	}{
		{"ok", withAuth("alice", "s3cret"), 200, simulate.Delivered, ""},
		{"missing", post("/", afterMessage), 401, simulate.Rejected, "missing credentials: "},
		{"not basic", bearer, 401, simulate.Rejected, "missing credentials: "},
		{"wrong password", withAuth("alice", "guess"), 401, simulate.Rejected, "wrong credentials: the password"},
		{"wrong user", withAuth("mallory", "s3cret"), 401, simulate.Rejected, "wrong credentials: the user"},
		{"both wrong", withAuth("mallory", "s3cret-and-more"), 401, simulate.Rejected, "wrong credentials: neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, s := serve(t, Config{BasicAuth: "alice:s3cret"}, tt.req)
			d := s.one(t)
			if w.Code != tt.status || d.Response.Status != tt.status {
				t.Fatalf("status %d (recorded %d), want %d", w.Code, d.Response.Status, tt.status)
			}
			if d.Outcome != tt.outcome || d.Verdict.Outcome != tt.outcome {
				t.Errorf("outcome %q/%q, want %q", d.Outcome, d.Verdict.Outcome, tt.outcome)
			}
			if !strings.HasPrefix(d.Error, tt.errHas) || (tt.errHas == "") != (d.Error == "") {
				t.Errorf("error %q, want prefix %q", d.Error, tt.errHas)
			}
			if tt.status != 401 {
				return
			}
			if got := w.Header().Get("WWW-Authenticate"); got != `Basic realm="comethook"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
			// No credential, configured or received, anywhere but the received Header.
			rec := *d
			rec.Header = nil
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"s3cret", "guess", "mallory", "YWxpY2U6"} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("delivery mentions %q: %s", secret, b)
				}
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	chunked := func(body string) *http.Request {
		r := post("/", body)
		r.Body = io.NopCloser(strings.NewReader(body)) // unknown length, as chunked bodies arrive
		r.ContentLength = -1
		return r
	}
	body16 := `{"trigger":"x"}` + " "
	tests := []struct {
		name    string
		max     int64
		req     *http.Request
		status  int
		errHas  string
		wantLen int
	}{
		{"at limit", 16, post("/", body16), 200, "", 16},
		{"over limit", 16, post("/", body16+" "), 413, "16 bytes limit: raise it with --max-body", 0},
		{"chunked at limit", 16, chunked(body16), 200, "", 16},
		{"chunked over limit", 16, chunked(body16 + " "), 413, "--max-body", 0},
		{"default limit", 0, post("/", strings.Repeat(" ", 1<<20+1)), 413, "1 MiB limit", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, s := serve(t, Config{MaxBody: tt.max}, tt.req)
			d := s.one(t)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if !strings.Contains(d.Error, tt.errHas) || (tt.errHas == "") != (d.Error == "") {
				t.Errorf("error %q, want it to contain %q", d.Error, tt.errHas)
			}
			if len(d.Body) != tt.wantLen {
				t.Errorf("recorded %d body bytes, want %d", len(d.Body), tt.wantLen)
			}
			if tt.status == 413 && (d.Body != nil || d.Outcome != simulate.Rejected) {
				t.Errorf("body %q outcome %q, want nil and rejected", d.Body, d.Outcome)
			}
		})
	}
}

func TestMethods(t *testing.T) {
	tests := []struct {
		method, path string
		status       int
		body         string
		emitted      bool
	}{
		{"GET", "/", 200, Page, false},
		{"HEAD", "/", 200, "", false},
		{"GET", "/webhooks", 405, "Method Not Allowed\n", true},
		{"HEAD", "/webhooks", 405, "", true},
		{"PUT", "/", 405, "Method Not Allowed\n", true},
		{"DELETE", "/x", 405, "Method Not Allowed\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			s := &sink{}
			h := New(Config{Emit: s.emit})
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			waitIdle(t, h) // the answer is out before Emit runs
			if resp.StatusCode != tt.status || string(b) != tt.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, b, tt.status, tt.body)
			}
			if tt.status == 200 {
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
					t.Errorf("Content-Type %q", ct)
				}
				if resp.ContentLength != int64(len(Page)) {
					t.Errorf("Content-Length %d", resp.ContentLength)
				}
			}
			ds := s.all()
			if !tt.emitted {
				if len(ds) != 0 {
					t.Fatalf("the page was emitted as a delivery: %+v", ds[0])
				}
				return
			}
			if len(ds) != 1 {
				t.Fatalf("emitted %d deliveries, want 1", len(ds))
			}
			if resp.Header.Get("Allow") != "POST" || ds[0].Outcome != simulate.Rejected ||
				!strings.Contains(ds[0].Error, "method "+tt.method+" is not allowed") {
				t.Errorf("Allow %q outcome %q error %q", resp.Header.Get("Allow"), ds[0].Outcome, ds[0].Error)
			}
		})
	}
}

func TestContentTypeAndBody(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		warnings          []string
		event             bool
	}{
		{"CometChat's capital A", "Application/json", afterMessage, nil, true},
		{"with charset", "application/json; charset=utf-8", afterMessage, nil, true},
		{"text/plain", "text/plain", afterMessage, []string{"Content-Type is text/plain, CometChat sends application/json"}, true},
		{"no Content-Type", "", afterMessage, []string{"no Content-Type header, CometChat sends application/json"}, true},
		{"not JSON", "application/json", "hello", []string{"body is not JSON: recorded as text"}, false},
		{"broken object", "application/json", `{"trigger":`, []string{"body is not JSON: recorded as text"}, false},
		{"array", "application/json", `[1,2]`, []string{"body is JSON but not an object: recorded as text"}, false},
		{"empty", "application/json", "", []string{"body is empty: CometChat always sends a JSON object"}, false},
		{"no trigger", "application/json", `{"a":1}`, []string{`body has no "trigger" field: CometChat puts one in every webhook`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post("/", tt.body)
			r.Header.Del("Content-Type")
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			w, s := serve(t, Config{}, r)
			d := s.one(t)
			if w.Code != 200 || w.Body.String() != "{}" || d.Outcome != simulate.Delivered {
				t.Errorf("answer %d %q outcome %q, want 200 {} delivered", w.Code, w.Body, d.Outcome)
			}
			if strings.Join(d.Warnings, "|") != strings.Join(tt.warnings, "|") {
				t.Errorf("warnings %q, want %q", d.Warnings, tt.warnings)
			}
			if (d.Event != nil) != tt.event {
				t.Errorf("event %v, want decoded=%v", d.Event, tt.event)
			}
			if string(d.Body) != tt.body {
				t.Errorf("body %q, want %q as received", d.Body, tt.body)
			}
		})
	}
}

func TestMock(t *testing.T) {
	tests := []struct {
		name     string
		mock     Mock
		body     string
		status   int
		answer   string
		outcome  simulate.Outcome
		errHas   string
		injected string
	}{
		{"default", Mock{}, afterMessage, 200, "{}", simulate.Delivered, "", ""},
		{"before_message default", Mock{}, beforeMessage, 200, "{}", simulate.Injected, "", "{}"},
		{"respond", Mock{Respond: []byte(`{"flag":true}`)}, beforeMessage, 200, `{"flag":true}`, simulate.Injected, "", `{"flag":true}`},
		{"respond is only for before_message", Mock{Respond: []byte(`{"flag":true}`)}, afterMessage, 200, "{}", simulate.Delivered, "", ""},
		{"drop", Mock{Drop: true}, beforeMessage, 200, `{"action":"do_not_propagate"}`, simulate.Dropped, "", ""},
		{"drop wins over respond", Mock{Drop: true, Respond: []byte(`{"a":1}`)}, beforeMessage, 200, `{"action":"do_not_propagate"}`, simulate.Dropped, "", ""},
		{"status 500", Mock{Status: 500}, afterMessage, 500, "{}", simulate.Failed, "HTTP 500 Internal Server Error: comethook answers with --status 500", ""},
		{"status 500 before_message", Mock{Status: 500}, beforeMessage, 500, "{}", simulate.Failed, "--status 500", ""},
		// CometChat delivers the message (the labelled assumption); the warning says why it is not injected.
		{"respond not JSON", Mock{Respond: []byte("nope")}, beforeMessage, 200, "nope", simulate.Delivered, "", ""},
		{"status 202", Mock{Status: 202}, afterMessage, 202, "{}", simulate.Delivered, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, s := serve(t, Config{Mock: tt.mock}, post("/", tt.body))
			d := s.one(t)
			if w.Code != tt.status || w.Body.String() != tt.answer {
				t.Fatalf("answer %d %q, want %d %q", w.Code, w.Body, tt.status, tt.answer)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if w.Header().Get("Content-Length") != strconv.Itoa(len(tt.answer)) {
				t.Errorf("Content-Length %q", w.Header().Get("Content-Length"))
			}
			r := d.Response
			if r.Status != tt.status || string(r.Body) != tt.answer || r.Source != SourceMock || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("recorded response %+v", r)
			}
			if d.Outcome != tt.outcome || d.Verdict.Outcome != tt.outcome {
				t.Errorf("outcome %q/%q, want %q (%s)", d.Outcome, d.Verdict.Outcome, tt.outcome, d.Verdict.Reason)
			}
			if !strings.Contains(d.Error, tt.errHas) || (tt.errHas == "") != (d.Error == "") {
				t.Errorf("error %q, want it to contain %q", d.Error, tt.errHas)
			}
			if tt.injected != "" {
				b, _ := json.Marshal(d.Verdict.Injected)
				if string(b) != tt.injected {
					t.Errorf("injected %s, want %s", b, tt.injected)
				}
			}
			if tt.outcome == simulate.Dropped && !d.Verdict.Drop {
				t.Error("verdict does not drop the message")
			}
		})
	}
}

func TestMockDelay(t *testing.T) {
	const delay = 60 * time.Millisecond
	w, s := serve(t, Config{Mock: Mock{Delay: delay}}, post("/", afterMessage))
	d := s.one(t)
	if w.Code != 200 || d.Response.Duration < delay {
		t.Errorf("status %d after %s, want 200 after at least %s", w.Code, d.Response.Duration, delay)
	}

	// A sender that hangs up does not keep the handler sleeping.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, s = serve(t, Config{Mock: Mock{Delay: time.Hour}}, post("/", afterMessage).WithContext(ctx))
	if time.Since(start) > 5*time.Second {
		t.Fatal("the delay ignored the request's context")
	}
	if d := s.one(t); len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "hung up during --delay") {
		t.Errorf("warnings %q", d.Warnings)
	}
}

func TestNowAndSeq(t *testing.T) {
	at := time.Date(2025, 1, 7, 12, 0, 0, 0, time.UTC)
	s := &sink{}
	h := New(Config{Now: func() time.Time { return at }, Emit: s.emit, BasicAuth: "a:b"})
	for _, r := range []*http.Request{
		post("/", afterMessage),                       // rejected: no credentials
		httptest.NewRequest(http.MethodGet, "/", nil), // the page: no delivery, no number
		httptest.NewRequest(http.MethodPut, "/", nil),
		post("/", afterMessage),
	} {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	ds := s.all()
	if len(ds) != 3 {
		t.Fatalf("emitted %d deliveries, want 3", len(ds))
	}
	for i, d := range ds {
		if d.Seq != int64(i+1) || !d.ReceivedAt.Equal(at) {
			t.Errorf("delivery %d: seq %d at %s", i, d.Seq, d.ReceivedAt)
		}
	}
}

// app is a stand-in for the developer's app that records what reached it.
type app struct {
	*httptest.Server
	mu  sync.Mutex
	got []*http.Request
	raw [][]byte
}

func newApp(t *testing.T, answer http.HandlerFunc) *app {
	a := &app{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.got, a.raw = append(a.got, r), append(a.raw, b)
		a.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

func TestForward(t *testing.T) {
	a := newApp(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-App", "yes")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.Header().Set("Connection", "X-App-Hop")
		w.Header().Set("X-App-Hop", "private")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	s := &sink{}
	h := New(Config{Forward: mustTarget(t, a.URL+"/webhooks?from=comethook"), Emit: s.emit, Rules: simulate.DefaultRules()})
	recv := httptest.NewServer(h)
	defer recv.Close()

	body := "{\"trigger\":\"after_message\",  \"data\":{\"n\":1.50,\"t\":\"\\u00e9\"}}\n"
	req, _ := http.NewRequest(http.MethodPost, recv.URL+"/cometchat/hook?x=1&x=2", strings.NewReader(body))
	req.Header.Set("Content-Type", "Application/json")
	req.Header.Set("User-Agent", "cometchat-test")
	req.SetBasicAuth("alice", "s3cret")
	req.Header.Add("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "secret")
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("Proxy-Authorization", "Basic eHg=")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	waitIdle(t, h)

	// What reached the app.
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.got) != 1 {
		t.Fatalf("the app got %d requests", len(a.got))
	}
	in, raw := a.got[0], a.raw[0]
	if in.Method != http.MethodPost || in.URL.Path != "/webhooks/cometchat/hook" || in.URL.RawQuery != "from=comethook&x=1&x=2" {
		t.Errorf("app got %s %s?%s", in.Method, in.URL.Path, in.URL.RawQuery)
	}
	if string(raw) != body {
		t.Errorf("app got body %q, want %q byte for byte", raw, body)
	}
	recvHost := strings.TrimPrefix(recv.URL, "http://")
	wantHdr := map[string]string{
		"Content-Type":        "Application/json",
		"User-Agent":          "cometchat-test",
		"Authorization":       "Basic YWxpY2U6czNjcmV0",
		"X-Multi":             "a,b",
		"X-Forwarded-For":     "203.0.113.9, 127.0.0.1",
		"X-Forwarded-Host":    recvHost,
		"X-Forwarded-Proto":   "http",
		"X-Hop":               "",
		"Keep-Alive":          "",
		"Proxy-Authorization": "",
		"Accept-Encoding":     "",
		"Content-Length":      strconv.Itoa(len(body)),
	}
	for k, want := range wantHdr {
		if got := strings.Join(in.Header.Values(k), ","); k == "Content-Length" {
			if in.ContentLength != int64(len(body)) {
				t.Errorf("app got Content-Length %d", in.ContentLength)
			}
		} else if got != want {
			t.Errorf("app got %s: %q, want %q", k, got, want)
		}
	}
	if in.Host != strings.TrimPrefix(a.URL, "http://") {
		t.Errorf("app got Host %q", in.Host)
	}

	// What went back to CometChat.
	if resp.StatusCode != http.StatusCreated || string(answer) != `{"ok":true}` {
		t.Errorf("relayed %d %q", resp.StatusCode, answer)
	}
	if resp.Header.Get("X-App") != "yes" || strings.Join(resp.Header.Values("Set-Cookie"), ",") != "a=1,b=2" {
		t.Errorf("relayed headers %v", resp.Header)
	}
	if resp.Header.Get("X-App-Hop") != "" {
		t.Errorf("relayed a header the app marked hop-by-hop")
	}
	d := s.one(t)
	if d.Response.Source != SourceForward || d.Response.Status != 201 || string(d.Response.Body) != `{"ok":true}` ||
		d.Response.Header.Get("X-App") != "yes" || d.Outcome != simulate.Delivered || d.Error != "" {
		t.Errorf("delivery %+v", d)
	}
	if d.Path != "/cometchat/hook" || d.Query != "x=1&x=2" || string(d.Body) != body || d.Event == nil || d.Event.Trigger != "after_message" {
		t.Errorf("delivery request %s?%s %q %v", d.Path, d.Query, d.Body, d.Event)
	}
}

func TestJoinPath(t *testing.T) {
	tests := []struct{ to, path, want string }{
		{"http://localhost:3000", "/", "http://localhost:3000"},
		{"http://localhost:3000", "/hooks", "http://localhost:3000/hooks"},
		{"http://localhost:3000/webhooks", "/", "http://localhost:3000/webhooks"},
		{"http://localhost:3000/webhooks/", "/", "http://localhost:3000/webhooks/"},
		{"http://localhost:3000/webhooks", "/a/b/", "http://localhost:3000/webhooks/a/b/"},
		{"http://localhost:3000/webhooks/", "/a", "http://localhost:3000/webhooks/a"},
		{"http://localhost:3000/", "/a", "http://localhost:3000/a"},
		{"http://localhost:3000/x%2Fy", "/a%2Fb", "http://localhost:3000/x%2Fy/a%2Fb"},
	}
	for _, tt := range tests {
		base, _ := url.Parse(tt.to)
		req, _ := url.Parse(tt.path)
		u := *base
		u.Path, u.RawPath = joinPath(base, req)
		if got := u.String(); got != tt.want {
			t.Errorf("%s + %s = %s, want %s", tt.to, tt.path, got, tt.want)
		}
	}
}

func TestForwardBeforeMessage(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		answer  string
		outcome simulate.Outcome
		drop    bool
		errHas  string
	}{
		{"injected", 200, `{"moderated":true}`, simulate.Injected, false, ""},
		{"dropped", 200, `{"action":"do_not_propagate"}`, simulate.Dropped, true, ""},
		{"failed: 500", 500, `{}`, simulate.Failed, false, "your app answered HTTP 500 Internal Server Error"},
		{"delivered: not JSON", 200, `ok`, simulate.Delivered, false, ""}, // with a warning, below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.answer)
			})
			w, s := serve(t, Config{Forward: mustTarget(t, a.URL)}, post("/", beforeMessage))
			d := s.one(t)
			if w.Code != tt.status || w.Body.String() != tt.answer {
				t.Errorf("relayed %d %q", w.Code, w.Body)
			}
			if d.Outcome != tt.outcome || d.Verdict.Drop != tt.drop {
				t.Errorf("outcome %q drop %v, want %q %v", d.Outcome, d.Verdict.Drop, tt.outcome, tt.drop)
			}
			if notJSON := strings.Contains(strings.Join(d.Warnings, ";"), "the answer is not JSON"); notJSON != (tt.answer == "ok") {
				t.Errorf("warnings %q: a not-JSON answer is warned about, and only that", d.Warnings)
			}
			if !strings.Contains(d.Error, tt.errHas) || (tt.errHas == "") != (d.Error == "") {
				t.Errorf("error %q, want it to contain %q", d.Error, tt.errHas)
			}
		})
	}
}

func TestForwardAppDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	w, s := serve(t, Config{Forward: mustTarget(t, "http://"+addr+"/hooks")}, post("/", beforeMessage))
	d := s.one(t)
	want := "connection refused: is your app running on " + addr + "?"
	if w.Code != http.StatusBadGateway || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("answer %d %q", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), addr) || !strings.Contains(w.Body.String(), "comethook listen says why") {
		t.Errorf("the answer goes to whoever called the public URL: it must not name the app's address: %q", w.Body)
	}
	if d.Outcome != simulate.Failed || d.Error != want || d.Response.Status != 502 || d.Response.Source != SourceComethook {
		t.Errorf("delivery outcome %q error %q response %+v", d.Outcome, d.Error, d.Response)
	}
	if len(d.Verdict.Assumptions) == 0 || !strings.Contains(d.Verdict.Assumptions[0], "--on-error") {
		t.Errorf("verdict %+v, want the --on-error assumption of a connection error", d.Verdict)
	}
}

func TestForwardAppSlow(t *testing.T) {
	a := newApp(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	w, s := serve(t, Config{Forward: mustTarget(t, a.URL), ForwardTimeout: 50 * time.Millisecond}, post("/", beforeMessage))
	d := s.one(t)
	if w.Code != http.StatusGatewayTimeout || strings.Contains(w.Body.String(), a.URL) {
		t.Errorf("answer %d %q", w.Code, w.Body)
	}
	if d.Outcome != simulate.Failed || !strings.Contains(d.Error, "--forward-timeout") || !strings.HasPrefix(d.Verdict.Reason, "timed out") {
		t.Errorf("delivery outcome %q error %q reason %q", d.Outcome, d.Error, d.Verdict.Reason)
	}
	if len(d.Verdict.Assumptions) == 0 || !strings.Contains(d.Verdict.Assumptions[0], "--on-timeout") {
		t.Errorf("assumptions %q, want the --on-timeout one", d.Verdict.Assumptions)
	}
}

// A forward target is a whole http(s) URL, checked once, before anything is served; it says
// where each delivery goes, and shows no password to people.
func TestTarget(t *testing.T) {
	for _, bad := range []string{"localhost:3000", "ftp://h/x", "http://", "http://a b/"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q): no error", bad)
		}
	}
	tg := mustTarget(t, "http://dev:s3cret@localhost:3000/hooks?from=comethook")
	if got := tg.For("/cometchat", "x=1"); got != "http://dev:s3cret@localhost:3000/hooks/cometchat?from=comethook&x=1" {
		t.Errorf("For = %q", got)
	}
	if got := tg.For("/", ""); got != "http://dev:s3cret@localhost:3000/hooks?from=comethook" {
		t.Errorf("For(/) = %q", got)
	}
	if got := tg.Safe(); got != "http://dev:xxxxx@localhost:3000/hooks?from=comethook" {
		t.Errorf("Safe = %q", got)
	}
}

func mustTarget(t testing.TB, raw string) *Target {
	t.Helper()
	tg, err := ParseTarget(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestEmitAfterAnswer holds Emit until the client has read the whole answer: if Emit ran
// before the answer was flushed, the client would never finish and Emit would time out.
func TestEmitAfterAnswer(t *testing.T) {
	a := newApp(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"from":"app"}`) })
	tests := []struct {
		name   string
		c      Config
		auth   bool
		answer string
	}{
		{"mock", Config{}, false, "{}"},
		{"mock before_message", Config{Mock: Mock{Respond: []byte(`{"x":1}`)}}, false, `{"x":1}`},
		{"forward", Config{Forward: mustTarget(t, a.URL)}, false, `{"from":"app"}`},
		{"rejected", Config{BasicAuth: "a:b"}, true, "Unauthorized\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := make(chan struct{})
			emitted := make(chan error, 1)
			tt.c.Emit = func(d *Delivery) {
				select {
				case <-read:
					emitted <- nil
				case <-time.After(5 * time.Second):
					emitted <- errors.New("Emit ran before the client had the whole answer")
				}
			}
			srv := httptest.NewServer(New(tt.c))
			defer srv.Close()
			resp, err := srv.Client().Post(srv.URL+"/", "application/json", strings.NewReader(beforeMessage))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			close(read)
			if err != nil || string(b) != tt.answer {
				t.Fatalf("read %q, %v; want %q", b, err, tt.answer)
			}
			if err := <-emitted; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWait(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	a := newApp(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		_, _ = io.WriteString(w, "{}")
	})
	s := &sink{}
	h := New(Config{Forward: mustTarget(t, a.URL), Emit: s.emit})
	if err := h.Wait(context.Background()); err != nil {
		t.Fatalf("Wait with nothing in flight: %v", err)
	}
	served := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), post("/", afterMessage))
		close(served)
	}()
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with a request in flight returned %v, want the context's deadline", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- h.Wait(context.Background()) }()
	close(release)
	select {
	case err := <-waited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after the request finished")
	}
	if len(s.all()) != 1 {
		t.Error("Wait returned before the delivery was emitted")
	}
	<-served
}

// Benchmarks. The "handler" variants call ServeHTTP directly (the handler's own cost); the
// "loopback" variants go through a real server and client, as CometChat's requests would.

type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(s int) { w.status = s }
func (w *discardWriter) Flush()            {}

type rewindBody struct{ bytes.Reader }

func (*rewindBody) Close() error { return nil }

// bare is the baseline: the least a webhook endpoint can do.
var bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}"))
})

func benchHandler(b *testing.B, h http.Handler) {
	body := []byte(beforeMessage)
	req := post("/", beforeMessage)
	rb := &rewindBody{}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rb.Reset(body)
		req.Body = rb
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if w.status != http.StatusOK {
		b.Fatalf("status %d", w.status)
	}
}

func benchLoopback(b *testing.B, h http.Handler) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, DisableCompression: true}}
	defer client.CloseIdleConnections()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(srv.URL+"/", "application/json", strings.NewReader(beforeMessage))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

func mockHandler() *Handler {
	return New(Config{Rules: simulate.DefaultRules(), Emit: func(*Delivery) {}})
}

func BenchmarkMockDelivery(b *testing.B) {
	b.Run("handler", func(b *testing.B) { benchHandler(b, mockHandler()) })
	b.Run("loopback", func(b *testing.B) { benchLoopback(b, mockHandler()) })
}

func BenchmarkBareHandler(b *testing.B) {
	b.Run("handler", func(b *testing.B) { benchHandler(b, bare) })
	b.Run("loopback", func(b *testing.B) { benchLoopback(b, bare) })
}

// BenchmarkParse is the floor under BenchmarkMockDelivery: the one decode every delivery needs.
func BenchmarkParse(b *testing.B) {
	body := []byte(beforeMessage)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := webhook.Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDuplicatesAreMarked(t *testing.T) {
	var got []*Delivery
	var mu sync.Mutex
	h := New(Config{Rules: simulate.DefaultRules(), Emit: func(d *Delivery) { mu.Lock(); got = append(got, d); mu.Unlock() }})
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(body string) {
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body) // so the next request reuses the connection, as CometChat's would
		resp.Body.Close()
	}
	sent := `{"trigger":"message_sent","webhook":"w","data":{"message":{"id":"7","sender":"a","receiver":"b","category":"message","type":"text","sentAt":1700000000}}}`
	other := strings.Replace(sent, `"id":"7"`, `"id":"8"`, 1)
	post(sent)
	post(other)
	post(sent) // CometChat's retry: same webhook, trigger and message id
	post(`{"trigger":"something_new","data":{}}`)
	if err := h.Wait(context.Background()); err != nil { // Emit runs after the client has its answer
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(got, func(i, j int) bool { return got[i].Seq < got[j].Seq })
	if len(got) != 4 {
		t.Fatalf("got %d deliveries", len(got))
	}
	if got[0].DuplicateOf != 0 || got[1].DuplicateOf != 0 || got[3].DuplicateOf != 0 {
		t.Errorf("first deliveries marked as duplicates: %d %d %d", got[0].DuplicateOf, got[1].DuplicateOf, got[3].DuplicateOf)
	}
	if got[2].DuplicateOf != 1 {
		t.Errorf("the retry: DuplicateOf = %d, want 1", got[2].DuplicateOf)
	}
	if got[0].DedupKey != "w|message_sent|7" || got[0].DedupInferred {
		t.Errorf("key %q inferred %v: message_sent's key is documented", got[0].DedupKey, got[0].DedupInferred)
	}
}

func TestDedupWindowIsBounded(t *testing.T) {
	var s seen
	for i := 0; i < dedupWindow+10; i++ {
		s.check(strconv.Itoa(i), int64(i+1))
	}
	if len(s.seq) != dedupWindow {
		t.Errorf("remembered %d keys, want %d", len(s.seq), dedupWindow)
	}
	if s.check("0", 99) != 0 {
		t.Error("the oldest key should have been forgotten")
	}
	if s.check(strconv.Itoa(dedupWindow+5), 100) == 0 {
		t.Error("a recent key should still be known")
	}
}

func TestRecordAppendLineMatchesEncodingJSON(t *testing.T) {
	tricky := `{"trigger":"message_sent","webhook":"w","data":{"message":{"id":"1","data":{"text":"<@uid:a> & \",\"payload\":0,\" \u00e9"}}}}`
	for _, body := range []string{tricky, "{\n  \"trigger\": \"x\"\n}", "not json"} {
		d := &Delivery{Seq: 3, Method: "POST", Path: "/", Body: []byte(body), Header: http.Header{"X": {`","payload":0,"`}},
			Response: Response{Status: 200, Body: []byte(`{"a":1}`), Source: SourceMock}, Outcome: simulate.Delivered}
		if e, err := webhook.Parse(d.Body); err == nil {
			d.Event = e
		}
		rec := d.Record()
		got, err := rec.AppendLine(nil)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
		if string(got) != want.String() {
			t.Errorf("AppendLine for %q:\n got %s\nwant %s", body, got, want.String())
		}
	}
}

// A record must not keep its delivery alive: the inspector holds thousands of them.
func TestRecordDoesNotPinTheDelivery(t *testing.T) {
	d := &Delivery{Seq: 1, DuplicateOf: 1, Error: "x", Body: []byte(`{}`)}
	collected := make(chan struct{})
	runtime.AddCleanup(d, func(struct{}) { close(collected) }, struct{}{})
	rec := d.Record()
	d = nil
	for i := 0; i < 10; i++ {
		runtime.GC()
		select {
		case <-collected:
			if *rec.DuplicateOf != 1 || *rec.Error != "x" {
				t.Errorf("record lost its values: %v %v", *rec.DuplicateOf, *rec.Error)
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Error("the delivery was not collected while its record lives: the record points into it")
}

// A body that is not valid UTF-8 still makes a valid JSON line (strict parsers, Python's
// among them, refuse anything else), shows U+FFFD for the bad bytes, and keeps the exact
// bytes for replay, whether it is JSON or not; so does an answer with bad bytes.
func TestRecordInvalidUTF8(t *testing.T) {
	bodies := map[string]string{
		"json":     "{\"trigger\":\"message_sent\",\"data\":{\"message\":{\"id\":\"u1\",\"data\":{\"text\":\"bad \xff\xfe here\"}}}}",
		"indented": "{\n  \"trigger\": \"message_sent\", \"data\": {\"text\": \"\xc3\"}\n}",
		"text":     "not json \xff",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			w, s := serve(t, Config{Mock: Mock{Respond: []byte("{\"echo\":\"\xff\"}")}}, post("/", body))
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			rec := s.one(t).Record()
			line, err := rec.AppendLine(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.Valid(line) || !json.Valid(line) {
				t.Fatalf("the line is not valid UTF-8 JSON: %q", line)
			}
			var back record.Record
			if err := json.Unmarshal(line, &back); err != nil {
				t.Fatal(err)
			}
			if got := back.RawBody(); string(got) != body {
				t.Errorf("RawBody = %q, want the bytes that arrived %q", got, body)
			}
			if name == "json" && !strings.Contains(string(back.Payload), "bad \ufffd here") {
				t.Errorf("payload %s: want the text with U+FFFD for the bad bytes", back.Payload)
			}
		})
	}
}

// A caller that hung up before its answer never got it: the record says so and counts the
// delivery failed, whoever answered (here comethook's mock, after --delay, with --status 500,
// over a real connection, since net/http cancels the request's context when it closes).
func TestCallerGone(t *testing.T) {
	s := &sink{}
	h := New(Config{Mock: Mock{Status: 500, Delay: 300 * time.Millisecond}, Rules: simulate.DefaultRules(), Emit: s.emit})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := &http.Client{Timeout: 50 * time.Millisecond}
	if resp, err := c.Post(srv.URL, "application/json", strings.NewReader(afterMessage)); err == nil {
		resp.Body.Close()
		t.Fatalf("the client got %d, want it to give up first", resp.StatusCode)
	}
	var d *Delivery
	for deadline := time.Now().Add(10 * time.Second); d == nil; time.Sleep(10 * time.Millisecond) {
		if d = s.last(); d == nil && time.Now().After(deadline) {
			t.Fatal("no delivery emitted")
		}
	}
	if !d.Response.CallerGone || d.Outcome != simulate.Failed || !strings.Contains(d.Error, "the caller hung up before the answer") {
		t.Errorf("outcome %s, callerGone %v, error %q: want failed, the caller gone, said so", d.Outcome, d.Response.CallerGone, d.Error)
	}
	rec := d.Record()
	if !rec.Response.CallerGone || rec.Response.Source != SourceMock {
		t.Errorf("record response %+v", rec.Response)
	}

	// A caller that waits is not gone.
	s2 := &sink{}
	srv2 := httptest.NewServer(New(Config{Rules: simulate.DefaultRules(), Emit: s2.emit}))
	defer srv2.Close()
	resp, err := http.Post(srv2.URL, "application/json", strings.NewReader(afterMessage))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for deadline := time.Now().Add(10 * time.Second); s2.last() == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if d := s2.last(); d == nil || d.Response.CallerGone || d.Outcome != simulate.Delivered {
		t.Errorf("a caller that waited: %+v", d)
	}
}
