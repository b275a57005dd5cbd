package simulate

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/comethook/comethook/fixtures"
	"github.com/comethook/comethook/internal/webhook"
)

func template(t *testing.T, sys fixtures.System, trigger string) *Template {
	t.Helper()
	_, p := loadFixture(t, sys, trigger)
	tpl, _, err := Prepare(p, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestDeliverMany(t *testing.T) {
	var n atomic.Int64
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if n.Add(1)%5 == 0 {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()

	var clock atomic.Int64
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var progress atomic.Int64
	var lastDone atomic.Int64
	s := DeliverMany(context.Background(), NewClient(false, 4), Load{
		Count:       50,
		Concurrency: 4,
		Template:    template(t, fixtures.V2, "message_sent"),
		Request:     Request{URL: srv.URL, Body: []byte("ignored"), Timeout: 5 * time.Second},
		Rules:       DefaultRules(),
		Now:         func() time.Time { return base.Add(time.Duration(clock.Add(1)) * time.Second) },
		Progress: func(done, failed int64) {
			progress.Add(1)
			for {
				old := lastDone.Load()
				if done <= old || lastDone.CompareAndSwap(old, done) {
					break
				}
			}
		},
	})
	if s.Count != 50 || s.OK != 40 || s.Failed != 10 {
		t.Errorf("count %d ok %d failed %d, want 50 40 10", s.Count, s.OK, s.Failed)
	}
	if s.Outcomes[Delivered] != 40 || s.Outcomes[Failed] != 10 || len(s.Outcomes) != 2 {
		t.Errorf("outcomes %v, want delivered 40, failed 10", s.Outcomes)
	}
	if s.FirstError != "HTTP 500 Internal Server Error" {
		t.Errorf("FirstError = %q", s.FirstError)
	}
	if !(s.P50 > 0 && s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.Max) {
		t.Errorf("percentiles out of order: p50 %v p90 %v p99 %v max %v", s.P50, s.P90, s.P99, s.Max)
	}
	if s.Duration <= 0 || s.RPS() <= 0 {
		t.Errorf("duration %v rps %v", s.Duration, s.RPS())
	}
	if progress.Load() != 50 || lastDone.Load() != 50 {
		t.Errorf("progress called %d times, last done %d; want 50, 50", progress.Load(), lastDone.Load())
	}
	if len(bodies) != 50 {
		t.Fatalf("server saw %d requests", len(bodies))
	}
	stamps := map[string]bool{}
	for _, b := range bodies {
		m := decode(t, []byte(b))
		if webhook.Str(m, "trigger") != "message_sent" {
			t.Fatalf("request body %q is not the template", b)
		}
		stamps[webhook.Str(m, "data.message.sentAt")] = true
	}
	if len(stamps) != 50 {
		t.Errorf("%d distinct sentAt values over 50 requests at different seconds, want fresh timestamps each time", len(stamps))
	}
}

func TestDeliverManyBeforeMessageOutcomes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(DropAnswer)
	}))
	defer srv.Close()
	s := DeliverMany(context.Background(), NewClient(false, 3), Load{
		Count: 9, Concurrency: 3, Template: template(t, fixtures.Legacy, "before_message"),
		Request: Request{URL: srv.URL, Timeout: 5 * time.Second}, Rules: DefaultRules(),
	})
	if s.Count != 9 || s.OK != 9 || s.Outcomes[Dropped] != 9 || s.FirstError != "" {
		t.Errorf("summary %+v, want 9 dropped and none failed", s)
	}
}

func TestDeliverManyRefused(t *testing.T) {
	u := refusedURL(t)
	s := DeliverMany(context.Background(), NewClient(false, 2), Load{
		Count: 4, Concurrency: 8, Template: template(t, fixtures.V2, "message_sent"),
		Request: Request{URL: u, Timeout: 5 * time.Second}, Rules: DefaultRules(),
	})
	if s.Count != 4 || s.Failed != 4 || s.OK != 0 || s.Outcomes[Failed] != 4 {
		t.Errorf("summary %+v, want 4 failed", s)
	}
	if want := "connection refused: is your app running on "; len(s.FirstError) < len(want) || s.FirstError[:len(want)] != want {
		t.Errorf("FirstError = %q, want the explained connection error", s.FirstError)
	}
}

