package cmd

// listen's set-up: its flags checked and turned into options, and what it opens (the
// listeners, the tunnel, the capture, the inspector), each failure in words.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/comethook/comethook/internal/bytesize"
	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/inspect"
	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/simulate"
	"github.com/comethook/comethook/tunnel"
)

// startCPUProfile writes a CPU profile to path until stop is called (bench/run's profiles).
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// check checks every flag and turns them into the receiver's configuration; the tunnel's
// token and CAs are kept in o.
func (o *listenOptions) check(e *env) (receiver.Config, error) {
	cfg, err := o.receiverConfig(e)
	if err != nil {
		return cfg, err
	}
	if err := checkPatterns(e.p, o.triggers); err != nil {
		return cfg, err
	}
	if o.noCapture && o.capture != "" {
		return cfg, usageErr(errors.New("--capture and --no-capture cannot be used together"), "")
	}
	if o.token, err = o.tunnelMode(e); err != nil {
		return cfg, err
	}
	if o.connectCAs != "" {
		if o.cas, err = tunnel.LoadCertPool(o.connectCAs); err != nil {
			return cfg, usageErr(fmt.Errorf("--ngrok-connect-cas: %w", err), "")
		}
	}
	if err := o.register.check(e, o.token != "", &cfg); err != nil {
		return cfg, err
	}
	return cfg, checkInspectAddr(o.inspect)
}

// tunnelMode decides between ngrok and none, and finds the authtoken: "" for none.
func (o *listenOptions) tunnelMode(e *env) (string, error) {
	token := o.authtoken
	if token == "" {
		token = e.getenv("NGROK_AUTHTOKEN")
	}
	mode := o.tunnel
	switch mode {
	case "":
		mode = "none"
		if token != "" {
			mode = "ngrok"
		}
	case "ngrok", "none":
	default:
		return "", usageErr(fmt.Errorf("invalid --tunnel %q: want ngrok or none", o.tunnel), "")
	}
	if mode == "ngrok" && token == "" {
		return "", failErr(errors.New("--tunnel ngrok needs an ngrok authtoken"),
			"set NGROK_AUTHTOKEN (get one at https://dashboard.ngrok.com/get-started/your-authtoken) or pass --authtoken; --tunnel none listens locally only")
	}
	if o.url != "" && mode == "none" {
		// An ngrok URL asks for the tunnel: starting without one would leave the dashboard
		// pointing at a URL nothing answers.
		if token == "" {
			return "", failErr(fmt.Errorf("--url %s needs an ngrok authtoken", o.url),
				"set NGROK_AUTHTOKEN (get one at https://dashboard.ngrok.com/get-started/your-authtoken) or pass --authtoken")
		}
		return "", usageErr(fmt.Errorf("--url %s is an ngrok URL, and --tunnel none starts no tunnel", o.url), "drop one of them")
	}
	if mode == "none" {
		return "", nil
	}
	return token, nil
}

// defaultInspect is where the inspector listens unless --inspect says otherwise.
const defaultInspect = "127.0.0.1:4041"

// checkInspectAddr accepts "off" or a loopback host:port. The inspector can replay
// deliveries, so it must never face the network.
func checkInspectAddr(a string) error {
	if a == "off" || a == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(a)
	if err != nil {
		return usageErr(fmt.Errorf("--inspect %q: want host:port (e.g. 127.0.0.1:4041) or off", a), "")
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageErr(fmt.Errorf("--inspect %s: the inspector can replay deliveries, so it only binds to loopback (127.0.0.1, ::1, localhost)", a), "")
	}
	return nil
}

// listenInspector opens the inspector's listener (nil with --inspect off). When the
// default port is taken (another listen), a free one is used instead.
func listenInspector(a string) (net.Listener, error) {
	if a == "off" || a == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", a)
	if err != nil && a == defaultInspect && errors.Is(err, syscall.EADDRINUSE) {
		host, _, _ := net.SplitHostPort(a)
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
	}
	if err != nil {
		return nil, failErr(fmt.Errorf("inspector: cannot listen on %s: %w", a, err), "pass --inspect 127.0.0.1:PORT, or --inspect off")
	}
	return ln, nil
}

// newInspector builds the inspector: it replays to this listener or to the app, and reads
// deliveries it no longer holds from the capture file.
func newInspector(e *env, o *listenOptions, cfg receiver.Config, localURL string, capture *history.Writer) *inspect.Server {
	r := inspect.Replayer{Client: e.client(o.insecure, 4), LocalURL: localURL, AppTimeout: cfg.ForwardTimeout,
		BasicAuth: cfg.BasicAuth, Rules: cfg.Rules, UserAgent: e.userAgent()}
	var forwardTo string
	if cfg.Forward != nil {
		r.AppURL, forwardTo = cfg.Forward.For, cfg.Forward.Safe() // the page never shows a user:pass@ URL's password
	}
	opts := inspect.Options{Replay: r.Replay, ForwardTo: forwardTo}
	if capture != nil { // deliveries no longer held in memory are read back from the capture
		opts.Lookup = history.Lookup(capture.Path())
	}
	return inspect.New(opts)
}

