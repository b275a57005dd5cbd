// Package cometchatfake is a fake CometChat for tests: one app's REST API (v3), the
// Management API's webhook endpoints, and, what matters most, the webhooks: when a message
// is sent (or a group changes) through it, it POSTs what a real app's enabled webhooks would
// get, with CometChat's headers and Basic Auth.
//
// It follows CometChat's API reference (the pages are named at each handler, and in
// internal/cometchat) and ../shared/docs/cometchat-webhooks.md for the webhooks: the payloads
// are the repository's fixtures with this call's ids, users and text put in. Where CometChat
// documents nothing the fake says so ([INF]): what the send API answers when before_message
// drops the message, and the order of deliveries.
package cometchatfake

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/webhook"
)

// Config says what the fake app has and how it behaves.
type Config struct {
	AppID, Region       string
	APIKey              string // a REST API key with full access
	AuthOnlyKey         string // a key with the authOnly scope: refused by these endpoints
	MgmtKey, MgmtSecret string
	Users               []string // default cometchat-uid-1 … -5
	// DeliverVia, when set, is the host:port every webhook is sent to over plain HTTP with
	// the URL's Host: the public side of the fake ngrok server, which stands for the internet.
	DeliverVia string
	// RateLimitAfter answers 429 (with Retry-After: 1) to the REST call after this many,
	// once; 0 never.
	RateLimitAfter int
	// RetryDelays are the waits before a failed delivery is retried when the webhook has
	// retryOnFailure: 10 s and 30 s at CometChat (create-webhook's page).
	RetryDelays []time.Duration
}

// Delivery is a webhook the fake sent, and what it got back.
type Delivery struct {
	Webhook, Trigger string
	URL              string
	Status           int
	Err              error
}

// Server is a running fake CometChat.
type Server struct {
	cfg  Config
	ln   net.Listener
	srv  *http.Server
	http *http.Client

	mu        sync.Mutex
	users     map[string]bool
	groups    map[string]*group
	messages  map[string]*message
	blocked   map[string]map[string]bool
	hooks     map[bool]map[string]*hook // by legacy, then id
	nextID    int
	calls     int
	limited   bool
	sent      []Delivery
	pending   sync.WaitGroup
	closed    bool
	done      chan struct{} // closed by Close
	startTime time.Time
}

type group struct {
	guid, name, owner string
	members           map[string]string // uid → scope
	banned            map[string]bool
}

type message struct {
	id, sender, receiver, receiverType, text string
	deleted                                  bool
}

type hook struct {
	id, name, url      string
	useBasicAuth       bool
	username, password string
	enabled, retry     bool
	legacy             bool
	triggers           []string
	createdAt          int64
}

// Start starts the fake on a loopback port.
func Start(cfg Config) (*Server, error) {
	if len(cfg.Users) == 0 {
		for i := 1; i <= 5; i++ {
			cfg.Users = append(cfg.Users, fmt.Sprintf("cometchat-uid-%d", i))
		}
	}
	if cfg.Region == "" {
		cfg.Region = "us"
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = []time.Duration{10 * time.Second, 30 * time.Second}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, ln: ln, users: map[string]bool{}, groups: map[string]*group{}, messages: map[string]*message{},
		blocked: map[string]map[string]bool{}, hooks: map[bool]map[string]*hook{false: {}, true: {}}, nextID: 100, startTime: time.Now(),
		done: make(chan struct{})}
	for _, u := range cfg.Users {
		s.users[u] = true
	}
	// New apps come with sample data ([INF] the sample group's guid, from the API spec's and
	// payloads' examples): the sample users in one public group.
	sample := &group{guid: "cometchat-guid-1", name: "Hiking Group", owner: cfg.Users[0], members: map[string]string{}, banned: map[string]bool{}}
	for _, u := range cfg.Users {
		sample.members[u] = "participant"
	}
	sample.members[cfg.Users[0]] = "admin"
	s.groups[sample.guid] = sample
	tr := &http.Transport{Proxy: nil, DisableCompression: true}
	if cfg.DeliverVia != "" {
		via := cfg.DeliverVia
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", via)
		}
	}
	s.http = &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	mux := http.NewServeMux()
	mux.HandleFunc("/v3/", s.rest)
	mux.HandleFunc("/apps/", s.mgmt)
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	return s, nil
}

// URL is the app's REST API base (COMETCHAT_API_URL).
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/v3" }

// MgmtURL is the Management API's base (COMETCHAT_MGMT_URL).
func (s *Server) MgmtURL() string { return "http://" + s.ln.Addr().String() }

// Close stops the fake after the deliveries under way.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.srv.Close()
	s.pending.Wait()
}

// Deliveries are the webhooks sent so far, in the order their answers came.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// Wait waits for the deliveries under way.
func (s *Server) Wait() { s.pending.Wait() }

// Webhook is a registered webhook as the fake holds it (for tests' checks).
type Webhook struct {
	ID, URL, Username, Password string
	Enabled, UseBasicAuth       bool
	Legacy                      bool
	Triggers                    []string
}

