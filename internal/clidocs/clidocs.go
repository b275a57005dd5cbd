// Package clidocs writes comethook's command reference from the commands themselves: Markdown
// for docs/cli (kept in the repository, checked against the commands by a test) and man pages
// for the release archives and the Homebrew cask. Only scripts/gendocs and tests import it, so
// the comethook binary carries none of it.
package clidocs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Markdown writes one page per command into dir (made if missing), replacing the pages there.
func Markdown(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	prepend := func(string) string {
		return "<!-- Generated from the commands by `go run ./scripts/gendocs`: do not edit. -->\n\n"
	}
	link := func(name string) string { return name }
	return doc.GenMarkdownTreeCustom(root, dir, prepend, link)
}

// Man writes one man page per command (section 1) into dir, dated date.
func Man(root *cobra.Command, dir, version string, date time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return doc.GenManTree(root, &doc.GenManHeader{
		Title:   strings.ToUpper(root.Name()),
		Section: "1",
		Source:  fmt.Sprintf("comethook %s", version),
		Manual:  "comethook manual",
		Date:    &date,
	}, dir)
}
