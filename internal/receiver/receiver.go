// Package receiver is the endpoint `comethook listen` serves. Per request it checks Basic
// Auth and the size limit, decodes the webhook once, answers it (with a mock answer, or by
// relaying the developer's app's answer through --forward-to), predicts with simulate.Apply
// what CometChat does with that answer, and hands one Delivery record to a callback.
//
// It never prints. The answer to CometChat is written and flushed before the record is
// emitted, so a slow terminal or capture log never delays CometChat.
package receiver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/comethook/comethook/internal/bytesize"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// Mock is how the receiver answers when it does not forward.
type Mock struct {
	Status  int           // default 200
	Respond []byte        // the before_message answer; nil = {}
	Drop    bool          // before_message answers {"action":"do_not_propagate"}
	Delay   time.Duration // wait before answering (simulate a slow endpoint)
}

// Config says how a Handler checks, answers and reports deliveries.
type Config struct {
	BasicAuth string // "user:pass"; empty = no check
	MaxBody   int64  // default 1 MiB
	// BodyTimeout bounds reading the body, so a client that sends it a byte at a time
	// cannot hold a connection; 0 = no bound.
	BodyTimeout time.Duration
	Mock        Mock
	Forward     *Target // where --forward-to sends deliveries; nil = mock mode
	// ForwardTimeout bounds the app's answer; 0 waits for ever, for debugger sessions.
	ForwardTimeout time.Duration
	// Client forwards; nil means one that follows no redirects, uses no proxy and does not
	// ask for gzip, so the app sees the request as CometChat sent it.
	Client *http.Client
	// Rules are the before_message assumptions. The zero value is not CometChat's default:
	// pass simulate.DefaultRules() for that.
	Rules simulate.Rules
	Now   func() time.Time // stamps ReceivedAt; nil = time.Now
	// Emit is called after the answer has been written and flushed; it must not block long.
	Emit func(*Delivery)
}

// Sources of an answer: comethook's own, or the app's, relayed.
const (
	SourceMock    = "mock"    // comethook answered: its mock answer, or a refusal
	SourceForward = "forward" // the app answered, relayed
	// SourceComethook is comethook answering for an app that could not: down (502), too
	// slow (504), or listen stopping (503).
	SourceComethook = "comethook"
)

// Response is the answer CometChat got.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Duration time.Duration // from the request arriving to the answer being written
	Source   string        // SourceMock, SourceForward or SourceComethook
	// CallerGone says the caller had hung up before the answer was written: it never got it.
	CallerGone bool
}

// Delivery is the record of one request. It is read-only once emitted: the mock answer's
// body and header are shared between deliveries.
type Delivery struct {
	Seq        int64 // 1, 2, 3... per Handler
	ReceivedAt time.Time
	Method     string
	Path       string
	Query      string
	Header     http.Header    // as received (the printer masks Authorization)
	Body       []byte         // raw, as received (nil when rejected before reading it)
	Event      *webhook.Event // nil when the body is not a JSON object
	Response   Response
	Outcome    simulate.Outcome
	Verdict    simulate.Verdict
	Error      string   // why it failed or was rejected, as a sentence that says what to check
	Warnings   []string // things worth knowing even when it worked
	// DuplicateOf is the Seq of an earlier delivery of the same event (same deduplication
	// key): a retry or a duplicate delivery. 0 when this is the first.
	DuplicateOf int64
	// DedupKey identifies the event across deliveries (webhook.DedupKey); "" when the
	// trigger has none. DedupInferred says the key is comethook's guess, not CometChat's.
	DedupKey      string
	DedupInferred bool

	summary *webhook.Summary // worked out once, by the first sink that shows it
}

// Summary is the event's gist (webhook.Summarize), worked out once for all the sinks that
// show it. Like the rest of a delivery, it is for one goroutine at a time.
func (d *Delivery) Summary() webhook.Summary {
	if d.summary == nil {
		var s webhook.Summary
		if d.Event != nil {
			s = webhook.Summarize(d.Event)
		}
		d.summary = &s
	}
	return *d.summary
}

