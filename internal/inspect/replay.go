package inspect

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// Replayer sends a delivery again as CometChat would (Options.Replay): to listen itself,
// which records it like any delivery, or straight to the app.
type Replayer struct {
	Client   *http.Client
	LocalURL string // this listen
	// AppURL is the app's URL for a delivery's path and query; nil when listen answers for
	// the app.
	AppURL     func(path, query string) string
	AppTimeout time.Duration // the app's budget (--forward-timeout); 0 waits 30 s
	BasicAuth  string        // sent as CometChat sends it
	Rules      simulate.Rules
	UserAgent  string
}

// Replay resends rec's raw body, or body when it is not nil, to target.
func (r Replayer) Replay(ctx context.Context, rec record.Record, target string, body []byte) (ReplayResult, error) {
	if body == nil {
		body = rec.RawBody()
	}
	url := r.LocalURL + rec.Path
	if rec.Query != "" {
		url += "?" + rec.Query
	}
	timeout := 30 * time.Second
	if target == TargetForward {
		if r.AppURL == nil {
			return ReplayResult{}, errors.New("listen is not forwarding: there is no app to replay to")
		}
		url = r.AppURL(rec.Path, rec.Query)
		if r.AppTimeout > 0 {
			timeout = r.AppTimeout
		}
	}
	resp := simulate.Deliver(ctx, r.Client, simulate.Request{URL: url, Body: body, BasicAuth: r.BasicAuth, Timeout: timeout, UserAgent: r.UserAgent})
	ev, err := webhook.Parse(body)
	if err != nil {
		ev = &webhook.Event{}
	}
	v := simulate.Apply(ev, resp, r.Rules)
	res := ReplayResult{Status: resp.Status, Outcome: string(v.Outcome), DurationMs: simulate.DurationMs(resp.Duration), Error: v.Reason}
	if resp.Err != nil {
		res.Error = simulate.Explain(resp.Err, url, timeout) // names the host only: no password
	}
	return res, nil
}
