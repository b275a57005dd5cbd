// Package cometchat calls CometChat's documented APIs: the per-app REST API (v3), to make
// the real CometChat send webhooks (comethook trigger), and the Management API, to point an
// app's webhook at a listener (listen --register, comethook webhooks). Each endpoint names
// the page of CometChat's API reference it follows. Keys never leave this package in
// errors or in the exchanges it reports.
package cometchat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Regions are where CometChat hosts apps (the REST API's host names them).
var Regions = []string{"us", "eu", "in"}

// BaseURL is the v3 REST API of an app: https://{appId}.api-{region}.cometchat.io/v3
// (https://www.cometchat.com/docs/rest-api/messages/send-message).
func BaseURL(appID, region string) string {
	return "https://" + appID + ".api-" + region + ".cometchat.io/v3"
}

// MgmtURL is the Management API (https://www.cometchat.com/docs/rest-api/management-apis).
const MgmtURL = "https://apimgmt.cometchat.io"

// Exchange is one API call as -v shows it: credentials are masked.
type Exchange struct {
	Method, URL string
	Header      http.Header // masked
	Body        []byte      // the request's
	Status      int
	Answer      []byte
	Duration    time.Duration
	Err         error
}

// Client calls one of CometChat's APIs with its credentials.
type Client struct {
	API       API
	BaseURL   string
	Header    http.Header // credentials: apikey, or key and secret
	HTTP      *http.Client
	UserAgent string
	// Sleep waits before the one retry of a 429 (nil: a timer honouring ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// OnExchange sees every call, masked (for -v); OnWait hears of a wait for the rate limit.
	OnExchange func(Exchange)
	OnWait     func(d time.Duration)
}

// NewREST is a client of an app's REST API with its REST API key (apikey header).
func NewREST(base, apiKey string, hc *http.Client) *Client {
	return &Client{BaseURL: strings.TrimRight(base, "/"), Header: http.Header{"Apikey": {apiKey}}, HTTP: hc}
}

// NewMgmt is a client of the Management API with the account's key and secret.
func NewMgmt(base, key, secret string, hc *http.Client) *Client {
	return &Client{API: Management, BaseURL: strings.TrimRight(base, "/"), Header: http.Header{"Key": {key}, "Secret": {secret}}, HTTP: hc}
}

// Request is one call.
type Request struct {
	Method     string
	Path       string // after the base URL, e.g. /messages
	OnBehalfOf string // the acting user (header onBehalfOf), or ""
	Header     http.Header
	Body       any // encoded as JSON when not nil
}

// Answer is a successful call's answer.
type Answer struct {
	Status int
	Data   json.RawMessage // the answer's "data", or the whole answer when it has none
	Raw    []byte
}

// APIError is CometChat refusing a call: its status and error code, in words.
type APIError struct {
	Status  int
	Code    string // e.g. ERR_UID_NOT_FOUND; "" when the answer had none
	Message string // CometChat's own sentence, credentials masked
	Path    string
	API     API
}

func (e *APIError) Error() string {
	what := fmt.Sprintf("CometChat answered %d", e.Status)
	if e.Code != "" {
		what += " " + e.Code
	}
	if e.Message != "" {
		what += ": " + e.Message
	}
	return what
}

// Hint says what to do about the refusal: by CometChat's code first, then by the status.
func (e *APIError) Hint() string {
	switch e.Code {
	case "AUTH_ERR_NO_ACCESS":
		return "the API key was refused: it needs full access (dashboard → API & Auth Keys → REST API Key), not an Auth Key"
	case "ERR_UID_NOT_FOUND":
		return "no such user in this app: pass --from/--to with users that exist (new apps have cometchat-uid-1 … cometchat-uid-5)"
	case "ERR_GUID_NOT_FOUND":
		return "no such group in this app: pass --group with one that exists"
	case "ERR_NOT_A_MEMBER":
		return "the user is not a member of the group: pass --from with a member, or another --group"
	case "ERR_BLOCKED_RECEIVER":
		return "the receiver has blocked the sender: pass other users with --from/--to"
	case "ERR_GUID_ALREADY_EXISTS":
		return "a group with that GUID exists: pass another --group"
	case "ERR_WEBHOOK_NOT_FOUND":
		return "no such webhook among these webhooks: comethook webhooks lists them (--legacy for the legacy ones)"
	case "ERR_TOO_MANY_REQUESTS":
		return "CometChat's rate limit: wait a minute and try again"
	}
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || strings.HasPrefix(e.Code, "AUTH_ERR"):
		if e.API == Management {
			return "the Management API key and secret were refused: they come from your CometChat account, with plans that include the Management APIs"
		}
		return "the API key was refused: use the REST API Key of this app, with full access (dashboard → API & Auth Keys)"
	case e.Status == http.StatusTooManyRequests:
		return "CometChat's rate limit: wait a minute and try again"
	case e.Status == http.StatusNotFound && e.API == Management:
		return "check the app ID (--app-id): the Management API knows no such app or webhook"
	case e.Status == http.StatusNotFound:
		return "check the app ID and region (--app-id, --region)"
	}
	return ""
}

// API says which of CometChat's APIs a client calls.
type API int

const (
	REST API = iota
	Management
)

