package inspect

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/simulate"
)

//go:embed static
var static embed.FS

func serveAsset(name string) http.Handler {
	sub, _ := fs.Sub(static, "static")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, sub, name)
	})
}

const (
	defaultLimit = 100
	maxLimit     = 500
)

// info tells the page what it can offer.
func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"forwardTo": s.o.ForwardTo,
		"replay":    s.o.Replay != nil,
		"keep":      s.o.Keep,
	})
}

// list answers GET /api/deliveries?before=<seq>&limit=<n>&trigger=&outcome=, newest first.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "before must be a delivery number")
			return
		}
		before = n
	}
	limit := defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = min(n, maxLimit)
	}
	items, more, total := s.store.page(before, limit, filter{trigger: q.Get("trigger"), outcome: q.Get("outcome")})
	if items == nil {
		items = []row{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"items":    items,
		"more":     more,
		"total":    total,
		"triggers": s.store.triggerNames(),
	})
}

func (s *Server) record(w http.ResponseWriter, r *http.Request) (rec record.Record, ok bool) {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such delivery")
		return rec, false
	}
	rec, ok = s.store.get(seq)
	if !ok && s.o.Lookup != nil {
		rec, ok = s.o.Lookup(seq)
	}
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no delivery #%d (the inspector keeps the last %d)", seq, s.o.Keep))
	}
	return rec, ok
}

// detail answers GET /api/deliveries/<seq>.
func (s *Server) detail(w http.ResponseWriter, r *http.Request) {
	if rec, ok := s.record(w, r); ok {
		writeJSON(w, http.StatusOK, detailOf(rec))
	}
}

func fixturePath(seq int64) string { return "/api/deliveries/" + itoa(seq) + "/fixture" }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fixture answers GET /api/deliveries/<seq>/fixture: the payload pretty-printed, as a file
// `comethook send` reads as it is.
func (s *Server) fixture(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	b, err := rec.Fixture()
	if err != nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("delivery #%d has no JSON payload to save", rec.Seq))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+rec.FixtureName()+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// replay answers POST /api/deliveries/<seq>/replay?target=listener|forward. An empty body
// resends the delivery as it arrived; a body is the edited payload and must be JSON.
func (s *Server) replay(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	target := r.URL.Query().Get("target")
	switch {
	case s.o.Replay == nil:
		writeError(w, http.StatusNotImplemented, "replay is not available")
		return
	case target != TargetListener && target != TargetForward:
		writeError(w, http.StatusBadRequest, `target must be "listener" or "forward"`)
		return
	case target == TargetForward && s.o.ForwardTo == "":
		writeError(w, http.StatusBadRequest, "there is no app to replay to: listen was started without --forward-to")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReplayBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the edited payload is over %d bytes", MaxReplayBody))
			return
		}
		writeError(w, http.StatusBadRequest, "could not read the edited payload: "+err.Error())
		return
	}
	var edited []byte
	if len(bytes.TrimSpace(body)) > 0 {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			writeError(w, http.StatusBadRequest, "the edited payload is not valid JSON: "+err.Error())
			return
		}
		edited = body
	}
	res, err := s.o.Replay(r.Context(), rec, target, edited)
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// stream answers GET /api/stream with server-sent events: a "delivery" event (a row) per
// delivery added, "reset" when deliveries were missed and the page should reload its list,
// "stopped" when listen stops (the page then says where the deliveries are, and reconnects
// when a listen serves this address again).
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	sub := s.subscribe()
	defer s.unsubscribe(sub)
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, "retry: 2000\n: connected\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	var buf bytes.Buffer
	for {
		buf.Reset()
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			io.WriteString(w, "event: stopped\ndata: {}\n\n")
			rc.Flush()
			return
		case <-ping.C:
			buf.WriteString(": ping\n\n")
		case w := <-sub.ch:
			writeEvent(&buf, w, s.store.len())
			for more := true; more && buf.Len() < 256<<10; { // send what queued up in one write
				select {
				case w := <-sub.ch:
					writeEvent(&buf, w, s.store.len())
				default:
					more = false
				}
			}
		}
		if sub.lagged.Swap(false) {
			buf.WriteString("event: reset\ndata: {}\n\n")
		}
		if _, err := w.Write(buf.Bytes()); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// writeEvent adds a "delivery" event: the row and how many deliveries are kept.
func writeEvent(buf *bytes.Buffer, w row, total int) {
	b, err := simulate.Marshal(struct {
		Total int `json:"total"`
		Row   row `json:"row"`
	}{total, w})
	if err != nil {
		return
	}
	buf.WriteString("event: delivery\ndata: ")
	buf.Write(b) // compact JSON has no newline
	buf.WriteString("\n\n")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := simulate.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"could not encode the answer"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