// DefaultMaxBody is the body limit when Config.MaxBody is not set.
const DefaultMaxBody = 1 << 20

// Page is what GET / answers, so a browser (or the user) can see the URL works.
const Page = "comethook is listening: CometChat can POST webhooks to this URL.\n"

// Handler is the listen endpoint; it implements http.Handler.
type Handler struct {
	c         Config
	status    int
	checkAuth bool
	user      [sha256.Size]byte
	pass      [sha256.Size]byte

	client *http.Client

	// The mock answers never change, so their bytes and header values are made once.
	mockBefore, mockOther canned

	// aborted ends when listen gives up waiting for deliveries in flight (Abort).
	aborted context.Context
	abort   context.CancelFunc

	seq      atomic.Int64
	seen     seen
	inflight atomic.Int64
	mu       sync.Mutex
	idle     chan struct{} // made by Wait, closed when inflight drops to 0
}

type canned struct {
	body   []byte
	length []string    // Content-Length value
	header http.Header // recorded in every Delivery: read-only
}

func newCanned(b []byte) canned {
	length := []string{strconv.Itoa(len(b))}
	return canned{body: b, length: length, header: http.Header{"Content-Type": ctJSON, "Content-Length": length}}
}

// Header values shared by every answer: net/http only reads them.
var (
	ctJSON    = []string{"application/json"}
	ctText    = []string{"text/plain; charset=utf-8"}
	allowPost = []string{http.MethodPost}
	authRealm = []string{`Basic realm="comethook"`}
	emptyObj  = []byte("{}")
	noEvent   = &webhook.Event{} // what Apply sees for a body that is not a JSON object
)

// New returns a Handler for c, with defaults filled in.
func New(c Config) *Handler {
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	h := &Handler{c: c, status: c.Mock.Status}
	h.aborted, h.abort = context.WithCancel(context.Background())
	if h.status == 0 {
		h.status = http.StatusOK
	}
	if c.BasicAuth != "" {
		u, p, _ := strings.Cut(c.BasicAuth, ":")
		h.checkAuth, h.user, h.pass = true, sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	}
	before := emptyObj
	switch {
	case c.Mock.Drop:
		before = simulate.DropAnswer
	case c.Mock.Respond != nil:
		before = c.Mock.Respond
	}
	h.mockBefore, h.mockOther = newCanned(before), newCanned(emptyObj)
	if c.Forward != nil {
		h.client = c.Client
		if h.client == nil {
			h.client = defaultClient()
		}
	}
	return h
}

func defaultClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DisableCompression = true // forward CometChat's headers, not Go's Accept-Encoding
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // relay the redirect: CometChat does not follow one
		},
	}
}

