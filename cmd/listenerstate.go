package cmd

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// listenerState is what a running listen tells other commands about itself.
type listenerState struct {
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"startedAt"`
	LocalURL  string    `json:"localURL"`
	PublicURL string    `json:"publicURL,omitempty"`
	ForwardTo string    `json:"forwardTo,omitempty"`
	Capture   string    `json:"capture,omitempty"`
}

// Each running listen has its own state file, so that two of them do not overwrite (or,
// stopping, remove) each other's.
const statePattern = "listening-*.json"

// runningListeners reads the state of every listen still running, newest first, and
// removes the files that a killed listen left behind.
func runningListeners(e *env) []listenerState {
	dir, err := captureDir(e)
	if err != nil {
		return nil
	}
	names, _ := filepath.Glob(filepath.Join(dir, statePattern))
	var live []listenerState
	for _, name := range names {
		var st listenerState
		b, err := os.ReadFile(name)
		if err != nil || json.Unmarshal(b, &st) != nil || st.PID <= 0 {
			continue
		}
		if !listening(st) {
			os.Remove(name)
			continue
		}
		live = append(live, st)
	}
	os.Remove(filepath.Join(dir, "listening.json")) // the single file of comethook before 0.2
	slices.SortFunc(live, func(a, b listenerState) int { return b.StartedAt.Compare(a.StartedAt) })
	return live
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

// writeListenerState records this listen for events and replay; the returned func removes it.
func writeListenerState(e *env, st listenerState) func() {
	dir, err := captureDir(e)
	if err != nil {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return func() {}
	}
	name := filepath.Join(dir, strings.Replace(statePattern, "*", strconv.Itoa(st.PID), 1))
	b, _ := json.Marshal(st)
	if err := os.WriteFile(name, b, 0o600); err != nil {
		return func() {}
	}
	return func() {
		// Only if it is still ours: two listens can share a pid (in containers, or in-process
		// in tests) and so a file name.
		if cur, err := os.ReadFile(name); err == nil && string(cur) == string(b) {
			os.Remove(name)
		}
	}
}
