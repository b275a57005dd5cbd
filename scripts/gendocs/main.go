// Command gendocs writes comethook's command reference from the commands themselves:
//
//	go run ./scripts/gendocs                       # docs/cli/*.md (committed; a test checks them)
//	go run ./scripts/gendocs -man manpages         # man pages too (goreleaser, for the archives)
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/comethook/comethook/cmd"
	"github.com/comethook/comethook/internal/clidocs"
)

func main() {
	md := flag.String("md", "docs/cli", "directory for the Markdown pages (empty: none)")
	man := flag.String("man", "", "directory for the man pages (empty: none)")
	version := flag.String("version", "dev", "version named in the man pages")
	epoch := flag.String("date", os.Getenv("SOURCE_DATE_EPOCH"), "the man pages' date, in Unix seconds (the commit's, for reproducible archives); default today")
	flag.Parse()
	date := time.Now().UTC()
	if s, err := strconv.ParseInt(*epoch, 10, 64); err == nil {
		date = time.Unix(s, 0).UTC()
	}
	if *md != "" {
		if err := clidocs.Markdown(cmd.Root(), *md); err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(1)
		}
	}
	if *man != "" {
		if err := clidocs.Man(cmd.Root(), *man, *version, date); err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(1)
		}
	}
}