// ServeHTTP answers one request and emits its Delivery.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == "/" {
		page(w, r)
		return
	}
	h.inflight.Add(1)
	defer h.done()

	start := time.Now()
	d := &Delivery{
		Seq:        h.seq.Add(1),
		ReceivedAt: start,
		Method:     r.Method,
		Path:       r.URL.Path,
		Query:      r.URL.RawQuery,
		Header:     r.Header,
	}
	if h.c.Now != nil {
		d.ReceivedAt = h.c.Now()
	}
	h.handle(w, r, d, start)
	flush(w)
	markCallerGone(d)
	// What the verdict noticed about the answer (over CometChat's budget, cut at
	// simulate.MaxAnswer) is worth knowing in every sink, like the request's own warnings.
	d.Warnings = append(d.Warnings, d.Verdict.Warnings...)
	h.markDuplicate(d)
	if h.c.Emit != nil {
		h.c.Emit(d)
	}
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, d *Delivery, start time.Time) {
	if r.Method != http.MethodPost {
		h.reject(w, d, start, http.StatusMethodNotAllowed, "allowed", allowPost,
			fmt.Sprintf("method %s is not allowed: CometChat sends webhooks with POST", r.Method))
		return
	}
	if h.checkAuth {
		if msg := h.authFailure(r); msg != "" {
			h.reject(w, d, start, http.StatusUnauthorized, "authenticate", authRealm, msg)
			return
		}
	}
	body, err := h.readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, d, start, http.StatusRequestEntityTooLarge, "", nil,
				fmt.Sprintf("body larger than the %s limit: raise it with --max-body if CometChat really sends this much", bytesize.Text(h.c.MaxBody)))
			return
		}
		if os.IsTimeout(err) {
			// Close the connection after the answer: net/http would otherwise try to read
			// the rest of the body first, at the sender's pace.
			w.Header()["Connection"] = []string{"close"}
			h.reject(w, d, start, http.StatusRequestTimeout, "", nil,
				fmt.Sprintf("the body did not arrive within %s: the sender is too slow (CometChat sends it at once)", h.c.BodyTimeout))
			return
		}
		h.reject(w, d, start, http.StatusBadRequest, "", nil,
			fmt.Sprintf("could not read the body (%v): did the sender close the connection?", err))
		return
	}
	d.Body = body
	if ct := r.Header["Content-Type"]; len(ct) == 0 {
		d.Warnings = append(d.Warnings, "no Content-Type header, CometChat sends application/json")
	} else if mt := mediaType(ct[0]); !strings.EqualFold(mt, "application/json") {
		d.Warnings = append(d.Warnings, "Content-Type is "+mt+", CometChat sends application/json")
	}
	if h.c.Forward != nil {
		h.forward(w, r, d, start) // decodes once the answer is written
		return
	}
	d.Event = decode(body, d) // the mock answer depends on the trigger
	h.mock(w, r, d, start)
}

// page answers GET / and HEAD /: a sign of life, not a delivery.
func page(w http.ResponseWriter, r *http.Request) {
	wh := w.Header()
	wh["Content-Type"] = ctText
	wh["Content-Length"] = []string{strconv.Itoa(len(Page))}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, Page)
	}
}

// authFailure says why the request's Basic Auth is not the configured one, or "" when it
// is. Both halves are always compared, as hashes, so neither timing nor length tells an
// attacker which half was wrong. The sentence never quotes the credentials.
func (h *Handler) authFailure(r *http.Request) string {
	u, p, ok := r.BasicAuth()
	if !ok {
		if len(r.Header["Authorization"]) == 0 {
			return "missing credentials: the request has no Authorization header; turn on Basic Authentication for this webhook in the CometChat dashboard with the user and password given to --basic-auth"
		}
		return "missing credentials: the Authorization header is not Basic auth; CometChat sends Basic auth with the user and password set for the webhook in its dashboard"
	}
	uh, ph := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	userOK := subtle.ConstantTimeCompare(uh[:], h.user[:])
	passOK := subtle.ConstantTimeCompare(ph[:], h.pass[:])
	switch {
	case userOK&passOK == 1:
		return ""
	case userOK == 1:
		return "wrong credentials: the password does not match --basic-auth; check the webhook's Basic Authentication in the CometChat dashboard"
	case passOK == 1:
		return "wrong credentials: the user does not match --basic-auth; check the webhook's Basic Authentication in the CometChat dashboard"
	}
	return "wrong credentials: neither the user nor the password matches --basic-auth; check the webhook's Basic Authentication in the CometChat dashboard"
}

// readBody reads at most MaxBody bytes. A body with a known length is read into a buffer of
// exactly that size: net/http already stops it at Content-Length, so only bodies of unknown
// length need http.MaxBytesReader.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) (_ []byte, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	}
	if h.c.BodyTimeout > 0 {
		// Lifted once the body is in: a handler may wait long for the app (--forward-timeout
		// 0). Kept when it ran out, so nothing waits for the rest of that body.
		rc := http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(h.c.BodyTimeout)) == nil {
			defer func() {
				if !os.IsTimeout(err) {
					_ = rc.SetReadDeadline(time.Time{})
				}
			}()
		}
	}
	if n := r.ContentLength; n >= 0 {
		if n > h.c.MaxBody {
			return nil, &http.MaxBytesError{Limit: h.c.MaxBody}
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, h.c.MaxBody))
}

