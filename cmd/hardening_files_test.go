package cmd

// Hardening (issue: what a hostile caller, a full disk and a planted file can still do):
// files another user of the machine can plant in the capture directory, and a capture too
// big to hold in memory.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/comethook/comethook/internal/history"
	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/render"
)

// memoryChildEnv carries the arguments of a comethook run to TestHardeningMemoryChild. Not a
// COMETHOOK_ variable: the test binary clears those (see isolated).
const memoryChildEnv = "HARDENING_MEMORY_CHILD"

// memoryBudget is the peak RSS allowed to events and replay on a capture of any size: the
// old events held a 200 MB capture whole, decoded (several hundred MiB).
const memoryBudget = 100 << 20

// TestHardeningEventsMemory: events, events --last N and replay N read a 200 MB capture in
// bounded memory. Each runs in a process of its own, whose peak RSS (VmHWM) it reports.
//
// Under -race the capture is 40 MB: the race detector makes decoding ten times slower, and
// the old events held three times the file (584 MiB for 200 MB), so 40 MB still fails it.
func TestHardeningEventsMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS is read from /proc/self/status")
	}
	if testing.Short() {
		t.Skip("writes a 200 MB capture")
	}
	size := int64(200 << 20)
	if raceEnabled {
		size = 40 << 20
	}
	dir := t.TempDir()
	capture := filepath.Join(dir, "big.jsonl")
	start := time.Now()
	n := writeBigCapture(t, capture, size)
	t.Logf("wrote %d MB, %d deliveries, in %s", size>>20, n, time.Since(start).Round(time.Millisecond))

	var got atomic.Int64
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(app.Close)

	mid := strconv.Itoa(n / 2)
	for _, c := range []struct {
		name  string
		args  []string
		lines int // lines on stdout: proof that the whole file was read
	}{
		{"events", []string{"events", "--capture", capture}, n},
		{"events --json", []string{"events", "--json", "--capture", capture}, n},
		{"events --last", []string{"events", "--last", "50", "--capture", capture}, 50},
		{"replay", []string{"replay", mid, "--capture", capture, "--to", app.URL}, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each in its own process: their peaks do not add up
			res := runMemoryChild(t, dir, c.args)
			t.Logf("%s: peak RSS %.1f MiB, %d lines, %s", c.name, float64(res.hwm)/(1<<20), res.lines, res.took.Round(time.Millisecond))
			if res.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", res.code, res.stderr)
			}
			if c.lines >= 0 && res.lines != c.lines {
				t.Errorf("%d lines on stdout, want %d", res.lines, c.lines)
			}
			if res.hwm > memoryBudget {
				t.Errorf("peak RSS %.1f MiB reading a %d MB capture, want under %d MiB", float64(res.hwm)/(1<<20), size>>20, memoryBudget>>20)
			}
		})
	}
	t.Cleanup(func() {
		if got.Load() != 1 {
			t.Errorf("the app got %d replays, want 1", got.Load())
		}
	})
}

type memoryResult struct {
	code, lines int
	hwm         int64
	stderr      string
	took        time.Duration
}

// runMemoryChild runs comethook with args in a new process (this test binary, running
// TestHardeningMemoryChild) and reads what it reports.
func runMemoryChild(t *testing.T, dir string, args []string) memoryResult {
	t.Helper()
	spec, _ := json.Marshal(args)
	p := exec.Command(os.Args[0], "-test.run=^TestHardeningMemoryChild$", "-test.count=1", "-test.v")
	p.Env = append(os.Environ(), memoryChildEnv+"="+string(spec), "TMPDIR="+dir)
	start := time.Now()
	out, err := p.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`memory-child code=(\d+) lines=(\d+) hwm=(\d+)\n`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the child did not report its peak RSS:\n%s", out)
	}
	res := memoryResult{took: took}
	res.code, _ = strconv.Atoi(string(m[1]))
	res.lines, _ = strconv.Atoi(string(m[2]))
	res.hwm, _ = strconv.ParseInt(string(m[3]), 10, 64)
	if i := bytes.Index(out, []byte("memory-child-stderr:\n")); i >= 0 {
		res.stderr = string(out[i:])
	}
	return res
}