// openCapture opens this run's capture file (nil with --no-capture), within --capture-max.
func openCapture(e *env, o *listenOptions, warn func(string)) (*history.Writer, error) {
	if o.noCapture {
		return nil, nil
	}
	path, dir := o.capture, "" // the user's own file: its directory is not pruned
	if path == "" {
		var err error
		if dir, err = captureDir(e); err != nil {
			e.p.Warn(fmt.Sprintf("not capturing deliveries: %v (%s)", err, captureDirHint(err, "pass --capture FILE")))
			return nil, nil
		}
		path = history.NewRunPath(dir, e.now())
	}
	w, err := history.OpenBounded(path, dir, o.captureBytes, o.captureMax, warn)
	if err != nil {
		return nil, failErr(fmt.Errorf("cannot write the capture file: %w", err), "pass --capture FILE somewhere writable, or --no-capture")
	}
	return w, nil
}

// Connection timeouts. CometChat sends a whole request at once, so 10 s for the headers
// is generous and still cuts off a slow-loris client. Without an idle timeout net/http
// would keep a kept-alive connection open for ever, and a client that sent a first
// request and then nothing (or three bytes of the next one: the header timeout starts at
// the fourth) would hold it until listen stops.
const (
	defaultHeaderTimeout = 10 * time.Second
	defaultIdleTimeout   = 2 * time.Minute
	// The body gets longer than the headers: up to --max-body on a slow uplink.
	defaultBodyTimeout = 30 * time.Second
)

func (o *listenOptions) newServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: o.headerTimeout, IdleTimeout: o.idleTimeout, ErrorLog: nilLogger(),
		MaxHeaderBytes: o.maxHeaderBytes}
}

func (o *listenOptions) receiverConfig(e *env) (receiver.Config, error) {
	var cfg receiver.Config
	if o.port < 0 || o.port > 65535 {
		return cfg, usageErr(fmt.Errorf("--port %d: want 0 to 65535", o.port), "")
	}
	max, err := bytesize.Parse(o.maxBody)
	if err != nil {
		return cfg, usageErr(fmt.Errorf("--max-body: %w", err), "")
	}
	maxHeader, err := bytesize.Parse(o.maxHeader)
	if err != nil || maxHeader < 1024 || maxHeader > 64<<20 {
		if err == nil {
			err = errors.New("want 1KiB to 64MiB")
		}
		return cfg, usageErr(fmt.Errorf("--max-header: %w", err), "")
	}
	o.maxHeaderBytes = int(maxHeader)
	if o.captureBytes, err = bytesize.Parse(o.captureMax); err != nil || o.captureBytes < 64<<10 {
		if err == nil {
			err = errors.New("want 64KiB or more")
		}
		return cfg, usageErr(fmt.Errorf("--capture-max: %w", err), "")
	}
	auth, err := resolveBasicAuth(e, o.basicAuth)
	if err != nil {
		return cfg, err
	}
	rules, err := o.rules.rules()
	if err != nil {
		return cfg, usageErr(err, "")
	}
	if o.status < 100 || o.status > 599 {
		return cfg, usageErr(fmt.Errorf("--status %d: want an HTTP status from 100 to 599", o.status), "")
	}
	cfg = receiver.Config{
		BasicAuth:      auth,
		MaxBody:        max,
		BodyTimeout:    o.bodyTimeout,
		Mock:           receiver.Mock{Status: o.status, Drop: o.drop, Delay: o.delay},
		ForwardTimeout: o.forwardTimeout,
		Rules:          rules,
		Now:            e.now,
	}
	if o.respond != "" {
		if o.drop {
			return cfg, usageErr(errors.New("--respond and --drop cannot be used together"), "")
		}
		body, err := readRespond(o.respond)
		if err != nil {
			return cfg, usageErr(err, "")
		}
		cfg.Mock.Respond = body
	}
	if o.forwardTo != "" {
		if o.respond != "" || o.drop || o.status != 200 || o.delay != 0 {
			return cfg, usageErr(errors.New("--respond, --drop, --status and --delay answer for your app: they cannot be used with --forward-to"), "")
		}
		u, err := simulate.ParseTarget(o.forwardTo) // 3000/webhooks and the like: a whole URL
		if err == nil {
			cfg.Forward, err = receiver.ParseTarget(u)
		}
		if err != nil {
			return cfg, usageErr(fmt.Errorf("--forward-to: %w", err), "")
		}
		cfg.Client = e.client(o.insecure, 64)
	}
	if o.forwardTimeout < 0 {
		return cfg, usageErr(errors.New("--forward-timeout cannot be negative"), "")
	}
	return cfg, nil
}

// readRespond reads --respond: inline JSON or @file. It must be JSON: an answer that is
// not is better tested against a real endpoint with comethook send.
func readRespond(v string) ([]byte, error) {
	body, what := []byte(v), "--respond"
	if name, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--respond: %w", err)
		}
		body, what = b, "--respond "+v
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("%s: not valid JSON: %s", what, render.Shorten(string(body), 60))
	}
	return body, nil
}

