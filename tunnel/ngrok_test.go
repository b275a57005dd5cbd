package tunnel_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comethook/comethook/internal/ngrokfake"
	"github.com/comethook/comethook/tunnel"
)

const (
	goodToken = "2goodTOKEN_0123456789abcdef"
	badToken  = "2badTOKEN_must_never_leak_42"
	// connectTimeout is generous; the failures below must come far sooner.
	connectTimeout = 5 * time.Second
)

// logBuffer collects ngrok's logs in both text and JSON form.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(slog.NewMultiHandler(slog.NewTextHandler(b, opts), slog.NewJSONHandler(b, opts)))
}

func startFake(t *testing.T, cfg ngrokfake.Config) *ngrokfake.Server {
	t.Helper()
	srv, err := ngrokfake.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func fakeOptions(srv *ngrokfake.Server, logs *logBuffer) tunnel.Options {
	return tunnel.Options{
		Authtoken:      goodToken,
		ConnectURL:     srv.ConnectAddr(),
		ConnectCAs:     srv.CertPool(),
		ConnectTimeout: connectTimeout,
		Logger:         logs.logger(),
		ClientVersion:  "test",
	}
}

// openAndServe opens a tunnel and serves h on it until the test ends.
func openAndServe(t *testing.T, o tunnel.Options, h http.Handler) *tunnel.Tunnel {
	t.Helper()
	start := time.Now()
	tun, err := tunnel.OpenNgrok(context.Background(), o)
	if err != nil {
		t.Fatalf("OpenNgrok: %v", err)
	}
	t.Logf("tunnel %s up in %v", tun.URL(), time.Since(start))
	hs := &http.Server{Handler: h}
	go hs.Serve(tun.Listener())
	t.Cleanup(func() {
		tun.Close()
		hs.Close()
	})
	return tun
}

// echo answers 201 with what it received.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Seen-Host", r.Host)
	w.Header().Set("X-Seen-Proto", r.Header.Get("X-Forwarded-Proto"))
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, body)
})

// post sends a request to the fake's public side as if to host.
func post(t *testing.T, srv *ngrokfake.Server, host, path, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+srv.PublicAddr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(got)
}

func hostOf(t *testing.T, u string) string {
	t.Helper()
	return strings.TrimPrefix(u, "https://")
}

