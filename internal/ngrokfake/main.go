package ngrokfake

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// Info is what RunMain writes to its -info file so that a script can point
// an agent at the fake.
type Info struct {
	ConnectAddr string `json:"connectAddr"` // for --ngrok-connect-url
	PublicAddr  string `json:"publicAddr"`  // where to send "public" requests
	CAFile      string `json:"caFile"`      // PEM file for --ngrok-connect-cas
}

// RunMain runs a fake ngrok service as a command (for testscript), and
// returns its exit code: 0 when stopped by SIGINT or SIGTERM, 1 if it could
// not start, 2 on a usage error.
//
//	ngrokfake [-token T]... [-domain-in-use D]... [-info FILE]
//
// -token and -domain-in-use repeat or take comma-separated lists. With
// -info, the addresses are written to FILE as JSON (atomically, once the
// fake is serving) and the certificate next to it as FILE's name with
// ".ca.pem"; without it, the JSON goes to stdout and the certificate to the
// working directory as ngrokfake.ca.pem.
func RunMain(args []string) int {
	fs := flag.NewFlagSet("ngrokfake", flag.ContinueOnError)
	var cfg Config
	fs.Var((*listFlag)(&cfg.Authtokens), "token", "accepted authtoken (repeatable, or a comma-separated list)")
	fs.Var((*listFlag)(&cfg.DomainsInUse), "domain-in-use", "URL whose bind fails with ERR_NGROK_334 (repeatable)")
	infoPath := fs.String("info", "", "write {connectAddr, publicAddr, caFile} as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "ngrokfake: unexpected arguments %q\n", fs.Args())
		return 2
	}

	srv, err := Start(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ngrokfake:", err)
		return 1
	}
	defer srv.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	caFile := "ngrokfake.ca.pem"
	if *infoPath != "" {
		caFile = strings.TrimSuffix(*infoPath, filepath.Ext(*infoPath)) + ".ca.pem"
	}
	if caFile, err = filepath.Abs(caFile); err == nil {
		err = os.WriteFile(caFile, srv.CertPEM(), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ngrokfake:", err)
		return 1
	}
	info, _ := json.Marshal(Info{ConnectAddr: srv.ConnectAddr(), PublicAddr: srv.PublicAddr(), CAFile: caFile})
	if *infoPath == "" {
		fmt.Println(string(info))
	} else if err := writeAtomic(*infoPath, append(info, '\n')); err != nil {
		fmt.Fprintln(os.Stderr, "ngrokfake:", err)
		return 1
	}

	<-ctx.Done()
	return 0
}

// writeAtomic writes via a temporary file and rename, so that a script
// polling for the file never reads half of it.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// listFlag collects a repeatable flag whose values may also be comma lists.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
