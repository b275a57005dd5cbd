package receiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// hopByHop are the headers that describe one connection, not the message (RFC 9110 §7.6.1);
// Proxy-* headers and those named in Connection go too.
var hopByHop = []string{"Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopByHop(h http.Header) {
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, k := range hopByHop {
		delete(h, k)
	}
	for k := range h {
		if strings.HasPrefix(k, "Proxy-") {
			delete(h, k)
		}
	}
}

// forward sends the request to the app and relays its answer. When the app cannot answer,
// CometChat gets 502 (or 504 when it was too slow) with the reason as plain text.
//
// The body is forwarded before it is decoded: decoding only serves the verdict and the
// record, so it happens after the answer is on its way back, off the latency CometChat sees.
func (h *Handler) forward(w http.ResponseWriter, r *http.Request, d *Delivery, start time.Time) {
	ctx, done := h.waitContext(r)
	defer done()
	if h.c.ForwardTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.c.ForwardTimeout)
		defer cancel()
	}
	resp, body, err := h.roundTrip(ctx, r, d.Body)
	dur := time.Since(start)
	if err != nil {
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded) || os.IsTimeout(err)
		status, msg := http.StatusBadGateway, ""
		switch {
		case h.stopped(r) && !timedOut:
			status, msg = http.StatusServiceUnavailable, stoppingMsg
		case r.Context().Err() != nil && !timedOut:
			// The caller left first: markCallerGone says so, once, for every kind of answer.
		case errors.As(err, new(*unrelayable)):
			msg = err.Error()
		case timedOut:
			status = http.StatusGatewayTimeout
			limit := h.c.ForwardTimeout
			if limit == 0 {
				limit = h.client.Timeout
			}
			msg = fmt.Sprintf("your app did not answer within %s (--forward-timeout): is it stuck or paused in a debugger? raise --forward-timeout, or set it to 0 to wait for ever", limit)
		default:
			msg = simulate.Explain(err, h.c.Forward.Safe(), h.c.ForwardTimeout)
		}
		sr := simulate.Response{Err: err, TimedOut: timedOut, Duration: dur}
		if resp != nil {
			sr.Status, sr.Header = resp.StatusCode, resp.Header
		}
		h.forwardFailed(w, r, d, start, status, msg, sr)
		return
	}

	removeHopByHop(resp.Header)
	wh := w.Header()
	for k, v := range resp.Header {
		wh[k] = v
	}
	if bodyAllowed(resp.StatusCode) {
		wh["Content-Length"] = []string{strconv.Itoa(len(body))} // ours: the app's may be chunked or cut
	} else {
		delete(wh, "Content-Length")
	}
	gone := h.callerGone(r)
	w.WriteHeader(resp.StatusCode)
	if bodyAllowed(resp.StatusCode) {
		_, _ = w.Write(body)
	}
	d.Response = Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Duration: dur, Source: SourceForward, CallerGone: gone}
	d.Event = decode(d.Body, d)
	d.Verdict = simulate.Apply(eventOf(d), simulate.Response{Status: resp.StatusCode, Header: resp.Header, Body: body,
		Duration: dur}, h.c.Rules)
	d.Outcome = d.Verdict.Outcome
	if d.Outcome == simulate.Failed { // a 2xx never fails: what CometChat does with it is the verdict's
		d.Error = fmt.Sprintf("your app answered %s: check its logs", d.Verdict.Reason)
	}
}

