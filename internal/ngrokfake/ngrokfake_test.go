package ngrokfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/comethook/comethook/internal/ngrokfake"
	"github.com/comethook/comethook/tunnel"
)

func TestPublicSideWithoutEndpoint(t *testing.T) {
	srv, err := ngrokfake.Start(ngrokfake.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.PublicAddr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "ERR_NGROK_3200") {
		t.Errorf("got %d %q, want 404 with ERR_NGROK_3200", resp.StatusCode, body)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestRunMainUsage(t *testing.T) {
	if code := ngrokfake.RunMain([]string{"-nope"}); code != 2 {
		t.Errorf("RunMain(-nope) = %d, want 2", code)
	}
	if code := ngrokfake.RunMain([]string{"extra"}); code != 2 {
		t.Errorf("RunMain(extra) = %d, want 2", code)
	}
}

// RunMain as a script would use it: read the info file, point a real agent
// at the fake with the CA file, then stop the fake with SIGINT.
func TestRunMain(t *testing.T) {
	infoPath := filepath.Join(t.TempDir(), "fake.json")
	exit := make(chan int, 1)
	go func() {
		exit <- ngrokfake.RunMain([]string{"-token", "a,b", "-token", "c", "-domain-in-use", "taken.ngrok-free.app", "-info", infoPath})
	}()

	var info ngrokfake.Info
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		data, err := os.ReadFile(infoPath)
		if err == nil {
			if err := json.Unmarshal(data, &info); err != nil {
				t.Fatalf("info file: %v\n%s", err, data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no info file")
		}
	}
	if info.CAFile != filepath.Join(filepath.Dir(infoPath), "fake.ca.pem") {
		t.Errorf("caFile = %q", info.CAFile)
	}
	cas, err := tunnel.LoadCertPool(info.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"a", "b", "c"} {
		tun, err := tunnel.OpenNgrok(context.Background(), tunnel.Options{Authtoken: tok, ConnectURL: info.ConnectAddr, ConnectCAs: cas})
		if err != nil {
			t.Fatalf("token %q: %v", tok, err)
		}
		tun.Close()
	}
	_, err = tunnel.OpenNgrok(context.Background(), tunnel.Options{Authtoken: "c", URL: "taken.ngrok-free.app", ConnectURL: info.ConnectAddr, ConnectCAs: cas})
	var te *tunnel.Error
	if !errors.As(err, &te) || te.Code != "ERR_NGROK_334" {
		t.Errorf("bind of a domain in use: %v, want ERR_NGROK_334", err)
	}

	p, _ := os.FindProcess(os.Getpid())
	if err := p.Signal(os.Interrupt); err != nil {
		t.Skip("cannot signal self:", err)
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit code %d after SIGINT, want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunMain did not stop on SIGINT")
	}
}
