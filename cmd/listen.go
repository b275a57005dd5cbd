package cmd

import (
	"context"
	"crypto/x509"
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
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/inspect"
	"github.com/comethook/comethook/internal/pipeline"
	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/render"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
	"github.com/comethook/comethook/tunnel"
)

// DefaultPort is where listen receives webhooks unless --port says otherwise.
const DefaultPort = 4571

type listenOptions struct {
	host           string
	port           int
	basicAuth      string
	maxBody        string
	maxHeader      string
	maxHeaderBytes int
	respond        string
	drop           bool
	status         int
	delay          time.Duration
	forwardTo      string
	forwardTimeout time.Duration
	insecure       bool
	triggers       []string
	tunnel         string
	authtoken      string
	url            string
	connectURL     string
	connectCAs     string
	connectTimeout time.Duration
	json           bool
	readyFile      string
	capture        string
	noCapture      bool
	captureMax     string
	captureBytes   int64
	save           string
	inspect        string
	rules          rulesFlags
	// Connection timeouts (hidden flags, for tests): how long a client may take to send its
	// headers, and how long a kept-alive connection may sit idle.
	headerTimeout time.Duration
	idleTimeout   time.Duration
	stopTimeout   time.Duration // how long Ctrl-C waits for deliveries in flight
	cpuProfile    string        // hidden: write a CPU profile of the run (bench/run's profiles)
	bodyTimeout   time.Duration
}

