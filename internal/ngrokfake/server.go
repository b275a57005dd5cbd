// Package ngrokfake is a stand-in for the ngrok service that runs on loopback,
// so that the real ngrok-go agent can be tested offline: it authenticates
// agents, binds endpoints and proxies HTTP requests from a public-side
// listener to them, and can drop every session to exercise reconnects.
//
// It speaks the subset of ngrok-go's internal agent protocol
// (golang.ngrok.com/ngrok/v2/internal/tunnel/proto) that an agent needs for a
// single HTTPS endpoint: TLS, then a muxado session carrying typed streams
// (heartbeats answered), whose payloads are JSON. When ngrok-go changes that
// protocol, this package is the one place to adjust.
package ngrokfake

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	muxado "golang.ngrok.com/muxado/v2"
)

// Stream types of the agent protocol (ngrok-go internal/tunnel/proto).
const (
	authReq    muxado.StreamType = 0
	bindReq    muxado.StreamType = 1
	unbindReq  muxado.StreamType = 2
	proxyReq   muxado.StreamType = 3
	srvInfoReq muxado.StreamType = 8
)

// Config decides which agents the fake accepts and which URLs it refuses.
type Config struct {
	// Authtokens are the accepted tokens; any other token is refused with
	// ERR_NGROK_107 and an empty one with ERR_NGROK_4018.
	Authtokens []string
	// DomainsInUse are URLs (or bare hosts) whose bind fails with ERR_NGROK_334.
	DomainsInUse []string
}

// Server is a running fake ngrok service.
type Server struct {
	cfg     Config
	agentLn net.Listener // TLS, where agents connect
	pubLn   net.Listener // plain HTTP, where "visitors" send requests
	pubSrv  *http.Server
	certPEM []byte
	pool    *x509.CertPool

	mu       sync.Mutex
	sessions map[*agentSession]bool
	binds    map[string]*binding // by public host
	closed   bool
	wg       sync.WaitGroup
}

// agentSession is one connected agent.
type agentSession struct {
	mux      muxado.TypedStreamSession
	mu       sync.Mutex
	authed   bool
	clientID string
}

// binding is one bound endpoint. The agent names it (ID) and reuses that
// name when it re-binds after a reconnect; proxied streams must carry it.
type binding struct {
	id   string
	url  string
	host string
	sess *agentSession
}

// Start listens on two loopback ports (agent side with TLS, public side
// with plain HTTP) and serves until Close.
func Start(cfg Config) (*Server, error) {
	cert, certPEM, err := selfSignedCert()
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)

	agentLn, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		return nil, err
	}
	pubLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		agentLn.Close()
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		agentLn:  agentLn,
		pubLn:    pubLn,
		certPEM:  certPEM,
		pool:     pool,
		sessions: map[*agentSession]bool{},
		binds:    map[string]*binding{},
	}
	s.pubSrv = &http.Server{Handler: s.publicHandler(), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.acceptAgents() }()
	go func() { defer s.wg.Done(); _ = s.pubSrv.Serve(pubLn) }()
	return s, nil
}

// ConnectAddr is the host:port to give the agent as its connect URL.
func (s *Server) ConnectAddr() string { return s.agentLn.Addr().String() }

// CertPool trusts the fake's self-signed certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// CertPEM is the fake's certificate in PEM form, for a connect-CAs file.
func (s *Server) CertPEM() []byte { return slices.Clone(s.certPEM) }

// PublicAddr is the loopback host:port of the public side. A request sent
// there with the Host of a bound URL reaches that endpoint's agent; when a
// single endpoint is bound, every request reaches it whatever its Host.
func (s *Server) PublicAddr() string { return s.pubLn.Addr().String() }

// DropSessions closes every agent session at once, as a network failure would.
func (s *Server) DropSessions() {
	s.mu.Lock()
	sessions := make([]*agentSession, 0, len(s.sessions))
	for as := range s.sessions {
		sessions = append(sessions, as)
	}
	s.mu.Unlock()
	for _, as := range sessions {
		as.mux.Close()
	}
}

// Close stops both listeners and drops every session.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.agentLn.Close()
	s.pubSrv.Close()
	s.DropSessions()
	s.wg.Wait()
	return err
}

func (s *Server) acceptAgents() {
	for {
		c, err := s.agentLn.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.serveAgent(c) }()
	}
}

func (s *Server) serveAgent(c net.Conn) {
	// The agent sends heartbeats on their own stream type and closes the
	// session if they go unanswered; muxado.Heartbeat answers them as long
	// as we keep accepting. We never Start our own heartbeats.
	mux := muxado.NewHeartbeat(muxado.NewTypedStreamSession(muxado.Server(c, nil)), nil, nil)
	as := &agentSession{mux: mux}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		mux.Close()
		return
	}
	s.sessions[as] = true
	s.mu.Unlock()

	defer func() {
		mux.Close()
		s.mu.Lock()
		delete(s.sessions, as)
		for host, b := range s.binds {
			if b.sess == as {
				delete(s.binds, host)
			}
		}
		s.mu.Unlock()
	}()

	for {
		st, err := mux.AcceptTypedStream()
		if err != nil {
			return
		}
		go s.handleRPC(as, st)
	}
}