// errorBody is CometChat's error answer, {"error": {"code", "message", "devMessage", …}}: the
// codes are CometChat's (https://www.cometchat.com/docs/articles/error-guide); the shape is
// [INF], from CometChat's Business Messaging API reference, which documents it, and SDKs that
// parse it: the Chat REST pages show none.
type errorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		DevMessage string `json:"devMessage"`
	} `json:"error"`
}

// maxAnswer bounds what is read of an answer.
const maxAnswer = 4 << 20

// Do makes one call. A 429 is retried once, after the wait CometChat asks for (Retry-After,
// or X-Rate-Limit-Reset), at most a minute; a second 429 is an *APIError.
func (c *Client) Do(ctx context.Context, r Request) (*Answer, error) {
	for attempt := 0; ; attempt++ {
		ans, retryIn, err := c.do(ctx, r)
		if retryIn == 0 || attempt > 0 {
			return ans, err
		}
		if c.OnWait != nil {
			c.OnWait(retryIn)
		}
		if err := c.sleep(ctx, retryIn); err != nil {
			return nil, err
		}
	}
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) do(ctx context.Context, r Request) (*Answer, time.Duration, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = json.Marshal(r.Body); err != nil {
			return nil, 0, err
		}
	}
	url := c.BaseURL + r.Path
	req, err := http.NewRequestWithContext(ctx, r.Method, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.OnBehalfOf != "" {
		req.Header.Set("onBehalfOf", r.OnBehalfOf)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	ex := Exchange{Method: r.Method, URL: url, Header: MaskHeader(req.Header), Body: c.redact(MaskJSON(body)), Duration: time.Since(start)}
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap() // the *url.Error repeats the URL: the sentence is the caller's
		}
		err = errors.New(string(c.redact([]byte(err.Error()))))
		ex.Err = err
		c.report(ex)
		return nil, 0, &NetError{Err: err, Host: req.URL.Host}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	ex.Status, ex.Answer, ex.Duration = resp.StatusCode, c.redact(MaskJSON(raw)), time.Since(start)
	c.report(ex)
	if err != nil {
		return nil, 0, &NetError{Err: err, Host: req.URL.Host}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := &APIError{Status: resp.StatusCode, Path: r.Path, API: c.API}
		var eb errorBody
		if json.Unmarshal(raw, &eb) == nil {
			ae.Code, ae.Message = eb.Error.Code, string(c.redact([]byte(eb.Error.Message)))
		}
		if ae.Message == "" && ae.Code == "" {
			ae.Message = strings.TrimSpace(http.StatusText(resp.StatusCode))
		}
		var wait time.Duration
		if resp.StatusCode == http.StatusTooManyRequests {
			wait = retryAfter(resp.Header, time.Now())
		}
		return nil, wait, ae
	}
	ans := &Answer{Status: resp.StatusCode, Raw: raw, Data: raw}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &env) == nil && len(env.Data) > 0 {
		ans.Data = env.Data
	}
	return ans, 0, nil
}

func (c *Client) report(ex Exchange) {
	if c.OnExchange != nil {
		c.OnExchange(ex)
	}
}

// retryAfter is how long a 429 asks to wait: Retry-After (seconds), else X-Rate-Limit-Reset
// (a Unix time), else 10 s; never more than a minute
// (https://www.cometchat.com/docs/articles/rate-limits).
func retryAfter(h http.Header, now time.Time) time.Duration {
	d := 10 * time.Second
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	} else if t, err := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64); err == nil {
		d = time.Unix(t, 0).Sub(now)
	}
	return min(max(d, time.Second), time.Minute)
}

// NetError is a call that got no answer.
type NetError struct {
	Err  error
	Host string
}

func (e *NetError) Error() string {
	return fmt.Sprintf("could not reach CometChat at %s: %v", e.Host, e.Err)
}

func (e *NetError) Unwrap() error { return e.Err }

// partlyMasked is a credential as CometChat quotes it back in an error ("The key
// 11111****11111 does not exist"): its ends are still the key's.
var partlyMasked = regexp.MustCompile(`[A-Za-z0-9]{2,}\*{3,}[A-Za-z0-9]{2,}`)

// redact replaces the client's credentials, whole or as CometChat quotes them, by ****.
func (c *Client) redact(b []byte) []byte {
	if b == nil {
		return nil
	}
	for _, k := range secretHeaders {
		for _, v := range c.Header[k] {
			if len(v) >= 4 {
				b = bytes.ReplaceAll(b, []byte(v), []byte("****"))
			}
		}
	}
	return partlyMasked.ReplaceAll(b, []byte("****"))
}

// secretField is a JSON string field that holds a secret: a webhook's Basic Auth password
// (create-webhook's body, and the answers, which give it back).
var secretField = regexp.MustCompile(`("(?:password|secret|apikey)"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// MaskJSON copies b with the values of secret fields replaced by "****".
func MaskJSON(b []byte) []byte {
	if b == nil {
		return nil
	}
	return secretField.ReplaceAll(b, []byte(`$1"****"`))
}

// secretHeaders are the credentials' headers: shown as "****".
var secretHeaders = []string{"Apikey", "Key", "Secret", "Authorization"}

// MaskHeader copies h with the credentials replaced by ****.
func MaskHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range secretHeaders {
		if _, ok := out[k]; ok {
			out[k] = []string{"****"}
		}
	}
	return out
}
