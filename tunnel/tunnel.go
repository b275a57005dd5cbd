// Package tunnel makes the local webhook receiver reachable from the
// internet through an embedded ngrok agent.
//
// It never prints: it returns a *Tunnel or an *Error with a plain sentence and
// a next step, and reports drops and reconnects after start-up through
// Options.OnEvent. ngrok's own logs go to Options.Logger only, with the
// authtoken redacted.
package tunnel

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.ngrok.com/ngrok/v2"
)

// DefaultConnectTimeout bounds getting the session up and the endpoint bound
// when Options.ConnectTimeout is zero.
const DefaultConnectTimeout = 10 * time.Second

// Options configure the ngrok tunnel.
type Options struct {
	// Authtoken authenticates the agent; required. It is never logged or
	// put in errors.
	Authtoken string
	// URL is an optional reserved or static domain, such as
	// https://name.ngrok-free.app or just name.ngrok-free.app.
	URL string
	// ConnectURL is an optional custom agent ingress host:port (ngrok's
	// connect_url).
	ConnectURL string
	// ConnectCAs are the CAs trusted for ConnectURL (ngrok's connect_cas);
	// nil trusts ngrok's own CA.
	ConnectCAs *x509.CertPool
	// ConnectTimeout bounds getting the session up and the endpoint bound;
	// zero means DefaultConnectTimeout. It does not limit the session.
	ConnectTimeout time.Duration
	// Logger receives ngrok's own logs; nil discards them.
	Logger *slog.Logger
	// OnEvent is told about drops and reconnects once the tunnel is up; it
	// may be nil. Calls come in order from one goroutine, so a slow OnEvent
	// delays later events but never the agent.
	OnEvent func(Event)
	// ClientVersion is comethook's version, reported to ngrok.
	ClientVersion string
}

// EventKind says what happened to a tunnel that was up.
type EventKind int

const (
	// Disconnected: the session to ngrok dropped; the agent is reconnecting
	// on its own and the public URL does not answer meanwhile.
	Disconnected EventKind = iota + 1
	// Reconnected: the session is back and the endpoint bound again, with
	// the same URL.
	Reconnected
)

func (k EventKind) String() string {
	switch k {
	case Disconnected:
		return "disconnected"
	case Reconnected:
		return "reconnected"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event reports a change in a tunnel's connection. Disconnected comes when
// the session drops, and again during the outage only if the reason the
// reconnects fail changes; its Err is an *Error. Reconnected has no Err.
type Event struct {
	Kind EventKind
	Err  error
	// StillDown marks a Disconnected that is not a new drop: the tunnel was already down
	// and reconnecting now fails for another reason.
	StillDown bool
}

// Tunnel is an open public endpoint whose connections are served by the
// caller's handler.
type Tunnel struct {
	agent    ngrok.Agent
	listener ngrok.EndpointListener
	cancel   func()          // ends the session context
	sessCtx  context.Context // the session's lifetime
	events   *dispatcher
	m        mapper

	mu        sync.Mutex
	up        bool   // the endpoint is bound and handed to the caller
	sessionUp bool   // the agent connected at least once
	down      bool   // the agent is currently disconnected after sessionUp
	lastErr   *Error // why it is down
	closed    bool
	startErr  chan error // the first error before the session is up

	closeOnce sync.Once
}

// URL is the public https URL.
func (t *Tunnel) URL() string { return t.listener.URL().String() }

// Listener accepts the connections that reach the public URL. Serve an
// http.Handler on it.
func (t *Tunnel) Listener() net.Listener { return t.listener }

// Error is why a tunnel could not start or dropped: Msg is a lowercase
// sentence, Hint a next step for the user. The authtoken appears in neither,
// nor in Err's message.
type Error struct {
	Msg  string
	Hint string
	Code string // ngrok's ERR_NGROK_xxx, when ngrok gave one
	Err  error  // the underlying cause, if any
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// ErrNoAuthtoken is returned by OpenNgrok, before any network use, when
// Options.Authtoken is empty.
var ErrNoAuthtoken = &Error{
	Msg:  "no ngrok authtoken",
	Hint: "set NGROK_AUTHTOKEN (copy it from " + authtokenPage + ") or pass --tunnel none",
}

const authtokenPage = "https://dashboard.ngrok.com/get-started/your-authtoken"

// LoadCertPool reads the PEM certificates in path, for --ngrok-connect-cas.
func LoadCertPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ngrok connect CAs: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("read ngrok connect CAs: no PEM certificate in %s", path)
	}
	return pool, nil
}

// dispatcher delivers events in order on its own goroutine, so that a slow
// OnEvent never blocks ngrok's event handler (which must not block).
type dispatcher struct {
	fn   func(Event)
	mu   sync.Mutex
	q    []Event
	kick chan struct{}
	done chan struct{}
}

func newDispatcher(fn func(Event)) *dispatcher {
	d := &dispatcher{fn: fn, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if fn != nil {
		go d.run()
	}
	return d
}

func (d *dispatcher) push(e Event) {
	if d.fn == nil {
		return
	}
	d.mu.Lock()
	d.q = append(d.q, e)
	d.mu.Unlock()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run() {
	for {
		select {
		case <-d.done:
			return
		case <-d.kick:
		}
		for {
			d.mu.Lock()
			if len(d.q) == 0 {
				d.mu.Unlock()
				break
			}
			e := d.q[0]
			d.q = d.q[1:]
			d.mu.Unlock()
			d.fn(e)
		}
	}
}

func (d *dispatcher) stop() { close(d.done) }

// IsNgrokHost says whether host is on one of ngrok's endpoint domains: a URL there is a
// tunnel's, and no one answers it once the tunnel is gone.
func IsNgrokHost(host string) bool {
	for _, d := range []string{".ngrok-free.app", ".ngrok.app", ".ngrok-free.dev", ".ngrok.dev", ".ngrok.io"} {
		if strings.HasSuffix(host, d) {
			return true
		}
	}
	return false
}
