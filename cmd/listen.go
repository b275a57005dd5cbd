package cmd

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/pipeline"
	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/internal/render"
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

	register registerOptions

	token string         // the ngrok authtoken, "" for no tunnel (tunnelMode)
	cas   *x509.CertPool // --ngrok-connect-cas, loaded
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
	o.register.bind(c)
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
	tuneGC(e)
	// Every flag is checked before anything is opened: a mistake leaves nothing behind.
	cfg, err := o.check(e)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return failErr(fmt.Errorf("--cpuprofile: %w", err), "")
		}
		defer stop()
	}

	// The local listener first: a taken port is the commonest failure and the cheapest to report.
	addr := net.JoinHostPort(o.host, strconv.Itoa(o.port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(e, addr, o.port, err)
	}
	localURL := "http://" + ln.Addr().String()
	var closers []io.Closer
	undo := func() {
		for _, c := range slices.Backward(closers) {
			c.Close()
		}
	}
	closers = append(closers, ln)
	insLn, err := listenInspector(o.inspect)
	if err != nil {
		undo()
		return err
	}
	if insLn != nil {
		closers = append(closers, insLn)
	}
	var tun *tunnel.Tunnel
	if o.token != "" {
		if tun, err = openTunnel(ctx, e, o); err != nil {
			undo()
			if ctx.Err() != nil {
				return nil // Ctrl-C while connecting: the user stopped it
			}
			return err
		}
		closers = append(closers, tun)
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

	// The pipeline is made before anything is served.
	sinks := []pipeline.Sink{view}
	if o.json {
		sinks = append(sinks, pipeline.NewJSON(e.streams.Out, 0, view.Warn))
	}
	if capture != nil {
		sinks = append(sinks, pipeline.NewCapture(capture, view.Warn))
	}
	if o.save != "" {
		sinks = append(sinks, pipeline.NewSave(o.save, view.Warn))
	}
	b := o.banner(localURL, cfg, tun, capture)
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
	var reg *registration
	if o.register.mode != "" {
		var refused []string
		reg, refused, err = o.register.register(ctx, tun.URL(), cfg.BasicAuth, o.triggers)
		if err != nil {
			e.p.Warn(fmt.Sprintf("--register: %v; paste the URL in the dashboard instead", err))
			if o.register.generated {
				cfg.BasicAuth = "" // made for a webhook that does not exist: nobody could send it
			}
		} else {
			b.Registered = o.register.registeredWords(reg, refused)
		}
	}
	pl := pipeline.New(pipeline.Filter(o.triggers), sinks...)
	cfg.Emit = pl.Emit
	h := receiver.New(cfg)
	servers = append(servers, o.newServer(h))
	go servers[len(servers)-1].Serve(ln)
	if tun != nil {
		pub := o.newServer(receiver.Public(h))
		servers = append(servers, pub)
		go pub.Serve(tun.Listener())
	}

	e.p.Banner(b)
	st := listenerState{Registered: reg, PID: os.Getpid(), StartedAt: time.Now(), LocalURL: localURL, PublicURL: b.PublicURL, Capture: b.Capture}
	if cfg.Forward != nil {
		st.ForwardTo = cfg.Forward.String() // the whole URL: replay reaches the app with it
	}
	if reg != nil && o.register.generated {
		st.RunAuth = cfg.BasicAuth // for send and replay to this listener
	}
	defer writeListenerState(e, st)()
	if o.readyFile != "" {
		if err := writeReadyFile(o.readyFile, map[string]any{"localURL": localURL, "publicURL": b.PublicURL,
			"port": ln.Addr().(*net.TCPAddr).Port, "inspectURL": b.Inspect}); err != nil {
			e.p.Warn(err.Error())
		}
	}

	<-ctx.Done()
	o.register.unregister(e, reg) // first: CometChat stops sending to a tunnel about to close
	receiver.Shutdown(h, o.stopTimeout, servers...)
	if tun != nil {
		_ = tun.Close()
	}
	sum := pl.Close() // every sink writes what it holds: the capture's last batch's losses count too
	e.p.Say("%s", sum.Line())
	if o.json {
		sum.WriteRecord(e.streams.Out)
	}
	if capture != nil && sum.Total > 0 {
		e.p.Note(captureNote(sum, capture, o.captureMax) + ": comethook events lists them, comethook replay N sends one again.")
	}
	return nil
}

// captureNote says where the run's deliveries are, and how many, when not all.
func captureNote(sum pipeline.Summary, capture *history.Writer, captureMax string) string {
	total := render.Deliveries(sum.Total)
	switch dropped := capture.Dropped(); {
	case sum.NotCaptured > 0:
		return fmt.Sprintf("Captured %d of %s to %s", int64(sum.Total)-sum.NotCaptured-dropped, total, capture.Path())
	case dropped > 0:
		return fmt.Sprintf("Captured the newest %d of %s (--capture-max %s) to %s", int64(sum.Total)-dropped, total, captureMax, capture.Path())
	}
	return "Captured to " + capture.Path()
}