// TestHardeningMemoryChild is the child of TestHardeningEventsMemory: it runs comethook as
// Main would and reports its exit code, the lines it printed and the process's peak RSS.
func TestHardeningMemoryChild(t *testing.T) {
	spec := os.Getenv(memoryChildEnv)
	if spec == "" {
		t.Skip("run by TestHardeningEventsMemory in a process of its own")
	}
	var args []string
	if err := json.Unmarshal([]byte(spec), &args); err != nil {
		t.Fatal(err)
	}
	var out lineCounter // counted, not kept: a buffer of the output would count against the budget
	var errOut bytes.Buffer
	vars := map[string]string{"COMETHOOK_CAPTURE_DIR": filepath.Join(os.TempDir(), "captures")}
	code := run(context.Background(), args, &env{
		streams: streamsFor(&out, &limitedBuffer{max: 64 << 10, b: &errOut}, "", false),
		getenv:  func(k string) string { return vars[k] },
	})
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var hwmKiB int64
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwmKiB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	if hwmKiB == 0 {
		t.Fatalf("no VmHWM in /proc/self/status:\n%s", status)
	}
	fmt.Printf("memory-child code=%d lines=%d hwm=%d\n", code, out.n, hwmKiB<<10)
	fmt.Printf("memory-child-stderr:\n%s\n", errOut.Bytes())
}

// lineCounter counts the lines written to it and keeps none.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	max int
	b   *bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// delivery is a realistic captured delivery: a message_sent of a group chat.
func delivery(seq int64, trigger, text string) record.Record {
	return record.Record{
		Seq: seq, ReceivedAt: "2026-11-27T14:03:07.123456789Z", Method: "POST", Path: "/webhook",
		Trigger: trigger, Webhook: "wh-local", AppID: "2481230c8b1e8d9f",
		Headers:  map[string]string{"Authorization": "Basic ****", "Content-Type": "application/json", "User-Agent": "CometChat-Webhooks/2.0"},
		Payload:  json.RawMessage(`{"trigger":"` + trigger + `","data":{"message":{"id":"41","conversationId":"group_cometchat-guid-1","sender":"cometchat-uid-1","receiverType":"group","receiver":"cometchat-guid-1","category":"message","type":"text","data":{"text":"` + text + `","entities":{"sender":{"entity":{"uid":"cometchat-uid-1","name":"Andrew Joseph","role":"default"},"entityType":"user"},"receiver":{"entity":{"guid":"cometchat-guid-1","name":"Hiking Group","type":"public"},"entityType":"group"}}},"sentAt":1764252187,"updatedAt":1764252187}},"appId":"2481230c8b1e8d9f","region":"us","webhook":"wh-local"}`),
		Response: record.Response{Status: 200, Body: json.RawMessage(`{"ok":true}`), DurationMs: 0.412, Source: "mock"},
		Outcome:  "delivered",
	}
}

