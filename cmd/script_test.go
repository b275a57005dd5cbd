package cmd

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/comethook/comethook/internal/fakeendpoint"
)

var update = flag.Bool("update", false, "rewrite the golden output in testdata/script")

// TestMain registers the programs scripts can exec: comethook itself and the fakes it
// talks to.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"comethook": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := Main(ctx, os.Args[1:], Build{Version: "v0.0.0-test", Commit: "abc1234", Date: "2026-11-27"})
			stop()
			os.Exit(code)
		},
		"fakeendpoint": func() { os.Exit(fakeendpoint.RunMain(os.Args[1:])) },
	})
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
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile": cmdWaitFile,
		},
	})
}

// cmdWaitFile waits for a file that a background program writes when it is ready:
// waitfile [-env VAR] file. With -env, the file's content is put into $VAR.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! waitfile")
	}
	var envVar string
	if len(args) == 3 && args[0] == "-env" {
		envVar, args = args[1], args[2:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: waitfile [-env VAR] file")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			if envVar != "" {
				ts.Setenv(envVar, strings.TrimSpace(string(b)))
			}
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not appear within 20s", args[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
