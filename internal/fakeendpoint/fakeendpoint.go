// Package fakeendpoint is a scriptable webhook endpoint for comethook's own tests and
// benchmarks: it answers every POST with a fixed status, body and delay, and records
// what it received.
package fakeendpoint

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Config is how the endpoint answers.
type Config struct {
	Status  int
	Body    string
	Delay   time.Duration
	Headers map[string]string
	Log     io.Writer // one JSON line per request: method, path, query, headers, body
}

// Request is one recorded request.
type Request struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query,omitempty"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// Handler answers every request as configured.
func Handler(c Config) http.Handler {
	var mu sync.Mutex
	enc := json.NewEncoder(io.Discard)
	if c.Log != nil {
		enc = json.NewEncoder(c.Log)
		enc.SetEscapeHTML(false)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if c.Log != nil {
			h := map[string]string{}
			for k, v := range r.Header {
				h[k] = v[0]
			}
			mu.Lock()
			_ = enc.Encode(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: h, Body: string(body)})
			mu.Unlock()
		}
		if c.Delay > 0 {
			select {
			case <-time.After(c.Delay):
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range c.Headers {
			w.Header().Set(k, v)
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(c.Status)
		io.WriteString(w, c.Body)
	})
}

// RunMain runs the endpoint from command-line flags until SIGINT or SIGTERM, writing its
// base URL to -url-file once it listens. It returns the exit code.
func RunMain(args []string) int {
	fs := flag.NewFlagSet("fakeendpoint", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	status := fs.Int("status", 200, "status to answer")
	body := fs.String("body", "{}", "body to answer")
	delay := fs.Duration("delay", 0, "wait before answering")
	urlFile := fs.String("url-file", "", "write the base URL here once listening")
	logFile := fs.String("log", "", "append one JSON line per request here")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c := Config{Status: *status, Body: *body, Delay: *delay}
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer f.Close()
		c.Log = f
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile+".tmp", []byte("http://"+ln.Addr().String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.Rename(*urlFile+".tmp", *urlFile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	srv := &http.Server{Handler: Handler(c), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
