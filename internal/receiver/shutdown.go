package receiver

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Shutdown stops the servers that serve h (and any others given, the inspector's) in order:
// every one stops accepting at once; deliveries in flight get up to grace to finish; what is
// still waiting for the app (or --delay) is answered 503 (CometChat retries it), recorded
// like any delivery; after a second more, what still lingers is cut.
func Shutdown(h *Handler, grace time.Duration, servers ...*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() { _ = s.Shutdown(ctx) })
	}
	wg.Wait()
	h.Abort()
	abortCtx, cancelAbort := context.WithTimeout(context.Background(), time.Second)
	defer cancelAbort()
	_ = h.Wait(abortCtx)
	for _, s := range servers {
		_ = s.Close()
	}
}
