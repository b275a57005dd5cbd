package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/comethook/comethook/internal/cometchatfake"
	"github.com/comethook/comethook/internal/fakeendpoint"
	"github.com/comethook/comethook/internal/ngrokfake"
)

var update = flag.Bool("update", false, "rewrite the golden output in testdata/script")

// TestMain registers the programs scripts can exec: comethook itself and the fakes it
// talks to. The tests themselves run isolated from the machine (see isolated).
func TestMain(m *testing.M) {
	testscript.Main(isolated{m}, map[string]func(){
		"comethook": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := Main(ctx, os.Args[1:], Build{Version: "v0.0.0-test", Commit: "abc1234", Date: "2026-11-27"})
			stop()
			os.Exit(code)
		},
		"fakeendpoint":  func() { os.Exit(fakeendpoint.RunMain(os.Args[1:])) },
		"fakengrok":     func() { os.Exit(ngrokfake.RunMain(os.Args[1:])) },
		"fakecometchat": func() { os.Exit(cometchatfake.RunMain(os.Args[1:])) },
	})
}

// isolated runs the tests apart from whatever else runs on this machine: a developer's own
// `comethook listen` (its ports, its capture directory and state files), their
// COMETHOOK_* and ngrok settings. HOME and the cache directory point into a scratch
// directory, so nothing a test starts (in-process, a built binary, a script) can read or
// write the user's captures, and every comethook variable starts empty. It wraps only the
// test run: the commands testscript execs get the script's own environment.
type isolated struct{ m *testing.M }

// scratch is the test run's own directory (HOME), removed when the run ends.
var scratch = os.TempDir()

func (i isolated) Run() int {
	home, err := os.MkdirTemp("", "comethook-test-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(home)
	scratch = home
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "COMETHOOK_") || strings.HasPrefix(k, "NGROK_") || strings.HasPrefix(k, "COMETCHAT_") {
			os.Unsetenv(k)
		}
	}
	for _, k := range []string{"NO_COLOR", "CLICOLOR_FORCE"} {
		os.Unsetenv(k)
	}
	// The go command that builds the binary for the signal tests keeps the user's caches
	// and settings: with HOME moved it would start from an empty build and module cache
	// (minutes of compiling and downloading).
	if cache, err := os.UserCacheDir(); err == nil && os.Getenv("GOCACHE") == "" {
		os.Setenv("GOCACHE", filepath.Join(cache, "go-build"))
	}
	if h, err := os.UserHomeDir(); err == nil && os.Getenv("GOPATH") == "" {
		os.Setenv("GOPATH", filepath.Join(h, "go"))
	}
	if cfg, err := os.UserConfigDir(); err == nil && os.Getenv("GOENV") == "" {
		os.Setenv("GOENV", filepath.Join(cfg, "go", "env"))
	}
	os.Setenv("HOME", home)
	os.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	return i.m.Run()
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			// A clean environment: no colour forcing or endpoint defaults leak in.
			for _, k := range []string{"NO_COLOR", "CLICOLOR_FORCE", "COMETHOOK_URL", "COMETHOOK_BASIC_AUTH", "NGROK_AUTHTOKEN"} {
				env.Setenv(k, "")
			}
			// Captures go to the script's own directory, never the user's cache.
			env.Setenv("COMETHOOK_CAPTURE_DIR", env.WorkDir+"/captures")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile":  cmdWaitFile,
			"waitlines": cmdWaitLines,
			"sameline":  cmdSameLine,
			"fetch":     cmdFetch,
		},
	})
}

// cmdWaitFile waits for a file that a background program writes once it is ready, and
// puts what it says into variables: waitfile file [VAR | VAR=field]... A plain VAR takes
// the whole content; VAR=field takes a field of a JSON object.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: waitfile file [VAR | VAR=field]...")
	}
	deadline := time.Now().Add(20 * time.Second)
	var b []byte
	for {
		var err error
		if b, err = os.ReadFile(ts.MkAbs(args[0])); err == nil && len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not appear within 20s", args[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, a := range args[1:] {
		name, field, ok := strings.Cut(a, "=")
		if !ok {
			ts.Setenv(name, strings.TrimSpace(string(b)))
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			ts.Fatalf("%s is not a JSON object: %v", args[0], err)
		}
		ts.Setenv(name, fmt.Sprint(m[field]))
	}
}

// cmdWaitLines waits until the one file matching a glob has at least n lines: waitlines
// glob n. A sender has its answer before listen's capture line is on disk; this waits for it.
func cmdWaitLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitlines glob n")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("waitlines: %q is not a number", args[1])
	}
	deadline := time.Now().Add(20 * time.Second)
	have := 0
	for {
		if m, _ := filepath.Glob(ts.MkAbs(args[0])); len(m) == 1 {
			b, _ := os.ReadFile(m[0])
			if have = bytes.Count(b, []byte("\n")); have >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s has %d lines after 20s, want %d", args[0], have, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cmdSameLine checks that two lines of a JSON-lines file have the same value for a field:
// sameline file field n m (lines counted from 1). The fake endpoint logs one line per
// request, so this shows that a replay sent exactly the bytes of an earlier request.
func cmdSameLine(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: sameline file field n m")
	}
	lines := strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n")
	value := func(n string) string {
		i, err := strconv.Atoi(n)
		if err != nil || i < 1 || i > len(lines) {
			ts.Fatalf("%s has no line %s", args[0], n)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[i-1]), &m); err != nil {
			ts.Fatalf("%s:%d: %v", args[0], i, err)
		}
		return fmt.Sprint(m[args[1]])
	}
	a, b := value(args[2]), value(args[3])
	if (a == b) == neg {
		ts.Fatalf("%s of lines %s and %s: equal=%v\n%s\n%s", args[1], args[2], args[3], a == b, a, b)
	}
}

// cmdFetch makes one HTTP request and prints "<status>" and the body on stdout:
// fetch [-wait] [-X METHOD] [-H 'Key: Value']... URL [body]. With -wait it tries again
// for up to 10 s until the status is below 400 (for what appears asynchronously).
func cmdFetch(ts *testscript.TestScript, neg bool, args []string) {
	method, header := http.MethodGet, http.Header{}
	wait := false
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		if args[0] == "-wait" {
			wait, args = true, args[1:]
			continue
		}
		switch args[0] {
		case "-X":
			method = args[1]
		case "-H":
			k, v, _ := strings.Cut(args[1], ":")
			header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		default:
			ts.Fatalf("fetch: unknown option %s", args[0])
		}
		args = args[2:]
	}
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: fetch [-X METHOD] [-H 'K: V']... URL [body]")
	}
	var body io.Reader
	if len(args) == 2 {
		body = strings.NewReader(args[1])
	}
	var resp *http.Response
	var b []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		req, err := http.NewRequest(method, args[0], body)
		if err != nil {
			ts.Fatalf("fetch: %v", err)
		}
		req.Header = header
		if h := header.Get("Host"); h != "" {
			req.Host = h
		}
		if resp, err = http.DefaultClient.Do(req); err != nil {
			ts.Fatalf("fetch: %v", err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !wait || resp.StatusCode < 400 || time.Now().After(deadline) {
			break
		}
	}
	fmt.Fprintf(ts.Stdout(), "%d\n%s\n", resp.StatusCode, b)
	if (resp.StatusCode >= 400) != neg {
		ts.Fatalf("fetch %s: status %d", args[0], resp.StatusCode)
	}
}
