package simulate

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// Budget is the time CometChat asks endpoints to answer within ("respond within 2 seconds
// to prevent timeouts"). Slower answers get a warning even when they succeed.
const Budget = 2 * time.Second

// MaxAnswer bounds how much of an answer is read; CometChat has no use for more.
const MaxAnswer = 1 << 20

// Request is one delivery as CometChat makes it.
type Request struct {
	URL       string
	Body      []byte
	BasicAuth string      // "user:pass"; empty for none
	Header    http.Header // extra headers (-H)
	Timeout   time.Duration
	// UserAgent is sent as User-Agent (unless Header sets one); "comethook" when empty.
	// CometChat's own is not known, so comethook names itself rather than imitate.
	UserAgent string
}

// ContentType is the Content-Type CometChat sends, with the casing seen in live traffic
// (cometchat-webhooks.md §9): a receiver that compares it case-sensitively to
// "application/json" breaks on CometChat, and should break here first.
const ContentType = "Application/json"

// Response is what the endpoint did with a delivery.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	Truncated bool // the answer was longer than MaxAnswer
	Duration  time.Duration
	Err       error // no HTTP answer: connection error or timeout
	TimedOut  bool
}

// OK says whether the endpoint answered 2xx.
func (r Response) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// NewClient returns the HTTP client deliveries use: no redirects followed (CometChat
// does not follow them either [INF]), connections kept for conc workers.
func NewClient(insecure bool, conc int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(100, conc)
	tr.MaxIdleConnsPerHost = max(2, conc)
	tr.Proxy = nil
	tr.DisableCompression = true // no Accept-Encoding: CometChat is not known to send one
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --insecure is the user's explicit choice for self-signed local HTTPS
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// BasicAuthHeader returns the Authorization header value for "user:pass".
func BasicAuthHeader(userpass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))
}

// Deliver POSTs the body like CometChat: JSON, optional Basic Auth, bounded by r.Timeout.
func Deliver(ctx context.Context, c *http.Client, r Request) Response {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Response{Err: err}
	}
	req.Header = RequestHeaders(r)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return failure(ctx, err, time.Since(start))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
	out := Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Duration: time.Since(start)}
	if len(body) > MaxAnswer {
		out.Body, out.Truncated = body[:MaxAnswer], true
	}
	if err != nil {
		f := failure(ctx, err, out.Duration)
		out.Err, out.TimedOut = f.Err, f.TimedOut
	}
	return out
}

func failure(ctx context.Context, err error, d time.Duration) Response {
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || os.IsTimeout(err)
	return Response{Err: err, TimedOut: timedOut, Duration: d}
}

// Explain turns a delivery error into a sentence that says what to check.
func Explain(err error, target string, timeout time.Duration) string {
	host := target
	if u, perr := url.Parse(target); perr == nil && u.Host != "" {
		host = u.Host
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return fmt.Sprintf("no answer within %s: CometChat gives up after about %s; is the endpoint stuck?", timeout, Budget)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused: is your app running on %s?", host)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve %s: check the URL", dnsErr.Name)
	case errors.As(err, &certErr) || strings.Contains(err.Error(), "x509:"):
		return fmt.Sprintf("TLS certificate of %s not trusted: use --insecure for a self-signed local certificate", host)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("%s closed the connection without an answer", host)
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err.Error()
	}
	return err.Error()
}
