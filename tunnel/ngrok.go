package tunnel

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"golang.ngrok.com/ngrok/v2"
)

const (
	defaultConnectAddr = "connect.ngrok-agent.com:443"
	// closeGrace bounds the polite unbind on Close; a half-dead session
	// would otherwise hold it until heartbeats time out.
	closeGrace = 2 * time.Second
	// diagnoseTimeout bounds the probe that explains a failed connect.
	diagnoseTimeout = 3 * time.Second
)

var errConnectTimeout = errors.New("ngrok connect timeout")

// OpenNgrok starts an ngrok agent session and binds a public HTTPS endpoint.
//
// The session lives until Close; ctx bounds only the connect. Getting the session up
// and the endpoint bound is bounded by o.ConnectTimeout, and the first error
// before the session is up ends the attempt at once: the agent on its own
// retries forever, even a refused authtoken. Errors are *Error values.
func OpenNgrok(ctx context.Context, o Options) (*Tunnel, error) {
	if o.Authtoken == "" {
		return nil, ErrNoAuthtoken
	}
	endpointURL, err := normalizeURL(o.URL)
	if err != nil {
		return nil, err
	}
	timeout := cmp.Or(o.ConnectTimeout, DefaultConnectTimeout)
	m := mapper{secret: o.Authtoken, addr: cmp.Or(o.ConnectURL, defaultConnectAddr), url: endpointURL, custom: o.ConnectURL != ""}

	// The session context must outlive the connect: cancelling it tears the
	// tunnel down. The connect is bounded by a separate timer instead. It is
	// not ctx's child: on Ctrl-C the caller first stops serving (which unbinds
	// the endpoint, an RPC on the session), then calls Close. A session torn
	// down by ctx at the same moment raced that RPC inside muxado (a stream's
	// Close packing the DATA frame the dying session's writer was still
	// encoding), and cut off deliveries still being answered.
	sessCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t := &Tunnel{
		cancel:   cancel,
		sessCtx:  sessCtx,
		events:   newDispatcher(o.OnEvent),
		startErr: make(chan error, 1),
		m:        m,
	}
	logger := slog.New(redactHandler{h: cmp.Or(o.Logger, slog.New(slog.DiscardHandler)).Handler(), secret: o.Authtoken})
	agentOpts := []ngrok.AgentOption{
		ngrok.WithAuthtoken(o.Authtoken),
		ngrok.WithLogger(logger),
		ngrok.WithClientInfo("comethook", cmp.Or(o.ClientVersion, "dev")),
		ngrok.WithEventHandler(t.onAgentEvent),
	}
	if o.ConnectURL != "" {
		agentOpts = append(agentOpts, ngrok.WithAgentConnectURL(o.ConnectURL))
	}
	if o.ConnectCAs != nil {
		agentOpts = append(agentOpts, ngrok.WithAgentConnectCAs(o.ConnectCAs))
	}
	agent, err := ngrok.NewAgent(agentOpts...)
	if err != nil {
		cancel()
		t.events.stop()
		return nil, &Error{Msg: "could not set up the ngrok agent: " + m.redact(err.Error()), Err: m.redactErr(err)}
	}
	t.agent = agent
	var listenOpts []ngrok.EndpointOption
	if endpointURL != "" {
		listenOpts = append(listenOpts, ngrok.WithURL(endpointURL))
	}

	type result struct {
		l   ngrok.EndpointListener
		err error
	}
	res := make(chan result, 1)
	go func() {
		l, err := agent.Listen(sessCtx, listenOpts...)
		res <- result{l, err}
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var cause error
	listened := false
	select {
	case r := <-res:
		if r.err == nil {
			t.start(r.l)
			return t, nil
		}
		cause, listened = r.err, true
	case cause = <-t.startErr:
	case <-timer.C:
		cause = errConnectTimeout
	case <-ctx.Done():
		cause = ctx.Err()
	}

	// Give up now, or the agent keeps retrying in the background.
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.events.stop()
	cancel()
	_ = agent.Disconnect()
	if !listened {
		// Listen ends soon once its session is gone; an endpoint bound in
		// the meantime must not outlive this call.
		select {
		case r := <-res:
			if r.l != nil {
				_ = r.l.Close()
			}
		case <-time.After(closeGrace):
		}
	}

	switch {
	case errors.Is(cause, errConnectTimeout):
		return nil, &Error{
			Msg:  fmt.Sprintf("ngrok did not answer within %s", timeout),
			Hint: m.netHint(),
			Err:  context.DeadlineExceeded,
		}
	case ctx.Err() != nil:
		return nil, &Error{Msg: "connecting to ngrok was interrupted", Err: ctx.Err()}
	}
	e := m.describe(cause)
	if e.Code == "" && !m.precise(cause) {
		// Connecting only says "remote gone away" or EOF when TLS or the
		// protocol fails; a probe says which step failed and why.
		if d, ok := agent.(ngrok.Diagnoser); ok {
			dctx, dcancel := context.WithTimeout(ctx, diagnoseTimeout)
			_, derr := d.Diagnose(dctx, "")
			dcancel()
			if derr != nil {
				e = m.describeDiagnosis(derr, e)
			}
		}
	}
	return nil, e
}

// start hands the bound endpoint to the caller and reports an outage that
// began between session up and bind.
func (t *Tunnel) start(l ngrok.EndpointListener) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.listener = l
	t.m.url = l.URL().String()
	t.up = true
	if t.down {
		t.events.push(Event{Kind: Disconnected, Err: t.lastErr})
	}
}