// handleRPC answers one request stream: a JSON request, a JSON reply.
func (s *Server) handleRPC(as *agentSession, st muxado.TypedStream) {
	defer st.Close()
	var reply any
	switch st.StreamType() {
	case authReq:
		var req struct {
			ClientID string `json:"ClientId"`
			Extra    struct{ Authtoken string }
		}
		if json.NewDecoder(st).Decode(&req) != nil {
			return
		}
		reply = s.auth(as, req.ClientID, req.Extra.Authtoken)
	case bindReq:
		var req struct {
			ID    string `json:"Id"`
			Proto string
			Opts  struct{ URL, Hostname, Domain string }
		}
		if json.NewDecoder(st).Decode(&req) != nil {
			return
		}
		reply = s.bind(as, req.ID, req.Proto, cmp.Or(req.Opts.URL, req.Opts.Hostname, req.Opts.Domain))
	case unbindReq:
		var req struct {
			ID string `json:"Id"`
		}
		if json.NewDecoder(st).Decode(&req) != nil {
			return
		}
		s.unbind(as, req.ID)
		reply = struct{}{}
	case srvInfoReq:
		reply = map[string]string{"Region": "local"}
	default:
		return // not needed by an agent with one endpoint
	}
	_ = json.NewEncoder(st).Encode(reply)
}

func (s *Server) auth(as *agentSession, clientID, token string) any {
	switch {
	case token == "":
		return map[string]string{"Error": "Usage of ngrok requires a verified account and authtoken.\n\n" +
			"Sign up for an account: https://dashboard.ngrok.com/signup\n\nERR_NGROK_4018\n"}
	case !slices.Contains(s.cfg.Authtokens, token):
		// Like the real service, echo the token: callers must not leak it.
		return map[string]string{"Error": "The authtoken you specified is properly formed, but it is invalid.\n" +
			"Your authtoken: " + token + "\n\nERR_NGROK_107\n"}
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	as.authed = true
	as.clientID = cmp.Or(clientID, randHex(8))
	return map[string]any{
		"Version":  "3",
		"ClientId": as.clientID,
		"Extra": map[string]any{
			"Version": "ngrokfake", "Region": "local", "AccountName": "fake",
			"PlanName": "free", "AgentSessionID": "as_" + randHex(8),
		},
	}
}

func (s *Server) bind(as *agentSession, id, proto, want string) any {
	as.mu.Lock()
	authed := as.authed
	as.mu.Unlock()
	if !authed {
		return map[string]string{"Error": "the session is not authenticated"}
	}
	if proto != "https" && proto != "http" {
		return map[string]string{"Error": "ngrokfake binds only http(s) endpoints, not " + proto}
	}
	host := hostOf(want)
	if host == "" {
		host = randHex(8) + ".ngrok-free.app"
	}
	for _, d := range s.cfg.DomainsInUse {
		if hostOf(d) == host {
			return map[string]string{"Error": fmt.Sprintf("The endpoint '%s://%s' is already online.\n\nERR_NGROK_334\n", proto, host)}
		}
	}
	b := &binding{id: cmp.Or(id, "bind_"+randHex(8)), url: proto + "://" + host, host: host, sess: as}
	s.mu.Lock()
	// A re-bind after a reconnect can arrive before we noticed the old
	// session die: the newest bind wins.
	s.binds[host] = b
	s.mu.Unlock()
	return map[string]any{
		"Id":    b.id,
		"URL":   b.url,
		"Proto": proto,
		"Opts":  map[string]string{"URL": b.url, "Hostname": host},
		"Extra": map[string]string{"TunnelID": "tn_" + randHex(8)},
	}
}

func (s *Server) unbind(as *agentSession, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for host, b := range s.binds {
		if b.sess == as && b.id == id {
			delete(s.binds, host)
		}
	}
}

// route picks the binding for a public request's Host.
func (s *Server) route(host string) *binding {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if b, ok := s.binds[host]; ok {
		return b
	}
	if len(s.binds) == 1 {
		for _, b := range s.binds {
			return b
		}
	}
	return nil
}

type targetKey struct{}

type target struct {
	b          *binding
	clientAddr string
}

// publicHandler proxies each request over a new Proxy stream to the agent
// that bound the request's Host, like ngrok's edge does.
func (s *Server) publicHandler() http.Handler {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			b := pr.In.Context().Value(targetKey{}).(target).b
			pr.SetXForwarded()
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = b.host
			pr.Out.Host = b.host
			pr.Out.Header.Set("X-Forwarded-Proto", "https")
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return s.openProxy(ctx.Value(targetKey{}).(target))
			},
			// A pooled stream dies with its session; a fresh stream per
			// request keeps a POST after a reconnect from failing.
			DisableKeepAlives: true,
			// ngrok's edge passes the request and the answer through as sent: no
			// Accept-Encoding of its own, no decompressing the agent's answer.
			DisableCompression: true,
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := s.route(r.Host)
		if b == nil {
			w.Header().Set("Ngrok-Error-Code", "ERR_NGROK_3200")
			http.Error(w, "The endpoint "+r.Host+" is offline.\n\nERR_NGROK_3200", http.StatusNotFound)
			return
		}
		ctx := context.WithValue(r.Context(), targetKey{}, target{b: b, clientAddr: r.RemoteAddr})
		proxy.ServeHTTP(w, r.WithContext(ctx))
	})
}

// openProxy opens a Proxy stream to the agent: a little-endian int64 length,
// the JSON proxy header naming the bind, then the raw connection bytes.
func (s *Server) openProxy(t target) (net.Conn, error) {
	st, err := t.b.sess.mux.OpenTypedStream(proxyReq)
	if err != nil {
		return nil, err
	}
	hdr, _ := json.Marshal(map[string]any{"Id": t.b.id, "ClientAddr": t.clientAddr, "Proto": "https"})
	msg := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	if _, err := st.Write(append(msg, hdr...)); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// hostOf turns "https://name.example:443/x", "name.example" or "" into a host.
func hostOf(s string) string {
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// selfSignedCert makes a certificate for 127.0.0.1 that is its own CA.
func selfSignedCert() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"ngrokfake"}, CommonName: "ngrokfake"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
