package simulate

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rawServer answers each request on a connection with the given raw responses in turn.
func rawServer(t *testing.T, answers ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		i := 0
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(conn)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					break
				}
				io.Copy(io.Discard, req.Body)
				if i >= len(answers) {
					conn.Close()
					break
				}
				a := answers[i]
				i++
				io.WriteString(conn, a)
				if strings.Contains(a, "Connection: close") || strings.HasPrefix(a, "HTTP/1.0") {
					conn.Close()
					break
				}
			}
		}
	}()
	return "http://" + ln.Addr().String() + "/hook"
}

func TestRawClientFraming(t *testing.T) {
	tests := []struct {
		name, answer, wantBody string
		wantStatus             int
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"score\":0.1}", `{"score":0.1}`, 200},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3\r\n12}\r\n0\r\n\r\n", `{"a":12}`, 200},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\n", "", 204},
		{"close-delimited HTTP/1.0", "HTTP/1.0 500 Internal Server Error\r\n\r\nboom", "boom", 500},
		{"informational first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", "{}", 200},
		{"header case", "HTTP/1.1 201 Created\r\ncontent-LENGTH: 2\r\nconnection: Close\r\n\r\n{}", "{}", 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Two requests in a row: the second proves the connection state is right
			// (reused, or redialled after a close).
			url := rawServer(t, tt.answer, tt.answer, tt.answer)
			c, ok := newRawClient(Request{URL: url}, false)
			if !ok {
				t.Fatal("rawClient refused a plain http URL")
			}
			defer c.close()
			for i := 0; i < 2; i++ {
				r := c.do(context.Background(), []byte(`{}`), time.Second)
				if r.Err != nil {
					t.Fatalf("request %d: %v", i, r.Err)
				}
				if r.Status != tt.wantStatus || string(r.Body) != tt.wantBody {
					t.Errorf("request %d: got %d %q, want %d %q", i, r.Status, r.Body, tt.wantStatus, tt.wantBody)
				}
			}
		})
	}
}

func TestRawClientSendsWhatCometChatSends(t *testing.T) {
	got := make(chan *http.Request, 1)
	bodies := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- string(b)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, _ := newRawClient(Request{URL: srv.URL + "/a?b=1", BasicAuth: "u:p", Header: http.Header{"X-Extra": {"1"}}}, false)
	defer c.close()
	if r := c.do(context.Background(), []byte(`{"trigger":"x"}`), time.Second); r.Err != nil || r.Status != 200 {
		t.Fatalf("got %+v", r)
	}
	r := <-got
	if r.Method != "POST" || r.URL.RequestURI() != "/a?b=1" || r.Header.Get("Content-Type") != "Application/json" ||
		r.Header.Get("Authorization") != "Basic dTpw" || r.Header.Get("X-Extra") != "1" ||
		r.Header.Get("User-Agent") != "comethook" || r.Header.Get("Accept-Encoding") != "" {
		t.Errorf("request: %s %s %v", r.Method, r.URL, r.Header)
	}
	if b := <-bodies; b != `{"trigger":"x"}` {
		t.Errorf("body %q", b)
	}
}

func TestRawClientFailures(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		c, _ := newRawClient(Request{URL: "http://127.0.0.1:1/"}, false)
		r := c.do(context.Background(), nil, time.Second)
		if r.Err == nil || !strings.Contains(Explain(r.Err, "http://127.0.0.1:1/", time.Second), "connection refused") {
			t.Errorf("got %v", r.Err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		c, _ := newRawClient(Request{URL: silentServer(t)}, false)
		defer c.close()
		r := c.do(context.Background(), nil, 100*time.Millisecond)
		if !r.TimedOut {
			t.Errorf("want a timeout, got %+v", r)
		}
	})
	t.Run("abort", func(t *testing.T) {
		c, _ := newRawClient(Request{URL: silentServer(t)}, false)
		defer c.close()
		ctx, cancel := context.WithCancel(context.Background())
		stop := context.AfterFunc(ctx, c.abort)
		defer stop()
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		done := make(chan Response)
		go func() { done <- c.do(ctx, nil, 0) }()
		select {
		case r := <-done:
			if r.Err == nil || r.TimedOut {
				t.Errorf("want a cancellation, not a timeout, after abort: %+v", r)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("abort did not end the request in flight")
		}
	})
	t.Run("garbage", func(t *testing.T) {
		url := rawServer(t, "SMTP ready\r\n\r\n")
		c, _ := newRawClient(Request{URL: url}, false)
		defer c.close()
		if r := c.do(context.Background(), nil, time.Second); r.Err == nil || !strings.Contains(r.Err.Error(), "malformed HTTP status line") {
			t.Errorf("got %v", r.Err)
		}
	})
}

func TestRawClientTruncatesLongAnswers(t *testing.T) {
	big := strings.Repeat("x", MaxAnswer+10)
	url := rawServer(t, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(big), big))
	c, _ := newRawClient(Request{URL: url}, false)
	defer c.close()
	r := c.do(context.Background(), nil, 5*time.Second)
	if r.Err != nil || !r.Truncated || len(r.Body) != MaxAnswer {
		t.Errorf("err=%v truncated=%v len=%d", r.Err, r.Truncated, len(r.Body))
	}
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; conn.Close() }()
		}
	}()
	return "http://" + ln.Addr().String()
}