// onAgentEvent runs on ngrok's goroutine and must not block.
func (t *Tunnel) onAgentEvent(ev ngrok.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.sessCtx.Err() != nil {
		return
	}
	switch ev := ev.(type) {
	case *ngrok.EventAgentConnectSucceeded:
		t.sessionUp = true
		if t.down {
			t.down, t.lastErr = false, nil
			if t.up {
				t.events.push(Event{Kind: Reconnected})
			}
		}
	case *ngrok.EventAgentDisconnected:
		switch {
		case ev.Error == nil: // the session ended for good; Close follows
		case !t.sessionUp:
			select {
			case t.startErr <- ev.Error:
			default:
			}
		default:
			// Report the drop, then a failing reconnect only when its reason
			// changes: the agent retries every few seconds, forever.
			e := t.m.describe(ev.Error)
			if t.down && e.Msg == t.lastErr.Msg {
				return
			}
			wasDown := t.down
			t.down, t.lastErr = true, e
			if t.up {
				t.events.push(Event{Kind: Disconnected, Err: e, StillDown: wasDown})
			}
		}
	}
}

// Close closes the endpoint and the agent session. It is idempotent and
// always returns nil: ngrok drops the endpoint with the session anyway.
func (t *Tunnel) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closed = true
		t.mu.Unlock()
		t.events.stop()
		done := make(chan struct{})
		go func() { _ = t.listener.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(closeGrace):
		}
		_ = t.agent.Disconnect()
		t.cancel()
	})
	return nil
}

// normalizeURL accepts "https://host" or a bare host; "" means a random URL.
func normalizeURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	raw := s
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
		return "", &Error{
			Msg:  fmt.Sprintf("%q is not an ngrok URL this tunnel can use", raw),
			Hint: "pass your domain, such as https://name.ngrok-free.app (see https://dashboard.ngrok.com/domains)",
		}
	}
	return "https://" + u.Host, nil
}

// mapper turns ngrok's errors into an *Error for the user.
type mapper struct {
	secret string // the authtoken, redacted from all text
	addr   string // where the agent connects
	url    string // the URL asked for or bound, if known
	custom bool   // addr came from --ngrok-connect-url
}

func (m mapper) redact(s string) string {
	if m.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, m.secret, "[REDACTED]")
}

