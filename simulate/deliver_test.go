package simulate

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// refusedURL returns a loopback URL nobody listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/webhooks"
}

func TestBasicAuthHeader(t *testing.T) {
	if got := BasicAuthHeader("user:pass"); got != "Basic dXNlcjpwYXNz" {
		t.Errorf("BasicAuthHeader = %q", got)
	}
}

func TestDeliverRequestLikeCometChat(t *testing.T) {
	type seen struct {
		method, path, ctype, auth, extra, body, ua, enc string
		multi                                           []string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"),
			r.Header.Get("X-Extra"), string(b), r.Header.Get("User-Agent"), r.Header.Get("Accept-Encoding"), r.Header.Values("X-Multi")}
		w.Header().Set("X-Reply", "yes")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()

	body := []byte(`{"trigger":"message_sent","data":{}}`)
	h := http.Header{}
	h.Set("X-Extra", "1")
	h.Add("X-Multi", "a")
	h.Add("X-Multi", "b")
	h.Set("Content-Type", "text/plain") // CometChat always sends JSON
	resp := Deliver(context.Background(), NewClient(false, 1), Request{
		URL: srv.URL + "/webhooks", Body: body, BasicAuth: "user:pass", Header: h, Timeout: 5 * time.Second, UserAgent: "comethook/1.2.3",
	})
	if resp.Err != nil {
		t.Fatal(resp.Err)
	}
	s := <-got
	checks := []struct{ name, got, want string }{
		{"method", s.method, "POST"},
		{"path", s.path, "/webhooks"},
		{"Content-Type", s.ctype, "Application/json"}, // as CometChat sends it (observed)
		{"User-Agent", s.ua, "comethook/1.2.3"},
		{"Accept-Encoding", s.enc, ""},
		{"Authorization", s.auth, "Basic dXNlcjpwYXNz"},
		{"X-Extra", s.extra, "1"},
		{"X-Multi", strings.Join(s.multi, ","), "a,b"},
		{"body", s.body, string(body)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if resp.Status != http.StatusCreated || string(resp.Body) != `{"ok":true}` || resp.Header.Get("X-Reply") != "yes" {
		t.Errorf("response = %d %q %v", resp.Status, resp.Body, resp.Header)
	}
	if !resp.OK() || resp.TimedOut || resp.Truncated || resp.Duration <= 0 {
		t.Errorf("OK %v TimedOut %v Truncated %v Duration %v", resp.OK(), resp.TimedOut, resp.Truncated, resp.Duration)
	}
}

func TestDeliverWithoutBasicAuth(t *testing.T) {
	var auth atomic.Value
	auth.Store("unset")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	resp := Deliver(context.Background(), NewClient(false, 1), Request{URL: srv.URL, Body: []byte("{}")})
	if resp.Err != nil || resp.Status != 200 {
		t.Fatalf("resp = %+v", resp)
	}
	if a := auth.Load().(string); a != "" {
		t.Errorf("Authorization = %q, want none", a)
	}
}

func TestDeliverStatus(t *testing.T) {
	tests := []struct {
		status int
		body   string
		ok     bool
	}{
		{200, `{}`, true},
		{201, `{"a":1}`, true},
		{204, ``, true},
		{299, `x`, true},
		{304, ``, false},
		{400, `bad`, false},
		{404, `not found`, false},
		{500, `boom`, false},
		{503, ``, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			resp := Deliver(context.Background(), NewClient(false, 1), Request{URL: srv.URL, Body: []byte("{}"), Timeout: 5 * time.Second})
			if resp.Err != nil {
				t.Fatal(resp.Err)
			}
			if resp.Status != tt.status || string(resp.Body) != tt.body || resp.OK() != tt.ok {
				t.Errorf("got %d %q OK=%v, want %d %q OK=%v", resp.Status, resp.Body, resp.OK(), tt.status, tt.body, tt.ok)
			}
		})
	}
}

func TestDeliverTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	resp := Deliver(context.Background(), NewClient(false, 1), Request{URL: srv.URL, Body: []byte("{}"), Timeout: 50 * time.Millisecond})
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Deliver took %v with a 50ms timeout", el)
	}
	if resp.Err == nil || !resp.TimedOut || resp.OK() {
		t.Fatalf("resp = %+v, want a timeout", resp)
	}
	if resp.Duration < 50*time.Millisecond {
		t.Errorf("Duration = %v, want at least the timeout", resp.Duration)
	}
	if got := Explain(resp.Err, srv.URL, 50*time.Millisecond); !strings.Contains(got, "no answer within 50ms") {
		t.Errorf("Explain = %q", got)
	}
}

func TestDeliverTimeoutWhileReadingBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, `{"partial":`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	resp := Deliver(context.Background(), NewClient(false, 1), Request{URL: srv.URL, Body: []byte("{}"), Timeout: 100 * time.Millisecond})
	if resp.Err == nil || !resp.TimedOut || resp.OK() {
		t.Errorf("resp = %+v, want a timeout although headers came", resp)
	}
}

