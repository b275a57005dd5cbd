// Package inspect is the local web inspector of `comethook listen`: a single page, embedded
// in the binary, that lists deliveries live, shows one whole (headers, payload, answer, the
// before_message verdict), replays it and downloads it as a fixture.
//
// The page is served on loopback only and talks to a small JSON API under /api. The handler
// refuses requests whose Host is not its own loopback address (DNS rebinding) and
// state-changing requests from another origin (cross-site replay). Payload text reaches the
// page as data and is inserted as text, never as markup.
package inspect

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/webhook"
)

// Replay targets.
const (
	TargetListener = "listener" // comethook's own receiver: the replay becomes a new delivery
	TargetForward  = "forward"  // the app behind --forward-to
)

// DefaultKeep is how many deliveries the inspector keeps when Options.Keep is 0.
const DefaultKeep = 10000

// MaxReplayBody bounds an edited payload sent to the replay endpoint.
const MaxReplayBody = 1 << 20

// Options configure a Server.
type Options struct {
	// Replay resends delivery rec's raw body (or body when it is non-nil: the "replay with
	// changes" editor) to target, TargetListener or TargetForward. The error is for replays
	// that could not be attempted; an endpoint that failed is a ReplayResult. Nil hides the
	// replay buttons.
	Replay func(ctx context.Context, rec record.Record, target string, body []byte) (ReplayResult, error)
	// ForwardTo is the app's URL, shown on the page; "" hides "Replay to your app".
	ForwardTo string
	// Keep is how many deliveries the list holds (DefaultKeep when 0); older ones drop off.
	Keep int
	// KeepFull is how many whole records stay in memory (DefaultKeepFull when 0): the
	// list holds a small row for each delivery, and a detail view of an older one asks
	// Lookup (the capture file). This keeps listen's memory flat however long it runs.
	KeepFull int
	// Lookup finds a delivery no longer held in memory; nil when there is nowhere to look.
	Lookup func(seq int64) (record.Record, bool)
}

// DefaultKeepFull is how many whole records the inspector holds by default.
const DefaultKeepFull = 500

// ReplayResult is what the page shows after a replay.
type ReplayResult struct {
	Status     int     `json:"status"`
	Outcome    string  `json:"outcome"`
	DurationMs float64 `json:"durationMs"`
	Error      string  `json:"error,omitempty"`
}

// Server holds the deliveries and serves the inspector. Its methods are safe for concurrent use.
type Server struct {
	o     Options
	store store

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	done   chan struct{} // closed by Close: ends the event streams
	closed bool
}

// subscriber is one open event stream. Add never waits for it: when its buffer is full the
// record is not queued and the stream tells the page to reload instead.
type subscriber struct {
	ch     chan row
	lagged atomic.Bool
}

// subscriberBuffer is how many deliveries a slow page may fall behind before it reloads.
const subscriberBuffer = 1024

// New returns a Server with no deliveries.
func New(o Options) *Server {
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.KeepFull <= 0 {
		o.KeepFull = DefaultKeepFull
	}
	o.KeepFull = min(o.KeepFull, o.Keep) // no whole record for a delivery off the list
	return &Server{
		o:     o,
		store: store{keep: o.Keep, keepFull: o.KeepFull, full: map[int64]record.Record{}, triggers: map[string]int{}},
		subs:  map[*subscriber]struct{}{},
		done:  make(chan struct{}),
	}
}

// Add records a delivery and passes it to the open pages; sum is its summary when the
// caller has it already (nil: worked out here from the payload). It never blocks on a browser.
func (s *Server) Add(r record.Record, sum *webhook.Summary) {
	if sum == nil {
		if e := event(&r); e != nil {
			v := webhook.Summarize(e)
			sum = &v
		}
	}
	w := rowOf(&r, sum)
	s.store.add(r, w)
	s.mu.Lock()
	for sub := range s.subs {
		select {
		case sub.ch <- w:
		default:
			sub.lagged.Store(true)
		}
	}
	s.mu.Unlock()
}

// Close ends the open event streams, so that http.Server.Shutdown does not wait for the
// pages to go away (register it with RegisterOnShutdown). Later streams end at once.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

func (s *Server) subscribe() *subscriber {
	sub := &subscriber{ch: make(chan row, subscriberBuffer)}
	s.mu.Lock()
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	return sub
}

func (s *Server) unsubscribe(sub *subscriber) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
}

// Handler serves the page and its API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", serveAsset("index.html"))
	mux.Handle("GET /app.js", serveAsset("app.js"))
	mux.Handle("GET /app.css", serveAsset("app.css"))
	mux.Handle("GET /icon.svg", serveAsset("icon.svg"))
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("GET /api/deliveries", s.list)
	mux.HandleFunc("GET /api/deliveries/{seq}", s.detail)
	mux.HandleFunc("GET /api/deliveries/{seq}/fixture", s.fixture)
	mux.HandleFunc("POST /api/deliveries/{seq}/replay", s.replay)
	mux.HandleFunc("GET /api/stream", s.stream)
	return guard(mux)
}