// Webhooks lists the app's webhooks.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Webhook
	for _, legacy := range []bool{false, true} {
		for _, h := range s.hooks[legacy] {
			out = append(out, Webhook{ID: h.id, URL: h.url, Username: h.username, Password: h.password, Enabled: h.enabled,
				UseBasicAuth: h.useBasicAuth, Legacy: legacy, Triggers: slices.Clone(h.triggers)})
		}
	}
	slices.SortFunc(out, func(a, b Webhook) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// AddWebhook registers a webhook directly, as the dashboard would.
func (s *Server) AddWebhook(w Webhook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[w.Legacy][w.ID] = &hook{id: w.ID, name: w.ID, url: w.URL, useBasicAuth: w.UseBasicAuth, username: w.Username,
		password: w.Password, enabled: w.Enabled, legacy: w.Legacy, triggers: slices.Clone(w.Triggers), createdAt: time.Now().Unix()}
}

// apiError answers as CometChat does: {"error": {"code", "message"}}
// (https://www.cometchat.com/docs/rest-api/error-guide).
func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func answer(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"data": data})
}

func readBody(r *http.Request, v any) error {
	if r.Body == nil {
		return nil
	}
	b := new(bytes.Buffer)
	if _, err := b.ReadFrom(http.MaxBytesReader(nil, r.Body, 1<<20)); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	return json.Unmarshal(b.Bytes(), v)
}

// event is one webhook to send: a trigger (v2 or legacy name) and what goes in its payload.
type event struct {
	trigger string
	legacy  bool
	fill    map[string]any // dotted paths set in the fixture when the fixture has them
	members []string       // replaces the fixture's data.members / data.users map
	scope   string
}

// emit sends the events to every enabled webhook of their system with their trigger.
func (s *Server) emit(evs ...event) {
	for _, ev := range evs {
		for _, h := range s.hooks[ev.legacy] {
			if !h.enabled || !slices.Contains(h.triggers, ev.trigger) {
				continue
			}
			body, err := s.payload(ev, h.id)
			if err != nil {
				s.sent = append(s.sent, Delivery{Webhook: h.id, Trigger: ev.trigger, URL: h.url, Err: err})
				continue
			}
			if s.closed {
				continue
			}
			hc := *h // a copy: the Management API may change the webhook meanwhile
			s.pending.Add(1)
			go func() {
				defer s.pending.Done()
				s.deliver(&hc, ev.trigger, body)
			}()
		}
	}
}

// deliver POSTs one webhook, retrying a failure when the webhook asks for it.
func (s *Server) deliver(h *hook, trigger string, body []byte) {
	for attempt := 0; ; attempt++ {
		status, _, err := s.post(h, body)
		s.mu.Lock()
		s.sent = append(s.sent, Delivery{Webhook: h.id, Trigger: trigger, URL: h.url, Status: status, Err: err})
		closed := s.closed
		s.mu.Unlock()
		ok := err == nil && status >= 200 && status < 300
		if ok || !h.retry || attempt >= len(s.cfg.RetryDelays) || closed {
			return
		}
		select {
		case <-time.After(s.cfg.RetryDelays[attempt]):
		case <-s.done: // closing: no more retries
			return
		}
	}
}

// post sends body to the webhook as CometChat does: POST, JSON, Basic Auth when on
// (cometchat-webhooks.md §2.5: "Content-Type: Application/json", no other documented header).
func (s *Server) post(h *hook, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if s.cfg.DeliverVia != "" {
		req.URL.Scheme = "http" // the fake ngrok's public side ends TLS for it
	}
	req.Header.Set("Content-Type", "Application/json")
	if h.useBasicAuth {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(h.username+":"+h.password)))
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b := new(bytes.Buffer)
	b.ReadFrom(http.MaxBytesReader(nil, resp.Body, 1<<20))
	return resp.StatusCode, b.Bytes(), nil
}

// payload builds the webhook from the trigger's fixture with this event's values.
func (s *Server) payload(ev event, webhookID string) ([]byte, error) {
	sys := fixtures.V2
	if ev.legacy {
		sys = fixtures.Legacy
	}
	raw, err := fixtures.Load(fixtures.Key{System: sys, Trigger: ev.trigger})
	if err != nil {
		return nil, err
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	p["trigger"], p["appId"], p["webhook"] = ev.trigger, s.cfg.AppID, webhookID
	if _, ok := p["region"]; ok {
		p["region"] = s.cfg.Region
	}
	shape := "data"
	if t, ok := webhook.Lookup(ev.trigger, string(sys)); ok && t.Shape != "" {
		shape = t.Shape
	}
	now := time.Now().Unix()
	for path, v := range ev.fill {
		setIfPresent(p, strings.ReplaceAll(path, "$msg", shape), v)
	}
	for _, stamp := range []string{"sentAt", "updatedAt", "createdAt", "deletedAt", "editedAt", "reactedAt"} {
		setIfPresent(p, shape+"."+stamp, now)
	}
	data, _ := p["data"].(map[string]any)
	for _, key := range []string{"members", "users"} {
		old, ok := data[key].(map[string]any)
		if !ok || len(ev.members) == 0 {
			continue
		}
		var tmpl map[string]any
		for _, v := range old {
			tmpl, _ = v.(map[string]any)
			break
		}
		fresh := map[string]any{}
		for _, uid := range ev.members {
			m := map[string]any{}
			for k, v := range tmpl {
				m[k] = v
			}
			m["uid"] = uid
			if ev.scope != "" {
				if _, ok := m["scope"]; ok {
					m["scope"] = ev.scope
				}
			}
			fresh[uid] = m
		}
		data[key] = fresh
	}
	return json.Marshal(p)
}

// setIfPresent sets a dotted path in p when everything up to it exists.
func setIfPresent(p map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	cur := p
	for _, k := range parts[:len(parts)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return
		}
		cur = next
	}
	if _, ok := cur[parts[len(parts)-1]]; ok {
		cur[parts[len(parts)-1]] = v
	}
}

func (s *Server) newID() string {
	s.nextID++
	return strconv.Itoa(s.nextID)
}