// writeBigCapture writes a capture of deliveries with a 16 KB text (few records for their
// size: the cost of reading is in the bytes, that of printing in the records) of about
// size bytes, and returns how many it holds.
func writeBigCapture(t *testing.T, path string, size int64) int {
	t.Helper()
	line, err := delivery(1, "message_sent", strings.Repeat("a long chat message, ", 800)).AppendLine(nil)
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := bytes.CutPrefix(line, []byte(`{"seq":1,`))
	if !ok {
		t.Fatalf("a record line starts %.20q", line)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	n := 0
	for written := int64(0); written < size; {
		n++
		k, _ := fmt.Fprintf(w, `{"seq":%d,`, n)
		w.Write(rest)
		written += int64(k + len(rest))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

// writeCapture writes a capture of deliveries #1, #2... of the triggers given.
func writeCapture(t *testing.T, path string, triggers ...string) {
	t.Helper()
	w, err := history.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, trig := range triggers {
		if err := w.Write(delivery(int64(i+1), trig, fmt.Sprintf("message %d", i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// directEnv is an env for calling a command's helpers directly, with its stderr.
func directEnv(vars map[string]string) (*env, *bytes.Buffer) {
	errOut := &bytes.Buffer{}
	e := &env{streams: streamsFor(io.Discard, errOut, "", false), getenv: func(k string) string { return vars[k] }}
	e.defaults()
	e.p = render.NewPrinter(e.streams, false, false)
	return e, errOut
}

// privateDir makes a capture directory as listen would: the user's, mode 0700.
func privateDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "captures")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHardeningListenerStateNotFollowed: a link planted at listen's state file name is
// replaced, not written through to the file it points to.
func TestHardeningListenerStateNotFollowed(t *testing.T) {
	dir := privateDir(t)
	victim := filepath.Join(t.TempDir(), "victim.txt")
	if err := os.WriteFile(victim, []byte("the user's own file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "listening-4242.json")
	if err := os.Symlink(victim, name); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
	e, _ := directEnv(map[string]string{"COMETHOOK_CAPTURE_DIR": dir})
	forget := writeListenerState(e, listenerState{PID: 4242, StartedAt: time.Now(), LocalURL: "http://127.0.0.1:1"})
	if b, _ := os.ReadFile(victim); string(b) != "the user's own file\n" {
		t.Errorf("the state was written through the link: the victim file holds %q", b)
	}
	info, err := os.Lstat(name)
	if err != nil || !info.Mode().IsRegular() {
		t.Fatalf("no state file of its own: %v, %v", info, err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
	}
	var st listenerState
	if b, _ := os.ReadFile(name); json.Unmarshal(b, &st) != nil || st.PID != 4242 {
		t.Errorf("state file holds %q", b)
	}
	forget()
	if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the state file outlived its listen: %v", err)
	}
}

// TestHardeningCaptureDirRefused: a capture directory others can write to is refused by every
// command that uses it, with one sentence and what to do; a file given by name is still read.
func TestHardeningCaptureDirRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	writeCapture(t, filepath.Join(dir, "listen-20261127-140307-1.jsonl"), "message_sent")
	vars := map[string]string{"COMETHOOK_CAPTURE_DIR": dir}
	wantErr := "error: refusing the capture directory " + dir + ": other users can write to it (mode 0777)\n"
	wantHint := "chmod 700 " + dir + ", or set COMETHOOK_CAPTURE_DIR to a directory only you can write to"
	for _, args := range [][]string{{"events"}, {"events", "show", "1"}, {"replay", "1"}} {
		code, _, stderr := runTest(t, false, vars, "", args...)
		if code != ExitFail || !strings.HasPrefix(stderr, wantErr) || !strings.Contains(stderr, wantHint) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 1 with\n%s%s", strings.Join(args, " "), code, stderr, wantErr, wantHint)
		}
	}

	e, errOut := directEnv(vars)
	forget := writeListenerState(e, listenerState{PID: 4242, StartedAt: time.Now(), LocalURL: "http://127.0.0.1:1"})
	forget()
	if m, _ := filepath.Glob(filepath.Join(dir, statePattern)); len(m) > 0 {
		t.Errorf("listen left its state in a directory others can write to: %v", m)
	}
	if want := "warning: events and replay will not find this listener: refusing the capture directory " + dir; !strings.Contains(errOut.String(), want) || !strings.Contains(errOut.String(), wantHint) {
		t.Errorf("listen's warning:\n%s\nwant %q and the hint", errOut, want)
	}

	// --capture FILE names the file: no directory to trust.
	code, stdout, stderr := runTest(t, false, vars, "", "events", "--capture", filepath.Join(dir, "listen-20261127-140307-1.jsonl"))
	if code != 0 || !strings.HasPrefix(stdout, "#1 ") {
		t.Errorf("events --capture FILE: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestHardeningReplayLoopbackOnly: replay without --to goes to a listener's app on this
// machine only. A state file naming another host is ignored with a warning that names it;
// one that is a link, or another user's, is not believed at all.
func TestHardeningReplayLoopbackOnly(t *testing.T) {
	dir := privateDir(t)
	capture := filepath.Join(t.TempDir(), "run.jsonl")
	writeCapture(t, capture, "message_sent")

	// The "listener": this process, with a port that accepts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	local := "http://" + ln.Addr().String()
	counter := func(hits *atomic.Int32, paths chan<- string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			select {
			case paths <- r.URL.Path:
			default:
			}
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	var appHits, otherHits atomic.Int32
	appPaths := make(chan string, 1)
	app, other := counter(&appHits, appPaths), counter(&otherHits, nil)

	t0 := time.Now().Add(-time.Hour)
	state := func(name string, age time.Duration, forwardTo string) string {
		b, _ := json.Marshal(listenerState{PID: os.Getpid(), StartedAt: t0.Add(age), LocalURL: local, ForwardTo: forwardTo})
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	state("listening-100.json", 0, app+"/app")
	planted := state("listening-101.json", time.Minute, "http://192.0.2.1:9/steal")
	// Newer still, through a link: what it says (the other app) is never read.
	elsewhere := filepath.Join(t.TempDir(), "state.json")
	b, _ := json.Marshal(listenerState{PID: os.Getpid(), StartedAt: t0.Add(2 * time.Minute), LocalURL: local, ForwardTo: other})
	os.WriteFile(elsewhere, b, 0o600)
	if err := os.Symlink(elsewhere, filepath.Join(dir, "listening-102.json")); err != nil {
		t.Logf("no symbolic link here: %v", err)
	}
	if runtime.GOOS != "windows" && os.Getuid() == 0 { // and another user's, newest of all
		theirs := state("listening-103.json", 3*time.Minute, other)
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}

	vars := map[string]string{"COMETHOOK_CAPTURE_DIR": dir}
	code, stdout, stderr := runTest(t, false, vars, "", "replay", "1", "--capture", capture, "--timeout", "500ms")
	if code != 0 || appHits.Load() != 1 || otherHits.Load() != 0 {
		t.Fatalf("exit %d; the app got %d replays, another %d (want 1, 0)\n%s%s", code, appHits.Load(), otherHits.Load(), stdout, stderr)
	}
	if p := <-appPaths; p != "/app/webhook" {
		t.Errorf("replayed to %s, want the path listen forwarded to: /app/webhook", p)
	}
	want := "warning: ignoring " + planted + ": it names http://192.0.2.1:9/steal, not this machine, as the app to replay to (pass --to to replay there)\n"
	if strings.Count(stderr, "warning:") != 1 || !strings.Contains(stderr, want) {
		t.Errorf("stderr:\n%s\nwant the one warning %q", stderr, want)
	}

	// The only listener forwards elsewhere: nothing to replay to without --to.
	os.Remove(filepath.Join(dir, "listening-100.json"))
	code, _, stderr = runTest(t, false, vars, "", "replay", "1", "--capture", capture, "--timeout", "500ms")
	if code != ExitUsage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "error: no endpoint to replay to") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestHardeningLoopbackURL(t *testing.T) {
	for u, want := range map[string]bool{
		"http://localhost:3000/webhooks": true,
		"http://LOCALHOST:3000":          true,
		"http://127.0.0.1:3000":          true,
		"https://127.1.2.3/x":            true,
		"http://[::1]:3000":              true,
		"http://[::ffff:127.0.0.1]:3000": true,
		"http://user:pass@127.0.0.1:80":  true,
		"http://192.0.2.1:9/steal":       false,
		"https://example.com/hook":       false,
		"http://localhost.example.com":   false,
		"http://127.0.0.1.nip.io":        false,
		"http://0.0.0.0:3000":            false,
		"http://[::]:3000":               false,
		"http://10.0.0.2:3000":           false,
		"3000":                           false,
		"%zz":                            false,
	} {
		if got := loopbackURL(u); got != want {
			t.Errorf("loopbackURL(%q) = %v, want %v", u, got, want)
		}
	}
}

// TestHardeningEventsLast: --last N keeps a ring of N records: the last N matching, in file
// order, however many the file holds.
func TestHardeningEventsLast(t *testing.T) {
	capture := filepath.Join(t.TempDir(), "run.jsonl")
	triggers := make([]string, 10)
	for i := range triggers {
		triggers[i] = "message_sent"
		if i%3 == 0 {
			triggers[i] = "message_edited" // #1, #4, #7, #10
		}
	}
	writeCapture(t, capture, triggers...)
	for _, c := range []struct {
		args []string
		want []int64
	}{
		{[]string{"--last", "3"}, []int64{8, 9, 10}},
		{[]string{"--last", "4"}, []int64{7, 8, 9, 10}},
		{[]string{"--last", "9"}, []int64{2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{[]string{"--last", "10"}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{[]string{"--last", "50"}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{[]string{"--last", "1"}, []int64{10}},
		{[]string{"--last", "3", "-t", "message_edited"}, []int64{4, 7, 10}},
		{[]string{"--last", "3", "-t", "message_sent"}, []int64{6, 8, 9}},
		{[]string{"-t", "message_edited"}, []int64{1, 4, 7, 10}},
	} {
		args := append([]string{"events", "--json", "--capture", capture}, c.args...)
		code, stdout, stderr := runTest(t, false, nil, "", args...)
		var got []int64
		for line := range strings.Lines(stdout) {
			var r struct{ Seq int64 }
			json.Unmarshal([]byte(line), &r)
			got = append(got, r.Seq)
		}
		if code != 0 || !slices.Equal(got, c.want) {
			t.Errorf("%s: exit %d, seqs %v, want %v\n%s", strings.Join(c.args, " "), code, got, c.want, stderr)
		}
	}
	// The count goes last: it is known once the file is read.
	_, stdout, stderr := runTest(t, false, nil, "", "events", "--last", "2", "--capture", capture)
	if strings.Count(stdout, "\n") != 2 || stderr != capture+": 2 deliveries\n" {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}