// redactErr keeps err's chain for errors.Is/As but redacts its message.
func (m mapper) redactErr(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: m.redact(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (m mapper) netHint() string {
	if m.custom {
		return "check --ngrok-connect-url (the host:port of your agent ingress) and your network connection"
	}
	return "check your network connection and that outbound TLS to ngrok is allowed; with a custom agent ingress, pass --ngrok-connect-url"
}

// describe maps an error from the agent without any network use.
func (m mapper) describe(err error) *Error {
	red := m.redactErr(err)
	if code, msg := ngrokCode(err); code != "" {
		e := &Error{Code: code, Err: red}
		switch code {
		case "ERR_NGROK_4018", "ERR_NGROK_105", "ERR_NGROK_107":
			e.Msg = "ngrok refused the authtoken"
			e.Hint = "check NGROK_AUTHTOKEN: copy your authtoken from " + authtokenPage
		case "ERR_NGROK_108":
			e.Msg = "ngrok refused the session: too many agent sessions for this account"
			e.Hint = "another ngrok agent is running with this account: stop it and try again (see https://dashboard.ngrok.com/agents)"
		case "ERR_NGROK_334":
			e.Msg = fmt.Sprintf("the URL %s is already online elsewhere", cmp.Or(m.url, "you asked for"))
			e.Hint = "stop the other ngrok agent or endpoint that serves it, or start without a reserved URL"
		default:
			e.Msg = "ngrok refused the tunnel: " + m.redact(firstLine(msg))
			e.Hint = "see https://ngrok.com/docs/errors/" + strings.ToLower(code)
		}
		return e
	}
	if reason, ok := netReason(err); ok {
		return &Error{Msg: fmt.Sprintf("could not reach ngrok at %s: %s", m.addr, m.redact(reason)), Hint: m.hintFor(err), Err: red}
	}
	return &Error{Msg: "the connection to ngrok failed: " + m.redact(firstLine(err.Error())), Hint: m.netHint(), Err: red}
}

// precise reports whether netReason already explains err.
func (m mapper) precise(err error) bool {
	_, ok := netReason(err)
	return ok
}

// describeDiagnosis explains a failed connect from a Diagnose probe.
func (m mapper) describeDiagnosis(derr error, fallback *Error) *Error {
	reason, ok := netReason(derr)
	switch {
	case ok:
	case ngrok.IsMuxadoDiagnoseFailure(derr):
		reason = "the server there does not speak ngrok's agent protocol"
	case ngrok.IsTLSDiagnoseFailure(derr):
		reason = "the TLS handshake failed (" + firstLine(errors.Unwrap(derr).Error()) + ")"
	default:
		return fallback
	}
	return &Error{Msg: fmt.Sprintf("could not reach ngrok at %s: %s", m.addr, m.redact(reason)), Hint: m.hintFor(derr), Err: m.redactErr(derr)}
}

func (m mapper) hintFor(err error) string {
	if isCertError(err) {
		return "if your agent ingress uses its own CA, pass its certificate with --ngrok-connect-cas; otherwise something on your network intercepts TLS"
	}
	return m.netHint()
}

// ngrokCode finds ngrok's ERR_NGROK_xxx code and message in err's chain.
func ngrokCode(err error) (code, msg string) {
	var legacy interface {
		ErrorCode() string
		Msg() string
	}
	if errors.As(err, &legacy) && legacy.ErrorCode() != "" {
		return legacy.ErrorCode(), legacy.Msg()
	}
	var ne ngrok.Error
	if errors.As(err, &ne) && ne.Code() != "" {
		return ne.Code(), ne.Error()
	}
	return "", ""
}

// netReason says in a few words why a network error happened.
func netReason(err error) (string, bool) {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var recErr tls.RecordHeaderError
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return "cannot resolve " + dnsErr.Name + " (" + dnsErr.Err + ")", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.As(err, &certErr):
		return "its TLS certificate is not trusted (" + certErr.Err.Error() + ")", true
	case errors.As(err, &hostErr):
		return "its TLS certificate is not valid for it (" + hostErr.Error() + ")", true
	case errors.As(err, &authErr):
		return "its TLS certificate is not trusted (" + authErr.Error() + ")", true
	case errors.As(err, &recErr):
		return "the server there does not speak TLS", true
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out", true
	case errors.As(err, &opErr) && opErr.Op == "dial":
		var errno syscall.Errno
		if errors.As(opErr.Err, &errno) {
			return errno.Error(), true
		}
		return opErr.Err.Error(), true
	}
	return "", false
}

func isCertError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	return errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &authErr)
}

// firstLine is the first non-empty line of s without ngrok's code lines.
func firstLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.Contains(line, "ERR_NGROK_") {
			return line
		}
	}
	return strings.TrimSpace(s)
}

// redactHandler removes the authtoken from every log record before it
// reaches the caller's handler: ngrok's service echoes a refused token in
// its error message, which the agent logs.
type redactHandler struct {
	h      slog.Handler
	secret string
}

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, r.redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = r.attr(a)
	}
	return redactHandler{h: r.h.WithAttrs(red), secret: r.secret}
}

func (r redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h: r.h.WithGroup(name), secret: r.secret}
}

func (r redactHandler) redact(s string) string { return strings.ReplaceAll(s, r.secret, "[REDACTED]") }

func (r redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		v = slog.StringValue(r.redact(v.String()))
	case slog.KindGroup:
		group := v.Group()
		red := make([]slog.Attr, len(group))
		for i, g := range group {
			red[i] = r.attr(g)
		}
		v = slog.GroupValue(red...)
	case slog.KindAny:
		// Errors, RPC messages and other values: check both the text and
		// the JSON form that handlers may print, and replace the value only
		// when the token shows up.
		if s := fmt.Sprintf("%+v", v.Any()); strings.Contains(s, r.secret) {
			v = slog.StringValue(r.redact(s))
		} else if j, err := json.Marshal(v.Any()); err == nil && strings.Contains(string(j), r.secret) {
			v = slog.StringValue(r.redact(string(j)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