// mediaType returns the media type of a Content-Type value without its parameters.
func mediaType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// decode parses the body once; a body that is not a JSON object is kept as it is, with a
// warning, and still answered.
func decode(body []byte, d *Delivery) *webhook.Event {
	i := 0
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n') {
		i++
	}
	if i == len(body) {
		d.Warnings = append(d.Warnings, "body is empty: CometChat always sends a JSON object")
		return nil
	}
	if body[i] == '{' {
		if e, err := webhook.Parse(body); err == nil {
			if e.Trigger == "" {
				d.Warnings = append(d.Warnings, `body has no "trigger" field: CometChat puts one in every webhook`)
			}
			return e
		}
	}
	if json.Valid(body) {
		d.Warnings = append(d.Warnings, "body is JSON but not an object: recorded as text")
	} else {
		d.Warnings = append(d.Warnings, "body is not JSON: recorded as text")
	}
	return nil
}

// mock answers with the configured status and the canned body for the trigger.
func (h *Handler) mock(w http.ResponseWriter, r *http.Request, d *Delivery, start time.Time) {
	if h.c.Mock.Delay > 0 {
		ctx, done := h.waitContext(r)
		err := simulate.Sleep(ctx, h.c.Mock.Delay)
		done()
		if err != nil && h.stopped(r) {
			h.reject(w, d, start, http.StatusServiceUnavailable, "", nil, stoppingMsg)
			return
		}
		if err != nil {
			d.Warnings = append(d.Warnings, "the sender hung up during --delay, before the answer was sent")
		}
	}
	e := eventOf(d)
	a := &h.mockOther
	if webhook.IsSync(e.Trigger) {
		a = &h.mockBefore
	}
	hdr := a.header
	wh := w.Header()
	wh["Content-Type"] = ctJSON
	wh["Content-Length"] = a.length
	gone := h.callerGone(r)
	w.WriteHeader(h.status)
	_, _ = w.Write(a.body)
	d.Response = Response{Status: h.status, Header: hdr, Body: a.body, Duration: time.Since(start), Source: SourceMock, CallerGone: gone}
	d.Verdict = simulate.Apply(e, simulate.Response{Status: h.status, Header: hdr, Body: a.body, Duration: d.Response.Duration}, h.c.Rules)
	d.Outcome = d.Verdict.Outcome
	if d.Outcome == simulate.Failed { // only a non-2xx --status fails: a 2xx answer never does
		d.Error = fmt.Sprintf("%s: comethook answers with --status %d, and CometChat counts any non-2xx answer as a failure", d.Verdict.Reason, h.status)
	}
}