func newListenCmd(e *env) *cobra.Command {
	o := &listenOptions{}
	c := &cobra.Command{
		Use:   "listen",
		Short: "Receive CometChat webhooks locally, through an ngrok tunnel, and show them",
		Long: `Listen starts a local receiver for CometChat webhooks and, when an ngrok authtoken is
set, exposes it through an embedded ngrok tunnel: paste the printed URL in the CometChat
dashboard. Every delivery is shown as one line for the event and one for the answer.

Without --forward-to, comethook answers for you (200 {} by default). With --forward-to,
each webhook goes to your app byte for byte and your app's answer goes back to CometChat.
Either way comethook shows what CometChat will do with the answer.

Delivery lines go to stdout, everything else to stderr; --json prints one JSON record per
delivery instead. Ctrl-C stops it.`,
		Example: `  comethook listen
  comethook listen --forward-to 3000/webhooks
  comethook listen --authtoken $NGROK_AUTHTOKEN --url https://my-name.ngrok-free.app --forward-to 3000
  comethook listen --respond '{"score":0.1}' -t before_message
  comethook listen --drop --basic-auth @cometchat-webhook.auth
  comethook listen --tunnel none --port 0 --json | jq .outcome`,
		Args: argsRange(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			return runListen(c.Context(), e, o)
		},
	}
	fl := c.Flags()
	fl.StringVar(&o.host, "host", "127.0.0.1", "local address to listen on")
	fl.IntVarP(&o.port, "port", "p", DefaultPort, "local port to listen on (0 picks a free one)")
	fl.StringVar(&o.basicAuth, "basic-auth", "", "require Authorization: Basic, as CometChat sends it: "+basicAuthHelp)
	fl.StringVar(&o.maxBody, "max-body", "1MiB", "largest body accepted (e.g. 64KiB, 1MiB, 1048576); larger gets 413")
	fl.StringVar(&o.maxHeader, "max-header", "64KiB", "largest request header accepted; larger gets 431 and is not recorded (CometChat's are small)")
	fl.StringVar(&o.respond, "respond", "", "mock mode: the before_message answer, as JSON or @file")
	fl.BoolVar(&o.drop, "drop", false, `mock mode: answer before_message with {"action":"do_not_propagate"}`)
	fl.IntVar(&o.status, "status", 200, "mock mode: the status to answer (e.g. 500 to watch failures)")
	fl.DurationVar(&o.delay, "delay", 0, "mock mode: wait this long before answering (e.g. 2500ms to go over CometChat's budget)")
	fl.StringVarP(&o.forwardTo, "forward-to", "f", "", "forward every webhook to your app: URL, or 3000, 3000/path, :3000/path, /path for localhost")
	fl.DurationVar(&o.forwardTimeout, "forward-timeout", simulate.Budget, "how long your app may take (CometChat's budget is 2s); 0 waits for ever, for debugger sessions")
	fl.BoolVar(&o.insecure, "insecure", false, "accept a self-signed certificate from the --forward-to app")
	fl.StringArrayVarP(&o.triggers, "trigger", "t", nil, "show only these triggers (repeatable, globs like message_*); everything is still answered, and a POST that was rejected or is not a webhook always shows (other methods follow the filter)")
	fl.StringVar(&o.tunnel, "tunnel", "", "ngrok or none (default: ngrok when an authtoken is set, else none)")
	fl.StringVar(&o.authtoken, "authtoken", "", "ngrok authtoken (or $NGROK_AUTHTOKEN)")
	fl.StringVar(&o.url, "url", "", "ngrok URL to use: your reserved or free static domain, so the dashboard URL survives restarts")
	fl.StringVar(&o.connectURL, "ngrok-connect-url", "", "custom ngrok agent ingress host:port (ngrok's connect_url)")
	fl.StringVar(&o.connectCAs, "ngrok-connect-cas", "", "PEM file of CAs for --ngrok-connect-url (ngrok's connect_cas)")
	fl.DurationVar(&o.connectTimeout, "connect-timeout", tunnel.DefaultConnectTimeout, "give up starting the tunnel after this long")
	fl.BoolVar(&o.json, "json", false, "print one JSON record per delivery on stdout, nothing else")
	fl.StringVar(&o.readyFile, "ready-file", "", "when ready, write {\"localURL\",\"publicURL\",\"port\",\"inspectURL\"} to this file (for scripts)")
	fl.StringVar(&o.capture, "capture", "", "append every delivery to this JSON-lines file (default: one file per run in the cache dir)")
	fl.BoolVar(&o.noCapture, "no-capture", false, "do not capture deliveries")
	fl.StringVar(&o.captureMax, "capture-max", "100MiB", "most the captures take on disk, this run's included: past half of it, the run's older deliveries go")
	fl.StringVar(&o.save, "save", "", "also write each event as a fixture file <seq>-<trigger>.json in this directory")
	fl.StringVar(&o.inspect, "inspect", defaultInspect, "serve the web inspector on this loopback address, or off")
	o.rules.bind(c)
	fl.DurationVar(&o.headerTimeout, "read-header-timeout", defaultHeaderTimeout, "how long a client may take to send its request headers")
	fl.DurationVar(&o.idleTimeout, "idle-timeout", defaultIdleTimeout, "how long a kept-alive connection may sit idle")
	fl.DurationVar(&o.stopTimeout, "stop-timeout", 5*time.Second, "how long Ctrl-C waits for deliveries in flight")
	_ = fl.MarkHidden("read-header-timeout")
	_ = fl.MarkHidden("idle-timeout")
	fl.DurationVar(&o.bodyTimeout, "read-body-timeout", defaultBodyTimeout, "how long a client may take to send its request body")
	_ = fl.MarkHidden("stop-timeout")
	_ = fl.MarkHidden("read-body-timeout")
	fl.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof reads it)")
	_ = fl.MarkHidden("cpuprofile")
	return c
}