func TestDeliverConnectionRefused(t *testing.T) {
	u := refusedURL(t)
	resp := Deliver(context.Background(), NewClient(false, 1), Request{URL: u, Body: []byte("{}"), Timeout: 5 * time.Second})
	if resp.Err == nil || resp.TimedOut || resp.OK() || resp.Status != 0 {
		t.Fatalf("resp = %+v, want a connection error", resp)
	}
	host := strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/webhooks")
	want := "connection refused: is your app running on " + host + "?"
	if got := Explain(resp.Err, u, 5*time.Second); got != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
}

func TestDeliverTruncatesLongAnswers(t *testing.T) {
	for _, tt := range []struct {
		size      int
		truncated bool
	}{{MaxAnswer, false}, {MaxAnswer + 1, true}, {MaxAnswer + 4096, true}} {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, strings.Repeat("a", tt.size))
			}))
			defer srv.Close()
			resp := Deliver(context.Background(), NewClient(false, 1), Request{URL: srv.URL, Body: []byte("{}"), Timeout: 5 * time.Second})
			if resp.Err != nil {
				t.Fatal(resp.Err)
			}
			if resp.Truncated != tt.truncated || len(resp.Body) != min(tt.size, MaxAnswer) {
				t.Errorf("Truncated %v, %d bytes; want %v, %d", resp.Truncated, len(resp.Body), tt.truncated, min(tt.size, MaxAnswer))
			}
		})
	}
}

func TestDeliverDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusFound)
	})
	mux.HandleFunc("/perm", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, status := range map[string]int{"/old": http.StatusFound, "/perm": http.StatusPermanentRedirect} {
		resp := Deliver(context.Background(), NewClient(false, 1), Request{URL: srv.URL + path, Body: []byte("{}"), Timeout: 5 * time.Second})
		if resp.Err != nil || resp.Status != status || resp.OK() {
			t.Errorf("%s: resp = %d %v, want %d not OK", path, resp.Status, resp.Err, status)
		}
		if loc := resp.Header.Get("Location"); loc != "/new" {
			t.Errorf("%s: Location = %q", path, loc)
		}
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("the redirect target was requested %d times", n)
	}
}

func TestDeliverTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	resp := Deliver(context.Background(), NewClient(false, 1), Request{URL: srv.URL, Body: []byte("{}"), Timeout: 5 * time.Second})
	if resp.Err == nil {
		t.Fatal("a self-signed certificate was trusted without --insecure")
	}
	host := strings.TrimPrefix(srv.URL, "https://")
	if got := Explain(resp.Err, srv.URL, time.Second); !strings.Contains(got, "TLS certificate of "+host+" not trusted") || !strings.Contains(got, "--insecure") {
		t.Errorf("Explain = %q", got)
	}
	resp = Deliver(context.Background(), NewClient(true, 1), Request{URL: srv.URL, Body: []byte("{}"), Timeout: 5 * time.Second})
	if resp.Err != nil || resp.Status != 200 {
		t.Errorf("with insecure: %d %v", resp.Status, resp.Err)
	}
}

func TestDeliverBadURLAndCancel(t *testing.T) {
	resp := Deliver(context.Background(), NewClient(false, 1), Request{URL: "http://bad host/", Body: []byte("{}")})
	if resp.Err == nil || resp.OK() {
		t.Errorf("bad URL: resp = %+v", resp)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	resp = Deliver(ctx, NewClient(false, 1), Request{URL: srv.URL, Body: []byte("{}"), Timeout: time.Second})
	if resp.Err == nil || resp.TimedOut {
		t.Errorf("cancelled: resp = %+v, want an error that is not a timeout", resp)
	}
	if got := Explain(resp.Err, srv.URL, time.Second); got != "cancelled" {
		t.Errorf("Explain(cancelled) = %q", got)
	}
}

func TestExplain(t *testing.T) {
	const target = "http://localhost:3000/webhooks"
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: target, Err: err} }
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"deadline", wrap(context.DeadlineExceeded), "no answer within 2s: CometChat gives up after about 2s; is the endpoint stuck?"},
		{"os timeout", wrap(os.ErrDeadlineExceeded), "no answer within 2s"},
		{"refused", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}),
			"connection refused: is your app running on localhost:3000?"},
		{"dns", wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Name: "nope.invalid", Err: "no such host"}}),
			"cannot resolve nope.invalid: check the URL"},
		{"cert", wrap(&tls509{}), "TLS certificate of localhost:3000 not trusted: use --insecure"},
		{"unknown authority", wrap(x509.UnknownAuthorityError{}), "TLS certificate of localhost:3000 not trusted"},
		{"reset", wrap(&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}),
			"localhost:3000 closed the connection without an answer"},
		{"eof", wrap(io.EOF), "localhost:3000 closed the connection without an answer"},
		{"cancelled", wrap(context.Canceled), "cancelled"},
		{"other url error", wrap(errors.New("something odd")), "something odd"},
		{"plain", errors.New("plain failure"), "plain failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Explain(tt.err, target, Budget)
			if !strings.Contains(got, tt.want) {
				t.Errorf("Explain = %q, want it to contain %q", got, tt.want)
			}
			if strings.Contains(got, "Post \"") {
				t.Errorf("Explain leaks Go's url.Error wording: %q", got)
			}
		})
	}
}

// tls509 is an error that only says x509, like some platform verifiers.
type tls509 struct{}

func (*tls509) Error() string { return "x509: certificate signed by unknown authority" }
