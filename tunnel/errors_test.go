package tunnel

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// codedError is shaped like the agent's errors that carry an ngrok code.
type codedError struct{ code, msg string }

func (e codedError) Error() string     { return e.msg + "\n\n" + e.code }
func (e codedError) Msg() string       { return e.msg }
func (e codedError) ErrorCode() string { return e.code }

func TestDescribeCodes(t *testing.T) {
	const secret = "s3cretTOKEN"
	m := mapper{secret: secret, addr: "connect.ngrok-agent.com:443", url: "https://name.ngrok-free.app"}
	tests := []struct {
		code, msg         string
		wantMsg, wantHint string
	}{
		{"ERR_NGROK_4018", "Usage of ngrok requires a verified account and authtoken.", "ngrok refused the authtoken", authtokenPage},
		{"ERR_NGROK_105", "The authtoken you specified does not look like a proper ngrok authtoken.\nYour authtoken: " + secret, "ngrok refused the authtoken", "NGROK_AUTHTOKEN"},
		{"ERR_NGROK_107", "Your authtoken: " + secret, "ngrok refused the authtoken", "NGROK_AUTHTOKEN"},
		{"ERR_NGROK_108", "Your account is limited to 1 simultaneous ngrok agent sessions.", "ngrok refused the session: too many agent sessions for this account", "another ngrok agent is running"},
		{"ERR_NGROK_334", "The endpoint is already online.", "the URL https://name.ngrok-free.app is already online elsewhere", "stop the other ngrok agent"},
		{"ERR_NGROK_9999", "Something new for " + secret + ".\nMore.", "ngrok refused the tunnel: Something new for [REDACTED].", "https://ngrok.com/docs/errors/err_ngrok_9999"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := fmt.Errorf("authentication failed: %w", codedError{tt.code, tt.msg})
			e := m.describe(err)
			if e.Msg != tt.wantMsg || e.Code != tt.code || !strings.Contains(e.Hint, tt.wantHint) {
				t.Errorf("describe = {%q, %q, %q}, want {%q, %q, hint with %q}", e.Msg, e.Code, e.Hint, tt.wantMsg, tt.code, tt.wantHint)
			}
			if strings.Contains(e.Error()+e.Hint+e.Err.Error(), secret) {
				t.Errorf("the authtoken leaks: %q / %q / %q", e.Error(), e.Hint, e.Err)
			}
			if !errors.As(e, new(codedError)) {
				t.Errorf("Err does not unwrap to the cause")
			}
		})
	}
}

func TestRedactHandler(t *testing.T) {
	const secret = "s3cretTOKEN"
	var buf bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	log := slog.New(redactHandler{h: slog.NewMultiHandler(slog.NewTextHandler(&buf, opts), slog.NewJSONHandler(&buf, opts)), secret: secret})
	type msg struct{ Token string }
	log.With("pre", "a "+secret).WithGroup("g").Debug("refused "+secret,
		"err", errors.New("Your authtoken: "+secret),
		"msg", msg{Token: secret},
		slog.Group("nested", "s", secret),
		"n", 42)
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Errorf("the authtoken leaks into the logs:\n%s", out)
	}
	if n := strings.Count(out, "[REDACTED]"); n != 10 {
		t.Errorf("%d redactions, want 10 (5 per handler):\n%s", n, out)
	}
}

func TestDescribeNetworkErrors(t *testing.T) {
	m := mapper{addr: "connect.ngrok-agent.com:443"}
	tests := []struct {
		err  error
		want string
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "connect.ngrok-agent.com", IsNotFound: true}},
			"could not reach ngrok at connect.ngrok-agent.com:443: cannot resolve connect.ngrok-agent.com (no such host)"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)},
			"could not reach ngrok at connect.ngrok-agent.com:443: connection refused"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)},
			"could not reach ngrok at connect.ngrok-agent.com:443: network is unreachable"},
		{fmt.Errorf("dial: %w", os.ErrDeadlineExceeded), "could not reach ngrok at connect.ngrok-agent.com:443: timed out"},
		{errors.New("read EOF from remote peer"), "the connection to ngrok failed: read EOF from remote peer"},
	}
	for _, tt := range tests {
		if got := m.describe(tt.err).Error(); got != tt.want {
			t.Errorf("describe(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestIsNgrokHost(t *testing.T) {
	for host, want := range map[string]bool{
		"a1b2.ngrok-free.app": true, "my.ngrok.app": true, "x.ngrok.io": true, "x.ngrok-free.dev": true,
		"ngrok-free.app": false, "api.example.com": false, "ngrok.app.example.com": false,
	} {
		if got := IsNgrokHost(host); got != want {
			t.Errorf("IsNgrokHost(%q) = %v, want %v", host, got, want)
		}
	}
}