func runListen(ctx context.Context, e *env, o *listenOptions) error {
	// Every flag is checked before anything is opened: a mistake leaves nothing behind.
	cfg, err := o.receiverConfig(e)
	if err != nil {
		return err
	}
	if err := checkPatterns(e.p, o.triggers); err != nil {
		return err
	}
	if o.noCapture && o.capture != "" {
		return usageErr(errors.New("--capture and --no-capture cannot be used together"), "")
	}
	token, mode, err := o.tunnelMode(e)
	if err != nil {
		return err
	}
	var cas *x509.CertPool
	if o.connectCAs != "" {
		if cas, err = tunnel.LoadCertPool(o.connectCAs); err != nil {
			return usageErr(fmt.Errorf("--ngrok-connect-cas: %w", err), "")
		}
	}
	if err := checkInspectAddr(o.inspect); err != nil {
		return err
	}

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return failErr(fmt.Errorf("--cpuprofile: %w", err), "")
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return failErr(fmt.Errorf("--cpuprofile: %w", err), "")
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}

	// The local listener first: a taken port is the commonest failure and the cheapest to report.
	addr := net.JoinHostPort(o.host, strconv.Itoa(o.port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(e, addr, o.port, err)
	}
	localURL := "http://" + ln.Addr().String()
	var closers []func()
	undo := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	closers = append(closers, func() { ln.Close() })
	insLn, err := listenInspector(o.inspect)
	if err != nil {
		undo()
		return err
	}
	if insLn != nil {
		closers = append(closers, func() { insLn.Close() })
	}

	// The pipeline is made once the capture is open, before anything is served.
	var pl *pipeline.Pipeline
	cfg.Emit = func(d *receiver.Delivery) { pl.Emit(d) }
	h := receiver.New(cfg)
	var tun *tunnel.Tunnel
	if mode == "ngrok" {
		if tun, err = openTunnel(ctx, e, o, token, cas); err != nil {
			undo()
			if ctx.Err() != nil {
				return nil // Ctrl-C while connecting: the user stopped it
			}
			return err
		}
		closers = append(closers, func() { tun.Close() })
	}
	// The terminal view carries every warning from here on: a paused terminal holds up
	// nothing else.
	hint := ""
	if !o.noCapture {
		hint = "comethook events has them"
	}
	view := pipeline.NewView(e.p, !o.json, hint)
	// The capture file last: a run that never started must not become "the latest run".
	capture, err := openCapture(e, o, view.Warn)
	if err != nil {
		view.Close()
		undo()
		return err
	}
	sinks := []pipeline.Sink{view}
	var jsonOut *pipeline.JSONLines
	if o.json {
		jsonOut = pipeline.NewJSON(e.streams.Out, 0, view.Warn)
		sinks = append(sinks, jsonOut)
	}
	if capture != nil {
		sinks = append(sinks, pipeline.NewCapture(capture, view.Warn))
	}
	var save *pipeline.Save
	if o.save != "" {
		save = pipeline.NewSave(o.save, view.Warn)
		sinks = append(sinks, save)
	}

	b := render.Banner{LocalURL: localURL, MockAnswer: mockWords(cfg.Mock)}
	forwardTo := "" // the whole URL, for the state file: replay reaches the app with it
	if cfg.Forward != nil {
		b.ForwardTo, forwardTo = cfg.Forward.Safe(), cfg.Forward.String()
	}
	var servers []*http.Server
	if insLn != nil {
		ins := newInspector(e, o, cfg, localURL, capture)
		sinks = append(sinks, pipeline.NewInspector(ins))
		insSrv := o.newServer(ins.Handler())
		insSrv.RegisterOnShutdown(ins.Close) // open pages hold a live stream
		servers = append(servers, insSrv)
		go insSrv.Serve(insLn)
		b.Inspect = "http://" + insLn.Addr().String()
	}
	pl = pipeline.New(func(d *receiver.Delivery) bool { return shown(o.triggers, d) }, sinks...)
	servers = append(servers, o.newServer(h))
	go servers[len(servers)-1].Serve(ln)
	if tun != nil {
		pub := o.newServer(receiver.Public(h))
		servers = append(servers, pub)
		go pub.Serve(tun.Listener())
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
	e.p.Banner(b)
	forget := writeListenerState(e, listenerState{PID: os.Getpid(), StartedAt: time.Now(), LocalURL: localURL, PublicURL: b.PublicURL,
		ForwardTo: forwardTo, Capture: b.Capture})
	defer forget()
	if o.readyFile != "" {
		if err := writeReadyFile(o.readyFile, map[string]any{"localURL": localURL, "publicURL": b.PublicURL,
			"port": ln.Addr().(*net.TCPAddr).Port, "inspectURL": b.Inspect}); err != nil {
			e.p.Warn(err.Error())
		}
	}

	<-ctx.Done()
	// Stop accepting everywhere at once, let deliveries in flight finish (for up to 5 s),
	// then answer what is left 503 (recorded like any delivery), cut what still lingers,
	// close the tunnel and the sinks.
	stopCtx, cancel := context.WithTimeout(context.Background(), o.stopTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Shutdown(stopCtx)
		}()
	}
	wg.Wait()
	h.Abort()
	abortCtx, cancelAbort := context.WithTimeout(context.Background(), time.Second)
	_ = h.Wait(abortCtx)
	cancelAbort()
	for _, s := range servers {
		_ = s.Close()
	}
	if tun != nil {
		_ = tun.Close()
	}
	// Every sink writes what it holds (the capture's last batch too: its losses count).
	sum := runSummary{Counts: pl.Close()}
	if capture != nil {
		sum.notCaptured = capture.Lost()
	}
	if save != nil {
		sum.notSaved = save.NotSaved()
	}
	if jsonOut != nil {
		sum.notPrinted = jsonOut.Dropped()
	}
	sum.notShown = view.NotShown()
	e.p.Say("%s", sum.line())
	if o.json {
		sum.writeRecord(e.streams.Out)
	}
	if capture != nil && sum.Total > 0 {
		lost := sum.notCaptured
		what := "Captured to " + capture.Path()
		switch dropped := capture.Dropped(); {
		case lost > 0:
			what = fmt.Sprintf("Captured %d of %s to %s", int64(sum.Total)-lost-dropped, deliveries(sum.Total), capture.Path())
		case dropped > 0:
			what = fmt.Sprintf("Captured the newest %d of %s (--capture-max %s) to %s", int64(sum.Total)-dropped, deliveries(sum.Total), o.captureMax, capture.Path())
		}
		e.p.Note(what + ": comethook events lists them, comethook replay N sends one again.")
	}
	return nil
}