func mockWords(m receiver.Mock) string {
	switch {
	case m.Drop:
		return `{"action":"do_not_propagate"} to before_message`
	case m.Respond != nil:
		c, _ := render.Compact(m.Respond)
		return render.Shorten(c, 40) + " to before_message, {} to the rest"
	}
	return "{}"
}

func listenError(e *env, addr string, port int, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		// When it is a comethook listen of this user's, say which: it is usually the one
		// started in another terminal and forgotten.
		if st, ok := runningListener(e, func(st listenerState) bool {
			u, err := url.Parse(st.LocalURL)
			return err == nil && u.Port() == strconv.Itoa(port)
		}); ok {
			return failErr(fmt.Errorf("port %d is already in use by comethook listen (pid %d, %s)", port, st.PID, st.LocalURL),
				fmt.Sprintf("stop it (Ctrl-C in its terminal, or kill %d), or pass --port N, or --port 0 for a free one", st.PID))
		}
		return failErr(fmt.Errorf("port %d is already in use on %s", port, addr),
			"another program is using it: stop it, or pass --port N, or --port 0 for a free one")
	}
	if errors.Is(err, syscall.EACCES) {
		return failErr(fmt.Errorf("not allowed to listen on %s", addr), "ports below 1024 need privileges: pass --port 0 or a higher port")
	}
	return failErr(fmt.Errorf("cannot listen on %s: %w", addr, err), "check --host")
}

func openTunnel(ctx context.Context, e *env, o *listenOptions) (*tunnel.Tunnel, error) {
	opts := tunnel.Options{
		Authtoken:      o.token,
		URL:            o.url,
		ConnectURL:     o.connectURL,
		ConnectTimeout: o.connectTimeout,
		ClientVersion:  e.build.Version,
		// ngrok's warnings (a deprecated agent, a Go that trusts revoked CAs) are worth
		// seeing; its errors reach the user as comethook's own sentences instead.
		Logger: tunnel.WarnLogger(e.p.Warn), // Warn cleans the text
		OnEvent: func(ev tunnel.Event) {
			switch ev.Kind {
			case tunnel.Disconnected:
				switch {
				case ev.StillDown:
					e.p.Warn(fmt.Sprintf("tunnel still down (%s), retrying…", ev.Err))
				case ev.Err != nil:
					e.p.Warn(fmt.Sprintf("tunnel dropped (%s), reconnecting…", ev.Err))
				default:
					e.p.Warn("tunnel dropped, reconnecting…")
				}
			case tunnel.Reconnected:
				e.p.Say("tunnel reconnected: same URL")
			}
		},
	}
	if e.p.Verbose {
		opts.Logger = slog.New(slog.NewTextHandler(e.p.Err, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	opts.ConnectCAs = o.cas
	e.p.Note("starting the ngrok tunnel…")
	t, err := tunnel.OpenNgrok(ctx, opts)
	if err != nil {
		var te *tunnel.Error
		if errors.As(err, &te) {
			return nil, failErr(te, te.Hint)
		}
		return nil, failErr(err, "")
	}
	return t, nil
}

func writeReadyFile(name string, facts map[string]any) error {
	b, _ := json.Marshal(facts)
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("--ready-file: %w", err)
	}
	return os.Rename(tmp, name)
}

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// banner is what listen says when ready (the inspector's address is added by the caller).
func (o *listenOptions) banner(localURL string, cfg receiver.Config, tun *tunnel.Tunnel, capture *history.Writer) render.Banner {
	b := render.Banner{LocalURL: localURL, MockAnswer: mockWords(cfg.Mock)}
	if cfg.Forward != nil {
		b.ForwardTo = cfg.Forward.Safe()
	}
	switch {
	case tun != nil:
		b.PublicURL = tun.URL()
	case o.tunnel == "none": // asked for: no advice on getting a tunnel
	default:
		b.Notes = append(b.Notes, "No ngrok tunnel: set NGROK_AUTHTOKEN (https://dashboard.ngrok.com/get-started/your-authtoken)",
			"or pass --authtoken to get a public URL for the CometChat dashboard.")
	}
	if len(o.triggers) > 0 {
		b.Filter = strings.Join(o.triggers, ", ")
	}
	if capture != nil {
		b.Capture = capture.Path()
	}
	return b
}

// tuneGC trades memory the listener does not use for CPU: its live heap is small (the
// inspector's bounded store, the queues), so with Go's default the collector ran several
// times a second under load, a sixth of listen's CPU. It lets the heap grow to five times
// what is live, under a soft limit of 40 MiB that keeps RSS under 60 MiB (bench/run row 4).
// A flood of large bodies whose live heap passes the limit makes the collector work harder
// (the runtime caps it at half the CPU). GOGC and GOMEMLIMIT, when set, are the user's word.
func tuneGC(e *env) {
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if e.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(40 << 20)
	}
}