// reject answers a request comethook refuses itself. The Verdict still comes from Apply, so
// before_message assumptions about non-2xx answers stay in one place.
func (h *Handler) reject(w http.ResponseWriter, d *Delivery, start time.Time, status int, extraKey string, extra []string, msg string) {
	body := http.StatusText(status) + "\n"
	hdr := http.Header{"Content-Type": ctText, "Content-Length": {strconv.Itoa(len(body))}}
	switch extraKey {
	case "allowed":
		hdr["Allow"] = extra
	case "authenticate":
		hdr["Www-Authenticate"] = extra
	}
	wh := w.Header()
	for k, v := range hdr {
		wh[k] = v
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
	d.Response = Response{Status: status, Header: hdr, Body: []byte(body), Duration: time.Since(start), Source: SourceMock}
	if d.Body == nil {
		// Refused before its body was read: a stranger's request. It is recorded in short,
		// so that a flood of them with huge headers fills neither memory nor the capture.
		var cut int
		d.Header, cut = shortHeader(d.Header)
		if cut > 0 {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%d bytes of its headers not recorded", cut))
		}
	}
	d.Verdict = simulate.Apply(noEvent, simulate.Response{Status: status, Header: hdr, Body: d.Response.Body, Duration: d.Response.Duration}, h.c.Rules)
	d.Verdict.Outcome, d.Outcome, d.Error = simulate.Rejected, simulate.Rejected, msg
}

// callerGone says, just before an answer is written, whether the caller has hung up
// (net/http cancels the request's context when the client's connection closes): the answer
// then goes into the void. Checked before writing, never after, since a caller that got its
// answer may close the connection at once.
func (h *Handler) callerGone(r *http.Request) bool {
	return r.Context().Err() != nil && !h.stopped(r)
}

// markCallerGone counts a delivery whose caller was gone before its answer as failed:
// CometChat, which gives up after its budget, never got it.
func markCallerGone(d *Delivery) {
	if !d.Response.CallerGone || d.Outcome == simulate.Rejected {
		return
	}
	msg := fmt.Sprintf("the caller hung up before the answer (%s after it arrived): it never got the %d", d.Response.Duration.Round(time.Millisecond), d.Response.Status)
	if d.Response.Duration > simulate.Budget {
		msg += fmt.Sprintf("; CometChat gives up after %s", simulate.Budget)
	}
	d.Outcome, d.Verdict.Outcome = simulate.Failed, simulate.Failed
	if d.Error == "" {
		d.Error = msg
	} else {
		d.Error += "; " + msg
	}
}

// Bounds of what a refused request's record keeps of its headers.
const (
	shortHeaders     = 32   // headers
	shortHeaderValue = 256  // bytes of each value
	shortHeaderTotal = 4096 // bytes in all
)

// shortHeader is h cut to the bounds above (names in order, so the same ones are kept every
// time), and how many bytes were left out.
func shortHeader(h http.Header) (http.Header, int) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make(http.Header, min(len(h), shortHeaders))
	total, cut := 0, 0
	for _, k := range names {
		for _, v := range h[k] {
			size := len(k) + len(v)
			if len(out) >= shortHeaders && out[k] == nil || total+min(size, len(k)+shortHeaderValue) > shortHeaderTotal {
				cut += size
				continue
			}
			if len(v) > shortHeaderValue {
				cut += len(v) - shortHeaderValue
				v = strings.ToValidUTF8(v[:shortHeaderValue], "") + "…"
			}
			out[k] = append(out[k], v)
			total += len(k) + len(v)
		}
	}
	return out, cut
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
		return
	}
	_ = http.NewResponseController(w).Flush()
}

// done marks a request finished and wakes Wait when it was the last one.
func (h *Handler) done() {
	if h.inflight.Add(-1) != 0 {
		return
	}
	h.mu.Lock()
	if h.idle != nil && h.inflight.Load() == 0 {
		close(h.idle)
		h.idle = nil
	}
	h.mu.Unlock()
}

// Abort makes the requests still waiting for the app (or for --delay) stop waiting and
// answer 503 Service Unavailable, which CometChat retries: for a shutdown whose grace
// period ran out, so that no delivery is cut without an answer or left out of the record.
func (h *Handler) Abort() { h.abort() }

// waitContext is r's context, also ended by Abort.
func (h *Handler) waitContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(h.aborted, cancel)
	return ctx, func() { stop(); cancel() }
}

// stopped says whether r was aborted by Abort rather than by its sender.
func (h *Handler) stopped(r *http.Request) bool {
	return h.aborted.Err() != nil && r.Context().Err() == nil
}

// stoppingMsg is the record's sentence for a delivery Abort answered.
const stoppingMsg = "listen was stopped before the answer was ready: answered 503 (CometChat retries it)"

// Wait waits until no request is in flight (its Emit included), for a graceful shutdown,
// or until ctx ends. Call it after the server has stopped accepting requests.
func (h *Handler) Wait(ctx context.Context) error {
	h.mu.Lock()
	if h.inflight.Load() == 0 {
		h.mu.Unlock()
		return nil
	}
	if h.idle == nil {
		h.idle = make(chan struct{})
	}
	idle := h.idle
	h.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