// tunnelMode decides between ngrok and none, and finds the authtoken.
func (o *listenOptions) tunnelMode(e *env) (token, mode string, err error) {
	token = o.authtoken
	if token == "" {
		token = e.getenv("NGROK_AUTHTOKEN")
	}
	switch mode = o.tunnel; mode {
	case "":
		mode = "none"
		if token != "" {
			mode = "ngrok"
		}
	case "ngrok", "none":
	default:
		return "", "", usageErr(fmt.Errorf("invalid --tunnel %q: want ngrok or none", o.tunnel), "")
	}
	if mode == "ngrok" && token == "" {
		return "", "", failErr(errors.New("--tunnel ngrok needs an ngrok authtoken"),
			"set NGROK_AUTHTOKEN (get one at https://dashboard.ngrok.com/get-started/your-authtoken) or pass --authtoken; --tunnel none listens locally only")
	}
	if o.url != "" && mode == "none" {
		// An ngrok URL asks for the tunnel: starting without one would leave the dashboard
		// pointing at a URL nothing answers.
		if token == "" {
			return "", "", failErr(fmt.Errorf("--url %s needs an ngrok authtoken", o.url),
				"set NGROK_AUTHTOKEN (get one at https://dashboard.ngrok.com/get-started/your-authtoken) or pass --authtoken")
		}
		return "", "", usageErr(fmt.Errorf("--url %s is an ngrok URL, and --tunnel none starts no tunnel", o.url), "drop one of them")
	}
	return token, mode, nil
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
	client := e.client(o.insecure, 4)
	replay := func(ctx context.Context, rec receiver.Record, target string, body []byte) (inspect.ReplayResult, error) {
		if body == nil {
			body = rec.RawBody()
		}
		url := localURL + rec.Path
		if rec.Query != "" {
			url += "?" + rec.Query
		}
		timeout := 30 * time.Second
		if target == inspect.TargetForward {
			if cfg.Forward == nil {
				return inspect.ReplayResult{}, errors.New("listen is not forwarding: there is no app to replay to")
			}
			url = cfg.Forward.For(rec.Path, rec.Query)
			if cfg.ForwardTimeout > 0 {
				timeout = cfg.ForwardTimeout
			}
		}
		resp := simulate.Deliver(ctx, client, simulate.Request{URL: url, Body: body, BasicAuth: cfg.BasicAuth, Timeout: timeout, UserAgent: e.userAgent()})
		ev, err := webhook.Parse(body)
		if err != nil {
			ev = &webhook.Event{}
		}
		v := simulate.Apply(ev, resp, cfg.Rules)
		res := inspect.ReplayResult{Status: resp.Status, Outcome: string(v.Outcome), DurationMs: simulate.DurationMs(resp.Duration), Error: v.Reason}
		if resp.Err != nil {
			res.Error = simulate.Explain(resp.Err, render.SafeURL(url), timeout)
		}
		return res, nil
	}
	// The page shows where listen forwards: never with the password of a user:pass@ URL.
	opts := inspect.Options{Replay: replay}
	if cfg.Forward != nil {
		opts.ForwardTo = cfg.Forward.Safe()
	}
	if capture != nil { // deliveries no longer held in memory are read back from the capture
		file := capture.Path()
		opts.Lookup = func(seq int64) (receiver.Record, bool) {
			rec, _, err := history.Find(file, seq)
			return rec, err == nil
		}
	}
	return inspect.New(opts)
}

