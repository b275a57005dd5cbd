package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version, commit and build date",
		Example: "  comethook version\n  comethook --version",
		Args:    argsRange(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintln(e.p.Out, versionString(e.build))
			return nil
		},
	}
}

// versionString is "comethook v1.2.3 (commit abc1234, built 2026-11-27) go1.26.8 linux/amd64".
// go install builds carry no linker flags, so the module's build info fills the gaps.
func versionString(b Build) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" || b.Version == "dev" {
			if v := info.Main.Version; v != "" && v != "(devel)" {
				b.Version = v
			}
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && b.Commit == "":
				b.Commit = s.Value
			case s.Key == "vcs.time" && b.Date == "":
				b.Date = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if len(b.Commit) > 12 {
		b.Commit = b.Commit[:12]
	}
	s := "comethook " + b.Version
	switch {
	case b.Commit != "" && b.Date != "":
		s += fmt.Sprintf(" (commit %s, built %s)", b.Commit, b.Date)
	case b.Commit != "":
		s += fmt.Sprintf(" (commit %s)", b.Commit)
	case b.Date != "":
		s += fmt.Sprintf(" (built %s)", b.Date)
	}
	return s + fmt.Sprintf(" %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
