package cometchatfake

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Info is what RunMain writes to its -info file: where to point comethook.
type Info struct {
	APIURL  string `json:"apiURL"`  // COMETCHAT_API_URL
	MgmtURL string `json:"mgmtURL"` // COMETCHAT_MGMT_URL
}

// RunMain runs the fake as a command (for testscript) until SIGINT or SIGTERM, and returns
// its exit code:
//
//	fakecometchat -app ID -api-key K -mgmt-key K -mgmt-secret S [-deliver-via HOST:PORT] -info FILE
func RunMain(args []string) int {
	fs := flag.NewFlagSet("fakecometchat", flag.ContinueOnError)
	var cfg Config
	fs.StringVar(&cfg.AppID, "app", "app1", "the app's ID")
	fs.StringVar(&cfg.APIKey, "api-key", "", "the REST API key with full access")
	fs.StringVar(&cfg.MgmtKey, "mgmt-key", "", "the Management API key")
	fs.StringVar(&cfg.MgmtSecret, "mgmt-secret", "", "the Management API secret")
	fs.StringVar(&cfg.DeliverVia, "deliver-via", "", "send every webhook to this host:port (the fake ngrok's public side)")
	info := fs.String("info", "", "write {apiURL, mgmtURL} as JSON to this file once serving")
	if err := fs.Parse(args); err != nil || *info == "" {
		return 2
	}
	s, err := Start(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakecometchat:", err)
		return 1
	}
	defer s.Close()
	b, _ := json.Marshal(Info{APIURL: s.URL(), MgmtURL: s.MgmtURL()})
	if err := os.WriteFile(*info+".tmp", b, 0o600); err != nil || os.Rename(*info+".tmp", *info) != nil {
		fmt.Fprintln(os.Stderr, "fakecometchat: cannot write", *info)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return 0
}
