package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/render"
)

// listenerState is what a running listen tells other commands about itself.
type listenerState struct {
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"startedAt"`
	LocalURL  string    `json:"localURL"`
	PublicURL string    `json:"publicURL,omitempty"`
	ForwardTo string    `json:"forwardTo,omitempty"`
	Capture   string    `json:"capture,omitempty"`
	// Registered is the webhook listen --register pointed at this listener.
	Registered *registration `json:"registered,omitempty"`
	// RunAuth is the Basic Auth (user:pass) --register made for this run, which listen then
	// requires: send and replay to this listener use it. The file is the user's alone (0600).
	RunAuth string `json:"runAuth,omitempty"`

	file string // where it was read, for warnings about it
}

// registration is what listen --register made of the app's webhook.
type registration struct {
	ID       string   `json:"id"`
	URL      string   `json:"url"`
	Legacy   bool     `json:"legacy,omitempty"`
	Triggers []string `json:"triggers"`
}

// Each running listen has its own state file, so that two of them do not overwrite (or,
// stopping, remove) each other's.
const statePattern = "listening-*.json"

// maxStateFile bounds what is read of a state file: a real one is a few hundred bytes.
const maxStateFile = 64 << 10

// runningListeners reads the state of every listen still running, newest first, and
// removes the files that a killed listen left behind. A file that is not a regular file of
// the user's (a link, someone else's) is not believed, nor removed.
func runningListeners(e *env) []listenerState {
	dir, err := captureDir(e)
	if err != nil {
		return nil
	}
	names, _ := filepath.Glob(filepath.Join(dir, statePattern))
	var live []listenerState
	for _, name := range names {
		b, err := readStateFile(name)
		var st listenerState
		if err != nil || json.Unmarshal(b, &st) != nil || st.PID <= 0 {
			continue
		}
		if !listening(st) {
			os.Remove(name)
			continue
		}
		st.file = name
		live = append(live, st)
	}
	os.Remove(filepath.Join(dir, "listening.json")) // the single file of comethook before 0.2
	slices.SortFunc(live, func(a, b listenerState) int { return b.StartedAt.Compare(a.StartedAt) })
	return live
}

func readStateFile(name string) ([]byte, error) {
	f, err := history.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxStateFile))
}

// listening says whether the listen that wrote st still runs: its process exists and its
// port accepts. The port matters where the pid says little: on Windows, and when a dead
// listen's pid has gone to another program.
func listening(st listenerState) bool {
	if !processAlive(st.PID) {
		return false
	}
	u, err := url.Parse(st.LocalURL)
	if err != nil || u.Port() == "" {
		return false
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", u.Port()), 300*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// runningListener is the newest running listen for which want holds (any when nil).
func runningListener(e *env, want func(listenerState) bool) (listenerState, bool) {
	for _, st := range runningListeners(e) {
		if want == nil || want(st) {
			return st, true
		}
	}
	return listenerState{}, false
}

// localURL is where another command on this machine reaches the listener: its local URL,
// with an unspecified host (listen --host 0.0.0.0) as loopback; "" when the state names
// another machine (a state file is no proof of who wrote it).
func (st listenerState) localURL() string {
	u, err := url.Parse(st.LocalURL)
	if err != nil || u.Host == "" {
		return ""
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		loop := "127.0.0.1"
		if ip.To4() == nil {
			loop = "::1"
		}
		u.Host = net.JoinHostPort(loop, u.Port())
	}
	if !loopbackURL(u.String()) {
		return ""
	}
	return u.String()
}

// describe says which listener this is, for the line that tells the user where a send or
// replay without --to goes: "the running listener on http://127.0.0.1:4571 (pid 42), which
// forwards to http://localhost:3000/webhooks".
func (st listenerState) describe() string {
	what := fmt.Sprintf("the running listener on %s (pid %d)", st.localURL(), st.PID)
	if st.ForwardTo != "" {
		return what + ", which forwards to " + render.SafeURL(st.ForwardTo)
	}
	return what + ", which answers for your app (mock mode)"
}

// loopbackURL says whether u names this machine: localhost, 127.0.0.0/8 or ::1.
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	host := p.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeListenerState records this listen for events and replay; the returned func removes it.
func writeListenerState(e *env, st listenerState) func() {
	noop := func() {}
	dir, err := captureDir(e)
	if err == nil {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			err = history.CheckDir(dir) // it may have been made by someone else since captureDir looked
		}
	}
	if err != nil {
		if errors.As(err, new(*history.UnsafeError)) {
			e.p.Warn(fmt.Sprintf("events and replay will not find this listener: %v (%s)", err, captureDirHint(err, "")))
		}
		return noop
	}
	name := filepath.Join(dir, strings.Replace(statePattern, "*", strconv.Itoa(st.PID), 1))
	b, _ := json.Marshal(st)
	// What is at the name is a file of an earlier listen with this pid (killed, or in this
	// process, in tests): the directory is the user's alone. It is replaced, not written
	// through, whatever it is.
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return noop
	}
	f, err := history.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return noop
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return noop
	}
	return func() {
		// Only if it is still ours: two listens can share a pid (in containers, or in-process
		// in tests) and so a file name.
		if cur, err := readStateFile(name); err == nil && string(cur) == string(b) {
			os.Remove(name)
		}
	}
}