// openCapture opens this run's capture file (nil with --no-capture) and prunes old runs.
//
// --capture-max bounds the whole capture directory at all times: this run's file rotates past
// half of it (history.Writer), so the other half is what older runs and the run's older part
// may take; they are pruned to it when the run starts and at each rotation.
func openCapture(e *env, o *listenOptions, warn func(string)) (*history.Writer, error) {
	if o.noCapture {
		return nil, nil
	}
	path, prune := o.capture, func() {}
	if path == "" {
		dir, err := captureDir(e)
		if err != nil {
			e.p.Warn(fmt.Sprintf("not capturing deliveries: %v (%s)", err, captureDirHint(err, "pass --capture FILE")))
			return nil, nil
		}
		path = history.NewRunPath(dir, e.now())
		prune = func() {
			if _, err := history.Prune(dir, o.captureBytes-o.captureBytes/2, path); err != nil {
				warn("pruning old captures: " + err.Error())
			}
		}
		prune()
	}
	w, err := history.Create(path)
	if err != nil {
		return nil, failErr(fmt.Errorf("cannot write the capture file: %w", err), "pass --capture FILE somewhere writable, or --no-capture")
	}
	w.SetMax(o.captureBytes)
	w.OnRotate = func(older string) {
		prune()
		if w.Rotations() == 1 { // said once: from now on the oldest deliveries make room
			warn(fmt.Sprintf("capture: this run's capture reached half of --capture-max %s; its older deliveries are in %s, and the oldest now make room for new ones (raise --capture-max to keep more)",
				o.captureMax, older))
		}
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
	max, err := parseSize(o.maxBody)
	if err != nil {
		return cfg, usageErr(fmt.Errorf("--max-body: %w", err), "")
	}
	maxHeader, err := parseSize(o.maxHeader)
	if err != nil || maxHeader < 1024 || maxHeader > 64<<20 {
		if err == nil {
			err = errors.New("want 1KiB to 64MiB")
		}
		return cfg, usageErr(fmt.Errorf("--max-header: %w", err), "")
	}
	o.maxHeaderBytes = int(maxHeader)
	if o.captureBytes, err = parseSize(o.captureMax); err != nil || o.captureBytes < 64<<10 {
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

// parseSize reads "1048576", "64KiB", "1MiB", "1MB" (powers of 1024 throughout).
func parseSize(s string) (int64, error) {
	num := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"K", 1 << 10}, {"M", 1 << 20}, {"B", 1}} {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size: want e.g. 1MiB, 64KiB or 1048576", s)
	}
	return n * mult, nil
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

func openTunnel(ctx context.Context, e *env, o *listenOptions, token string, cas *x509.CertPool) (*tunnel.Tunnel, error) {
	opts := tunnel.Options{
		Authtoken:      token,
		URL:            o.url,
		ConnectURL:     o.connectURL,
		ConnectTimeout: o.connectTimeout,
		ClientVersion:  e.build.Version,
		// ngrok's warnings (a deprecated agent, a Go that trusts revoked CAs) are worth
		// seeing; its errors reach the user as comethook's own sentences instead.
		Logger: slog.New(warnHandler{p: e.p}),
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
	opts.ConnectCAs = cas
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

// shown is the -t filter. What needs attention is shown whatever the filter: a POST
// rejected (a wrong password in the dashboard, say) or whose body is not a webhook. Not a
// GET of /favicon.ico.
func shown(patterns []string, d *receiver.Delivery) bool {
	trigger := ""
	if d.Event != nil {
		trigger = d.Event.Trigger
	}
	if d.Method == http.MethodPost && (trigger == "" || d.Outcome == simulate.Rejected) {
		return true
	}
	return webhook.Match(patterns, trigger)
}

// runSummary is what listen says when it stops: counts by outcome, and every loss counted,
// never left to the one warning the first of them got.
type runSummary struct {
	pipeline.Counts
	notCaptured int64 // never reached the capture (a full disk)
	notSaved    int   // --save could not write
	notPrinted  int64 // --json records dropped: stdout was not read
	notShown    int64 // lines the terminal skipped while paused
}

// line is the summary line on stderr.
func (s runSummary) line() string {
	if s.Total == 0 {
		return "Stopped. No deliveries."
	}
	line := fmt.Sprintf("Stopped. %s: %s.", deliveries(s.Total), outcomeWords(s.Outcomes))
	if s.notCaptured > 0 {
		line += fmt.Sprintf(" %d not captured.", s.notCaptured)
	}
	if s.notSaved > 0 {
		line += fmt.Sprintf(" %d not saved (--save).", s.notSaved)
	}
	if s.notPrinted > 0 {
		line += fmt.Sprintf(" %d not printed (--json: stdout was not read).", s.notPrinted)
	}
	if s.notShown > 0 {
		line += fmt.Sprintf(" %d not shown (the terminal was paused).", s.notShown)
	}
	return line
}

// summaryRecord is the last line of listen --json: the run's counts, losses included, for a
// script that reads the records (every other line is one delivery's record).
type summaryRecord struct {
	Summary struct {
		Deliveries  int            `json:"deliveries"`
		Outcomes    map[string]int `json:"outcomes"`
		NotCaptured int64          `json:"notCaptured"`
		NotSaved    int            `json:"notSaved"`
		NotPrinted  int64          `json:"notPrinted"`
	} `json:"summary"`
}

func (s runSummary) writeRecord(w io.Writer) {
	var r summaryRecord
	r.Summary.Deliveries, r.Summary.NotCaptured, r.Summary.NotSaved, r.Summary.NotPrinted = s.Total, s.notCaptured, s.notSaved, s.notPrinted
	r.Summary.Outcomes = map[string]int{}
	for o, n := range s.Outcomes {
		r.Summary.Outcomes[string(o)] = n
	}
	line, _ := json.Marshal(r)
	w.Write(append(line, '\n'))
}

// outcomeWords counts outcomes in words, in the vocabulary's order: "4 delivered, 1 injected".
func outcomeWords(counts map[simulate.Outcome]int) string {
	var words []string
	for _, name := range outcomeNames() {
		if n := counts[simulate.Outcome(name)]; n > 0 {
			words = append(words, fmt.Sprintf("%d %s", n, name))
		}
	}
	return strings.Join(words, ", ")
}

// deliveries counts: "1 delivery", "2 deliveries".
func deliveries(n int) string {
	if n == 1 {
		return "1 delivery"
	}
	return fmt.Sprintf("%d deliveries", n)
}

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// warnHandler shows ngrok's warnings, and only those, as comethook warnings: "ngrok: " and
// the message with its attributes.
type warnHandler struct {
	p     *render.Printer
	attrs []slog.Attr
}

func (h warnHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && l < slog.LevelError
}

func (h warnHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("ngrok: ")
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		if v := a.Value.String(); a.Key != "" && v != "" {
			fmt.Fprintf(&b, " (%s: %s)", a.Key, v)
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.p.Warn(b.String()) // Warn cleans the text
	return nil
}

func (h warnHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnHandler{p: h.p, attrs: append(slices.Clip(h.attrs), attrs...)}
}

func (h warnHandler) WithGroup(string) slog.Handler { return h }