func TestDeliverManyEdges(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	tpl := template(t, fixtures.V2, "message_sent")
	s := DeliverMany(context.Background(), NewClient(false, 1), Load{Count: 0, Concurrency: 4, Template: tpl, Request: Request{URL: srv.URL}})
	if s.Count != 0 || s.Max != 0 || s.P50 != 0 {
		t.Errorf("empty burst: %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s = DeliverMany(ctx, NewClient(false, 1), Load{Count: 1000, Concurrency: 4, Template: tpl, Request: Request{URL: srv.URL}})
	if s.Count != s.OK+s.Failed || s.Count == 1000 {
		t.Errorf("cancelled burst: %+v", s)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		in            []time.Duration
		p50, p90, p99 time.Duration
	}{
		{nil, 0, 0, 0},
		{ms(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{ms(1, 2, 3), 2 * time.Millisecond, 3 * time.Millisecond, 3 * time.Millisecond},
		{ms(hundred...), 50 * time.Millisecond, 90 * time.Millisecond, 99 * time.Millisecond},
		{ms(1, 1, 1, 1, 1, 1, 1, 1, 1, 1000), time.Millisecond, time.Millisecond, time.Second},
	}
	for i, tt := range tests {
		if !slices.IsSorted(tt.in) {
			t.Fatal("test input must be sorted")
		}
		p50, p90, p99 := percentile(tt.in, 50), percentile(tt.in, 90), percentile(tt.in, 99)
		if p50 != tt.p50 || p90 != tt.p90 || p99 != tt.p99 {
			t.Errorf("#%d: p50 %v p90 %v p99 %v, want %v %v %v", i, p50, p90, p99, tt.p50, tt.p90, tt.p99)
		}
	}
}

func TestLoadSummaryRPS(t *testing.T) {
	if got := (LoadSummary{Count: 10, Duration: 2 * time.Second}).RPS(); got != 5 {
		t.Errorf("RPS = %v, want 5", got)
	}
	if got := (LoadSummary{Count: 10}).RPS(); got != 0 {
		t.Errorf("RPS without duration = %v, want 0", got)
	}
}

func TestDeliverRetrying(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int // answers in order; the last repeats
		attempts int
		final    int
		sleeps   []time.Duration
	}{
		{"always 500: three attempts", []int{500}, 3, 500, []time.Duration{10 * time.Second, 30 * time.Second}},
		{"2xx at once", []int{200}, 1, 200, nil},
		{"second attempt succeeds", []int{500, 204}, 2, 204, []time.Duration{10 * time.Second}},
		{"third attempt succeeds", []int{503, 404, 200}, 3, 200, []time.Duration{10 * time.Second, 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(hits.Add(1)) - 1
				w.WriteHeader(tt.statuses[min(i, len(tt.statuses)-1)])
			}))
			defer srv.Close()
			var slept []time.Duration
			sleep := func(ctx context.Context, d time.Duration) error {
				slept = append(slept, d)
				return nil
			}
			var attempts []Attempt
			start := time.Now()
			resp := DeliverRetrying(context.Background(), NewClient(false, 1),
				Request{URL: srv.URL, Body: []byte("{}"), Timeout: 5 * time.Second},
				[]time.Duration{10 * time.Second, 30 * time.Second}, sleep,
				func(a Attempt) { attempts = append(attempts, a) })
			if time.Since(start) > 5*time.Second {
				t.Errorf("retries really slept")
			}
			if resp.Status != tt.final || len(attempts) != tt.attempts || int(hits.Load()) != tt.attempts {
				t.Fatalf("final %d after %d attempts (%d requests), want %d after %d", resp.Status, len(attempts), hits.Load(), tt.final, tt.attempts)
			}
			if !slices.Equal(slept, tt.sleeps) {
				t.Errorf("slept %v, want %v", slept, tt.sleeps)
			}
			waits := []time.Duration{0, 10 * time.Second, 30 * time.Second}
			for i, a := range attempts {
				if a.N != i+1 || a.Wait != waits[i] {
					t.Errorf("attempt %d: N %d wait %v, want N %d wait %v", i, a.N, a.Wait, i+1, waits[i])
				}
			}
			if last := attempts[len(attempts)-1].Response; last.Status != resp.Status {
				t.Errorf("last reported attempt %d, returned %d", last.Status, resp.Status)
			}
		})
	}
}

func TestDeliverRetryingNetworkErrorsAndCancel(t *testing.T) {
	u := refusedURL(t)
	var attempts []Attempt
	resp := DeliverRetrying(context.Background(), NewClient(false, 1), Request{URL: u, Timeout: time.Second},
		[]time.Duration{10 * time.Second, 30 * time.Second},
		func(context.Context, time.Duration) error { return nil },
		func(a Attempt) { attempts = append(attempts, a) })
	if len(attempts) != 3 || resp.Err == nil {
		t.Errorf("%d attempts, err %v; want 3 attempts on a connection error", len(attempts), resp.Err)
	}

	// A sleep interrupted by Ctrl-C stops the retries with the last answer.
	attempts = nil
	stop := errors.New("interrupted")
	resp = DeliverRetrying(context.Background(), NewClient(false, 1), Request{URL: u, Timeout: time.Second},
		[]time.Duration{10 * time.Second, 30 * time.Second},
		func(context.Context, time.Duration) error { return stop },
		func(a Attempt) { attempts = append(attempts, a) })
	if len(attempts) != 1 || resp.Err == nil {
		t.Errorf("%d attempts, err %v; want 1 attempt and its error", len(attempts), resp.Err)
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("Sleep did not return at once when cancelled")
	}
}

func TestDeliverManyPaced(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	tmpl, _, err := Prepare(map[string]any{"trigger": "message_sent"}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s := DeliverMany(context.Background(), NewClient(false, 4), Load{Count: 10, Concurrency: 4, Template: tmpl,
		Request: Request{URL: srv.URL, Timeout: time.Second}, Rate: 100})
	// 10 deliveries at 100/s take at least 9 intervals of 10 ms: pacing, not a timing target.
	if el := time.Since(start); el < 85*time.Millisecond {
		t.Errorf("10 deliveries at --rate 100 took %s: not paced", el)
	}
	if s.OK != 10 || n.Load() != 10 {
		t.Errorf("ok=%d served=%d", s.OK, n.Load())
	}
}
