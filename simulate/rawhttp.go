package simulate

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// rawClient posts over one kept-alive HTTP/1.1 connection without net/http's transport
// machinery (a goroutine pair and channels per connection). send --count uses one per
// worker so that comethook, not its client, is what a load test measures.
type rawClient struct {
	addr, host, path string
	tls              *tls.Config
	head             []byte     // request line and fixed headers, up to Content-Length
	mu               sync.Mutex // guards conn against abort from another goroutine
	conn             net.Conn
	aborted          bool
	br               *bufio.Reader
	buf              bytes.Buffer // the request being written
	body             bytes.Buffer // the last answer's body
}

// abort makes the request in flight (and any later one) fail at once: Ctrl-C.
func (c *rawClient) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted = true
	if c.conn != nil {
		_ = c.conn.SetDeadline(time.Unix(1, 0))
	}
}

// newRawClient prepares a client for r's URL; ok is false when the URL needs the full
// client (a proxy or an unusual scheme).
func newRawClient(r Request, insecure bool) (*rawClient, bool) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return nil, false
	}
	c := &rawClient{addr: u.Host, host: u.Host, path: u.RequestURI()}
	if u.Port() == "" {
		c.addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	if u.Scheme == "https" {
		c.tls = &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: insecure} //nolint:gosec // the user's --insecure
	}
	var h bytes.Buffer
	h.WriteString("POST " + c.path + " HTTP/1.1\r\nHost: " + c.host + "\r\n")
	hdr := RequestHeaders(r)
	_ = hdr.Write(&h)
	h.WriteString("Content-Length: ")
	c.head = h.Bytes()
	return c, true
}

// RequestHeaders is every header a delivery carries besides Host and Content-Length.
func RequestHeaders(r Request) http.Header {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h["Content-Type"] = []string{ContentType}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", cmp.Or(r.UserAgent, "comethook"))
	}
	if r.BasicAuth != "" {
		h.Set("Authorization", BasicAuthHeader(r.BasicAuth))
	}
	return h
}

// do posts body and reads the answer, reconnecting once when a kept-alive connection
// turns out to be closed.
func (c *rawClient) do(ctx context.Context, body []byte, timeout time.Duration) Response {
	start := time.Now()
	deadline := time.Time{}
	if timeout > 0 {
		deadline = start.Add(timeout)
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	for attempt := 0; ; attempt++ {
		reused := c.conn != nil
		resp, err := c.roundTrip(body, deadline)
		if err == nil {
			resp.Duration = time.Since(start)
			return resp
		}
		c.close()
		if ctx.Err() != nil { // Ctrl-C, not the endpoint: abort set a past deadline
			return Response{Err: ctx.Err(), TimedOut: errors.Is(ctx.Err(), context.DeadlineExceeded), Duration: time.Since(start)}
		}
		if reused && attempt == 0 && !isTimeout(err) {
			continue // the server closed an idle connection: one fresh try
		}
		return Response{Err: err, TimedOut: isTimeout(err), Duration: time.Since(start)}
	}
}

func (c *rawClient) roundTrip(body []byte, deadline time.Time) (Response, error) {
	if c.conn == nil {
		if c.isAborted() {
			return Response{}, context.Canceled
		}
		d := net.Dialer{Deadline: deadline}
		conn, err := d.Dial("tcp", c.addr)
		if err != nil {
			return Response{}, &url.Error{Op: "Post", URL: "http://" + c.host + c.path, Err: err}
		}
		if c.tls != nil {
			tc := tls.Client(conn, c.tls)
			tc.SetDeadline(deadline)
			if err := tc.Handshake(); err != nil {
				conn.Close()
				return Response{}, err
			}
			conn = tc
		}
		c.mu.Lock()
		c.conn, c.br = conn, bufio.NewReaderSize(conn, 16<<10)
		c.mu.Unlock()
	}
	_ = c.conn.SetDeadline(deadline)
	c.buf.Reset()
	c.buf.Write(c.head)
	c.buf.WriteString(strconv.Itoa(len(body)))
	c.buf.WriteString("\r\n\r\n")
	c.buf.Write(body)
	if _, err := c.conn.Write(c.buf.Bytes()); err != nil {
		return Response{}, err
	}
	return c.readResponse()
}

// readResponse parses the answer leanly: the status, the few headers that frame the body,
// and the body into a buffer the client reuses (valid until the next request). Load
// tests only need the status and, for before_message, the body.
func (c *rawClient) readResponse() (Response, error) {
	for {
		r, err := c.readOneResponse()
		if err != nil || r.Status >= 200 || r.Status == 101 {
			return r, err
		}
		// 100 Continue, 103 Early Hints: informational, the answer follows.
	}
}

func (c *rawClient) readOneResponse() (Response, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return Response{}, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return Response{}, fmt.Errorf("malformed HTTP status line %q", bytes.TrimSpace(line))
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return Response{}, fmt.Errorf("malformed HTTP status line %q", bytes.TrimSpace(line))
	}
	closeAfter := line[7] == '0' // HTTP/1.0
	length, chunked := int64(-1), false
	for {
		line, err = c.br.ReadSlice('\n')
		if err != nil {
			return Response{}, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case asciiEqualFold(k, "Content-Length"):
			if length, err = strconv.ParseInt(string(v), 10, 64); err != nil || length < 0 {
				return Response{}, fmt.Errorf("bad Content-Length %q", v)
			}
		case asciiEqualFold(k, "Transfer-Encoding"):
			chunked = bytes.Contains(bytes.ToLower(v), []byte("chunked"))
		case asciiEqualFold(k, "Connection"):
			closeAfter = closeAfter || asciiEqualFold(v, "close")
		}
	}
	var body io.Reader
	switch {
	case status == 204 || status == 304 || (status >= 100 && status < 200): // no body
		body = bytes.NewReader(nil)
	case chunked:
		body = httputil.NewChunkedReader(c.br)
	case length >= 0:
		body = io.LimitReader(c.br, length)
	default:
		body, closeAfter = c.br, true // until the server closes
	}
	c.body.Reset()
	n, err := c.body.ReadFrom(io.LimitReader(body, MaxAnswer+1))
	if err != nil {
		return Response{}, err
	}
	out := Response{Status: status, Body: c.body.Bytes()}
	if n > MaxAnswer {
		out.Body, out.Truncated, closeAfter = out.Body[:MaxAnswer], true, true
	}
	if chunked && !closeAfter {
		_, _ = io.Copy(io.Discard, body) // the trailer
	}
	if closeAfter {
		c.close()
	}
	return out, nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i]|0x20, s[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

func (c *rawClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.br = nil, nil
	}
}

func (c *rawClient) isAborted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.aborted
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