func TestOpenNgrokServesRequests(t *testing.T) {
	srv := startFake(t, ngrokfake.Config{Authtokens: []string{goodToken}})
	tun := openAndServe(t, fakeOptions(srv, &logBuffer{}), echo)

	if !regexp.MustCompile(`^https://[0-9a-f]{16}\.ngrok-free\.app$`).MatchString(tun.URL()) {
		t.Errorf("URL() = %q, want a random https://<hex>.ngrok-free.app", tun.URL())
	}
	resp, body := post(t, srv, hostOf(t, tun.URL()), "/webhook", `{"trigger":"after_message"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status = %d, want 201", resp.StatusCode)
	}
	if want := `POST /webhook {"trigger":"after_message"}`; body != want {
		t.Errorf("body = %q, want %q", body, want)
	}
	if got := resp.Header.Get("X-Seen-Host"); got != hostOf(t, tun.URL()) {
		t.Errorf("handler saw Host %q, want %q", got, hostOf(t, tun.URL()))
	}
	if got := resp.Header.Get("X-Seen-Proto"); got != "https" {
		t.Errorf("handler saw X-Forwarded-Proto %q, want https", got)
	}
}

func TestOpenNgrokReservedURL(t *testing.T) {
	for _, u := range []string{"https://hooks.ngrok-free.app", "hooks.ngrok-free.app", "https://hooks.ngrok-free.app/"} {
		t.Run(u, func(t *testing.T) {
			srv := startFake(t, ngrokfake.Config{Authtokens: []string{goodToken}})
			o := fakeOptions(srv, &logBuffer{})
			o.URL = u
			tun := openAndServe(t, o, echo)
			if want := "https://hooks.ngrok-free.app"; tun.URL() != want {
				t.Errorf("URL() = %q, want %q", tun.URL(), want)
			}
			if resp, _ := post(t, srv, "hooks.ngrok-free.app", "/", "x"); resp.StatusCode != http.StatusCreated {
				t.Errorf("status = %d, want 201", resp.StatusCode)
			}
		})
	}
}

func TestOpenNgrokFailsFast(t *testing.T) {
	srv := startFake(t, ngrokfake.Config{
		Authtokens:   []string{goodToken},
		DomainsInUse: []string{"https://taken.ngrok-free.app"},
	})

	// A port where nothing listens.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close()

	// A port that accepts TCP and then never says a word.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()

	// A plain HTTP server, not ngrok.
	plain := &http.Server{Handler: http.NotFoundHandler()}
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go plain.Serve(plainLn)
	t.Cleanup(func() { plain.Close() })

	// An HTTPS server: TLS works, ngrok's protocol does not.
	https := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(https.Close)
	httpsCAs := x509.NewCertPool()
	httpsCAs.AddCert(https.Certificate())
	httpsAddr := strings.TrimPrefix(https.URL, "https://")

	tests := []struct {
		name     string
		edit     func(*tunnel.Options)
		wantMsg  string
		wantCode string
		wantHint string
	}{
		{
			name:     "refused token",
			edit:     func(o *tunnel.Options) { o.Authtoken = badToken },
			wantMsg:  "ngrok refused the authtoken",
			wantCode: "ERR_NGROK_107",
			wantHint: "NGROK_AUTHTOKEN",
		},
		{
			name:     "domain in use",
			edit:     func(o *tunnel.Options) { o.URL = "taken.ngrok-free.app" },
			wantMsg:  "the URL https://taken.ngrok-free.app is already online elsewhere",
			wantCode: "ERR_NGROK_334",
		},
		{
			name:     "nothing listening",
			edit:     func(o *tunnel.Options) { o.ConnectURL = deadAddr },
			wantMsg:  "could not reach ngrok at " + deadAddr + ": connection refused",
			wantHint: "--ngrok-connect-url",
		},
		{
			name:     "untrusted certificate",
			edit:     func(o *tunnel.Options) { o.ConnectCAs = nil },
			wantMsg:  "could not reach ngrok at " + srv.ConnectAddr() + ": its TLS certificate is not trusted",
			wantHint: "--ngrok-connect-cas",
		},
		{
			name:    "not a TLS server",
			edit:    func(o *tunnel.Options) { o.ConnectURL = plainLn.Addr().String() },
			wantMsg: "could not reach ngrok at " + plainLn.Addr().String() + ": the server there does not speak TLS",
		},
		{
			name: "HTTPS server",
			edit: func(o *tunnel.Options) {
				o.ConnectURL = httpsAddr
				o.ConnectCAs = httpsCAs
			},
			wantMsg: "could not reach ngrok at " + httpsAddr + ": the server there does not speak ngrok's agent protocol",
		},
		{
			name: "silent server",
			edit: func(o *tunnel.Options) {
				o.ConnectURL = silent.Addr().String()
				o.ConnectTimeout = 300 * time.Millisecond
			},
			wantMsg: "ngrok did not answer within 300ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logBuffer{}
			o := fakeOptions(srv, logs)
			tt.edit(&o)
			start := time.Now()
			tun, err := tunnel.OpenNgrok(context.Background(), o)
			elapsed := time.Since(start)
			if err == nil {
				tun.Close()
				t.Fatal("OpenNgrok succeeded, want an error")
			}
			t.Logf("failed in %v: %v (hint: %v; cause: %v)", elapsed, err, err.(*tunnel.Error).Hint, err.(*tunnel.Error).Err)
			if elapsed >= connectTimeout {
				t.Errorf("took %v, want well under the %v connect timeout", elapsed, connectTimeout)
			}
			var te *tunnel.Error
			if !errors.As(err, &te) {
				t.Fatalf("error is %T, want *tunnel.Error", err)
			}
			if !strings.HasPrefix(te.Error(), tt.wantMsg) {
				t.Errorf("Error() = %q, want it to start with %q", te.Error(), tt.wantMsg)
			}
			if te.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", te.Code, tt.wantCode)
			}
			if te.Hint == "" || !strings.Contains(te.Hint, tt.wantHint) {
				t.Errorf("Hint = %q, want one mentioning %q", te.Hint, tt.wantHint)
			}
			for what, text := range map[string]string{
				"Error()": te.Error(), "Hint": te.Hint, "Err": fmt.Sprint(te.Err), "%+v": fmt.Sprintf("%+v", err), "logs": logs.String(),
			} {
				if strings.Contains(text, o.Authtoken) {
					t.Errorf("%s contains the authtoken:\n%s", what, text)
				}
			}
		})
	}
}

// The refused token appears in the fake's error, as in ngrok's; check that
// the logs saw that error at all, so the redaction test above means something.
func TestRefusedTokenIsLoggedRedacted(t *testing.T) {
	srv := startFake(t, ngrokfake.Config{Authtokens: []string{goodToken}})
	logs := &logBuffer{}
	o := fakeOptions(srv, logs)
	o.Authtoken = badToken
	if _, err := tunnel.OpenNgrok(context.Background(), o); err == nil {
		t.Fatal("OpenNgrok succeeded, want an error")
	}
	if !strings.Contains(logs.String(), "Your authtoken: [REDACTED]") {
		t.Errorf("logs do not show the redacted refusal:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), badToken) {
		t.Errorf("logs contain the authtoken")
	}
}

func TestOpenNgrokWithoutAuthtoken(t *testing.T) {
	// Anything that connects here would show up as an accepted connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = tunnel.OpenNgrok(context.Background(), tunnel.Options{ConnectURL: ln.Addr().String()})
	if !errors.Is(err, tunnel.ErrNoAuthtoken) {
		t.Fatalf("err = %v, want ErrNoAuthtoken", err)
	}
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(100 * time.Millisecond))
	if c, err := ln.Accept(); err == nil {
		c.Close()
		t.Error("OpenNgrok connected without an authtoken")
	}
}

func TestOpenNgrokRejectsBadURL(t *testing.T) {
	for _, u := range []string{"http://name.ngrok-free.app", "https://name.ngrok-free.app/path", "ftp://x"} {
		_, err := tunnel.OpenNgrok(context.Background(), tunnel.Options{Authtoken: goodToken, URL: u, ConnectURL: "127.0.0.1:1"})
		var te *tunnel.Error
		if !errors.As(err, &te) || !strings.Contains(te.Error(), "is not an ngrok URL") {
			t.Errorf("URL %q: err = %v, want a usage error", u, err)
		}
	}
}

func TestTunnelReconnects(t *testing.T) {
	srv := startFake(t, ngrokfake.Config{Authtokens: []string{goodToken}})
	events := make(chan tunnel.Event, 16)
	o := fakeOptions(srv, &logBuffer{})
	o.OnEvent = func(e tunnel.Event) { events <- e }
	tun := openAndServe(t, o, echo)
	url := tun.URL()

	dropped := time.Now()
	srv.DropSessions()
	for _, want := range []tunnel.EventKind{tunnel.Disconnected, tunnel.Reconnected} {
		select {
		case e := <-events:
			if e.Kind != want {
				t.Fatalf("event %v (err %v), want %v", e.Kind, e.Err, want)
			}
			var te *tunnel.Error
			if want == tunnel.Disconnected && !errors.As(e.Err, &te) {
				t.Errorf("Disconnected.Err = %v, want a *tunnel.Error", e.Err)
			}
			t.Logf("%v after %v (err: %v)", e.Kind, time.Since(dropped), e.Err)
		case <-time.After(connectTimeout):
			t.Fatalf("no %v event", want)
		}
	}
	if tun.URL() != url {
		t.Errorf("URL changed from %s to %s", url, tun.URL())
	}
	resp, body := post(t, srv, hostOf(t, url), "/again", "after")
	if resp.StatusCode != http.StatusCreated || body != "POST /again after" {
		t.Errorf("after reconnect: %d %q, want 201 %q", resp.StatusCode, body, "POST /again after")
	}
	select {
	case e := <-events:
		t.Errorf("unexpected event %v (%v)", e.Kind, e.Err)
	default:
	}
}

// While the agent cannot get back, the user learns why, once per reason.
func TestTunnelReportsWhyReconnectFails(t *testing.T) {
	srv := startFake(t, ngrokfake.Config{Authtokens: []string{goodToken}})
	events := make(chan tunnel.Event, 16)
	o := fakeOptions(srv, &logBuffer{})
	o.OnEvent = func(e tunnel.Event) { events <- e }
	openAndServe(t, o, echo)

	srv.Close() // drops the session and refuses new ones
	var msgs []string
	for len(msgs) < 2 {
		select {
		case e := <-events:
			if e.Kind != tunnel.Disconnected {
				t.Fatalf("event %v, want Disconnected", e.Kind)
			}
			if e.StillDown != (len(msgs) > 0) {
				t.Errorf("Disconnected #%d: StillDown %v", len(msgs)+1, e.StillDown)
			}
			msgs = append(msgs, e.Err.Error())
		case <-time.After(connectTimeout):
			t.Fatalf("events %q, want two Disconnected", msgs)
		}
	}
	if want := "could not reach ngrok at " + srv.ConnectAddr() + ": connection refused"; msgs[1] != want {
		t.Errorf("second Disconnected: %q, want %q", msgs[1], want)
	}
	// The agent keeps retrying (0.5s, 1s, ...) for the same reason: no news.
	select {
	case e := <-events:
		t.Errorf("unexpected event %v (%v)", e.Kind, e.Err)
	case <-time.After(1200 * time.Millisecond):
	}
}

func TestCloseIsIdempotentAndStopsServing(t *testing.T) {
	srv := startFake(t, ngrokfake.Config{Authtokens: []string{goodToken}})
	o := fakeOptions(srv, &logBuffer{})
	tun := openAndServe(t, o, echo)
	host := hostOf(t, tun.URL())
	start := time.Now()
	if err := tun.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := tun.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	t.Logf("closed in %v", time.Since(start))
	if resp, _ := post(t, srv, host, "/", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("after Close: status %d, want 404 from the fake", resp.StatusCode)
	}
}