// roundTrip forwards the request and reads the answer, of at most simulate.MaxAnswer bytes.
func (h *Handler) roundTrip(ctx context.Context, r *http.Request, body []byte) (*http.Response, []byte, error) {
	u := forwardURL(h.c.Forward.u, r.URL)
	out, err := http.NewRequestWithContext(ctx, r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	out.Header = outgoingHeader(r)
	resp, err := h.client.Do(out)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 {
		// 101 Switching Protocols (or any 1xx the transport hands back as final) is not an
		// answer CometChat can use, and its body is the raw connection: reading it would
		// hold the caller until the app hangs up.
		return resp, nil, &unrelayable{fmt.Sprintf("your app answered %d %s, which is not a final answer: CometChat needs one, 2xx to count it delivered",
			resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, simulate.MaxAnswer+1))
	if len(b) > simulate.MaxAnswer {
		// Relaying the first MiB would pass off a cut answer as the app's whole one.
		return resp, nil, &unrelayable{fmt.Sprintf("your app answered more than %d MiB, more than comethook relays: the caller got 502 rather than a cut answer (CometChat keeps at most %d characters of a message, injected metadata included)",
			simulate.MaxAnswer>>20, simulate.MaxMessageChars)}
	}
	if err != nil {
		return resp, nil, err
	}
	return resp, b, nil
}

// unrelayable is an answer from the app that comethook will not pass on as it is.
type unrelayable struct{ msg string }

func (u *unrelayable) Error() string { return u.msg }

// outgoingHeader is the request's header minus hop-by-hop ones, plus X-Forwarded-*. The
// client's address is appended to X-Forwarded-For. X-Forwarded-Host and -Proto are always
// what listen saw, never what the caller sent: anyone on the public URL could otherwise
// tell the app it was reached on another host or over HTTPS. A request through the tunnel
// came over HTTPS to the public host (ngrok keeps the Host header).
func outgoingHeader(r *http.Request) http.Header {
	hdr := r.Header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	removeHopByHop(hdr)
	if _, ok := hdr["User-Agent"]; !ok {
		hdr["User-Agent"] = []string{""} // keep Go's default User-Agent out
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if prior := hdr["X-Forwarded-For"]; len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		hdr["X-Forwarded-For"] = []string{ip}
	}
	delete(hdr, "X-Forwarded-Host")
	if r.Host != "" {
		hdr["X-Forwarded-Host"] = []string{r.Host}
	}
	proto := "http"
	if r.TLS != nil || viaTunnel(r) {
		proto = "https"
	}
	hdr["X-Forwarded-Proto"] = []string{proto}
	return hdr
}

type tunnelKey struct{}

// Public marks the requests h serves as having come through the public tunnel (ngrok's
// HTTPS endpoint), which the forwarded X-Forwarded-Proto says.
func Public(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tunnelKey{}, true)))
	})
}

func viaTunnel(r *http.Request) bool { return r.Context().Value(tunnelKey{}) != nil }

// forwardURL is where a request to req goes: the --forward-to URL with the request's path
// appended and the queries of both.
func forwardURL(fwd, req *url.URL) url.URL {
	u := *fwd
	u.Path, u.RawPath = joinPath(fwd, req)
	switch {
	case fwd.RawQuery == "":
		u.RawQuery = req.RawQuery
	case req.RawQuery != "":
		u.RawQuery = fwd.RawQuery + "&" + req.RawQuery
	}
	return u
}

// joinPath appends the request path to the --forward-to path with exactly one slash
// between them; the request path "/" adds nothing.
func joinPath(base, req *url.URL) (path, rawPath string) {
	if req.Path == "" || req.Path == "/" {
		return base.Path, base.RawPath
	}
	if base.RawPath == "" && req.RawPath == "" {
		return strings.TrimSuffix(base.Path, "/") + ensureSlash(req.Path), ""
	}
	ep, rp := base.EscapedPath(), req.EscapedPath()
	return strings.TrimSuffix(base.Path, "/") + ensureSlash(req.Path), strings.TrimSuffix(ep, "/") + ensureSlash(rp)
}

func ensureSlash(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return "/" + p
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// forwardFailed answers CometChat for an app that gave no usable answer.
func (h *Handler) forwardFailed(w http.ResponseWriter, r *http.Request, d *Delivery, start time.Time, status int, msg string, sr simulate.Response) {
	// The caller may be anyone on the public URL: it learns that the app failed, not where
	// the app runs. The sentence that says what to check goes to the developer's terminal.
	body := []byte("comethook could not get an answer from the app it forwards to: the terminal running comethook listen says why\n")
	hdr := http.Header{"Content-Type": ctText, "Content-Length": {strconv.Itoa(len(body))}}
	wh := w.Header()
	for k, vs := range hdr {
		wh[k] = vs
	}
	gone := h.callerGone(r)
	w.WriteHeader(status)
	_, _ = w.Write(body)
	d.Response = Response{Status: status, Header: hdr, Body: body, Duration: time.Since(start), Source: SourceComethook, CallerGone: gone}
	d.Event = decode(d.Body, d)
	v := simulate.Apply(eventOf(d), sr, h.c.Rules)
	d.Verdict, d.Outcome, d.Error = v, v.Outcome, msg
}

// eventOf is the event Apply judges: the delivery's, or an empty one for a body that is
// not a JSON object (so the rules for ordinary triggers apply).
func eventOf(d *Delivery) *webhook.Event {
	if d.Event == nil {
		return noEvent
	}
	return d.Event
}
