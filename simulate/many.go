package simulate

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/comethook/comethook/internal/webhook"
)

// Load describes a burst of identical deliveries (send --count).
type Load struct {
	Count       int
	Concurrency int
	Template    *Template // rendered with fresh timestamps for every request
	Request     Request   // URL, auth, headers and timeout; Body is ignored
	Insecure    bool      // accept self-signed certificates
	Rules       Rules
	Now         func() time.Time
	// Rate, when positive, paces the deliveries at this many per second in total (an open
	// load, as CometChat's traffic is), instead of as fast as the workers go.
	Rate float64
	// Progress, when set, is called from the workers after each delivery.
	Progress func(done, failed int64)
}

// LoadSummary aggregates a burst.
type LoadSummary struct {
	Count, OK, Failed int
	Duration          time.Duration
	P50, P90, P99     time.Duration
	Max               time.Duration
	Outcomes          map[Outcome]int
	FirstError        string // the first failure, explained
}

// RPS is deliveries per second over the whole burst.
func (s LoadSummary) RPS() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Count) / s.Duration.Seconds()
}

// DeliverMany sends l.Count deliveries from l.Concurrency workers and summarises them.
// Each worker keeps one connection of its own (see rawClient); c serves the URLs that
// need the full HTTP client.
func DeliverMany(ctx context.Context, c *http.Client, l Load) LoadSummary {
	now := l.Now
	if now == nil {
		now = time.Now
	}
	workers := max(1, min(l.Concurrency, l.Count))
	type result struct {
		d       time.Duration
		outcome Outcome
		err     string
	}
	results := make([]result, l.Count)
	var next, done, failed atomic.Int64
	ev := webhook.FromPayload(l.Template.Payload()) // read once: Body rewrites the payload's timestamps
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the pacer
	tick := pace(ctx, l.Rate)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deliver := func(req Request) Response { return Deliver(ctx, c, req) }
			if rc, ok := newRawClient(l.Request, l.Insecure); ok {
				defer rc.close()
				stop := context.AfterFunc(ctx, rc.abort)
				defer stop()
				deliver = func(req Request) Response { return rc.do(ctx, req.Body, req.Timeout) }
			}
			for {
				i := next.Add(1) - 1
				if i >= int64(l.Count) || ctx.Err() != nil {
					return
				}
				if tick != nil {
					select {
					case <-tick:
					case <-ctx.Done():
						return
					}
				}
				req := l.Request
				body, err := l.Template.Body(now())
				if err != nil {
					results[i] = result{outcome: Failed, err: err.Error()}
					failed.Add(1)
					done.Add(1)
					continue
				}
				req.Body = body
				resp := deliver(req)
				v := Apply(ev, resp, l.Rules)
				r := result{d: resp.Duration, outcome: v.Outcome}
				if v.Outcome == Failed {
					failed.Add(1)
					r.err = v.Reason
					if resp.Err != nil {
						r.err = Explain(resp.Err, req.URL, req.Timeout)
					}
				}
				results[i] = r
				n := done.Add(1)
				if l.Progress != nil {
					l.Progress(n, failed.Load())
				}
			}
		}()
	}
	wg.Wait()
	s := LoadSummary{Duration: time.Since(start), Outcomes: map[Outcome]int{}}
	lat := make([]time.Duration, 0, l.Count)
	for _, r := range results[:done.Load()] {
		s.Count++
		s.Outcomes[r.outcome]++
		if r.outcome == Failed {
			s.Failed++
			if s.FirstError == "" {
				s.FirstError = r.err
			}
		} else {
			s.OK++
		}
		lat = append(lat, r.d)
	}
	slices.Sort(lat)
	s.P50, s.P90, s.P99 = percentile(lat, 50), percentile(lat, 90), percentile(lat, 99)
	if len(lat) > 0 {
		s.Max = lat[len(lat)-1]
	}
	return s
}

// pace returns a channel that lets one delivery go every 1/rate seconds, or nil for no
// pacing. Missed ticks are not saved up: the load stays at the rate, never bursts.
func pace(ctx context.Context, rate float64) <-chan struct{} {
	if rate <= 0 {
		return nil
	}
	ch := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		for {
			select {
			case <-t.C:
				select {
				case ch <- struct{}{}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// percentile uses the nearest-rank method on sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(0, rank-1)]
}

// Attempt is one try of a delivery with retries.
type Attempt struct {
	N        int // 1-based
	Response Response
	Wait     time.Duration // how long was waited before this attempt
}

// DeliverRetrying delivers like CometChat with retryOnFailure on: after a non-2xx answer or
// a network error it tries again after each of delays (CometChat: 10 s, then 30 s).
// sleep waits or returns the context's error; each attempt is reported as it ends.
func DeliverRetrying(ctx context.Context, c *http.Client, r Request, delays []time.Duration,
	sleep func(context.Context, time.Duration) error, report func(Attempt)) Response {
	var resp Response
	for i := 0; ; i++ {
		var wait time.Duration
		if i > 0 {
			wait = delays[i-1]
			if err := sleep(ctx, wait); err != nil {
				return resp
			}
		}
		resp = Deliver(ctx, c, r)
		report(Attempt{N: i + 1, Response: resp, Wait: wait})
		if resp.OK() || i == len(delays) {
			return resp
		}
	}
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
