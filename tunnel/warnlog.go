package tunnel

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// WarnLogger is a logger for Options.Logger that passes ngrok's warnings, and only those,
// to warn as one line each: "ngrok: " and the message with its attributes. ngrok's errors
// reach the user as Error's sentences instead, and its chatter not at all. The text is
// the server's: warn must clean it before it reaches a terminal.
func WarnLogger(warn func(string)) *slog.Logger { return slog.New(warnHandler{warn: warn}) }

type warnHandler struct {
	warn  func(string)
	attrs []slog.Attr
}

func (h warnHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && l < slog.LevelError
}

func (h warnHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("ngrok: ")
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		if v := a.Value.String(); a.Key != "" && v != "" {
			fmt.Fprintf(&b, " (%s: %s)", a.Key, v)
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.warn(b.String())
	return nil
}

func (h warnHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnHandler{warn: h.warn, attrs: append(slices.Clip(h.attrs), attrs...)}
}

func (h warnHandler) WithGroup(string) slog.Handler { return h }
