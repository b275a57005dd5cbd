package cmd

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/comethook/comethook/internal/clidocs"
)

// docs/cli is generated from the commands: it must say what they say. When this fails,
// `go run ./scripts/gendocs` brings it up to date.
func TestCLIDocsUpToDate(t *testing.T) {
	fresh := t.TempDir()
	if err := clidocs.Markdown(Root(), fresh); err != nil {
		t.Fatal(err)
	}
	names := func(dir string) []string {
		m, _ := filepath.Glob(filepath.Join(dir, "*.md"))
		for i := range m {
			m[i] = filepath.Base(m[i])
		}
		return m
	}
	want, got := names(fresh), names("../docs/cli")
	if !slices.Equal(want, got) {
		t.Fatalf("docs/cli has %v, the commands make %v: run go run ./scripts/gendocs", got, want)
	}
	for _, name := range want {
		w, _ := os.ReadFile(filepath.Join(fresh, name))
		g, _ := os.ReadFile(filepath.Join("../docs/cli", name))
		if string(w) != string(g) {
			t.Errorf("docs/cli/%s is out of date: run go run ./scripts/gendocs", name)
		}
	}
}

// The release ships a man page per command, and the Homebrew cask installs the ones
// .goreleaser.yaml names: each must be one the generator writes.
func TestManPagesNamedInReleaseExist(t *testing.T) {
	dir := t.TempDir()
	if err := clidocs.Man(Root(), dir, "v0.0.0-test", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile("../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`(?m)^\s+- manpages/(\S+\.1)$`).FindAllStringSubmatch(string(cfg), -1)
	if len(named) == 0 {
		t.Fatal(".goreleaser.yaml names no man pages for the cask")
	}
	// Every page the generator writes is installed by the cask: a new command's too.
	written, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	for _, w := range written {
		if !slices.ContainsFunc(named, func(m []string) bool { return m[1] == filepath.Base(w) }) {
			t.Errorf("the generator writes %s, which .goreleaser.yaml's cask does not install (manpages:)", filepath.Base(w))
		}
	}
	for _, m := range named {
		b, err := os.ReadFile(filepath.Join(dir, m[1]))
		if err != nil {
			t.Errorf(".goreleaser.yaml names manpages/%s, which the generator does not write", m[1])
			continue
		}
		if !regexp.MustCompile(`(?m)^\.TH "COMETHOOK`).Match(b) {
			t.Errorf("%s is not a man page:\n%.200s", m[1], b)
		}
	}
}
