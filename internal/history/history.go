// Package history is the capture log of `comethook listen`: every delivery is appended to a
// JSON-lines file as it happens, so that `comethook events` and `comethook replay` can show and
// resend it later, and any payload can be saved as a fixture that `comethook send` plays.
//
// A capture file holds one record.Record per line, the same object `listen --json` prints.
// By default each listen run gets its own file in the user's cache directory (NewRunPath), and
// old runs are pruned past a size bound (Prune). Files are read line by line (Scan), so a
// 100 MiB capture never sits in memory, and a damaged line costs that line alone.
//
// Captures hold chat content and request headers: files are created 0600 and directories 0700.
// Another user of the machine must not be able to plant a link or a file where listen writes
// or where events and replay read: see CheckDir and OpenFile.
// The package never prints; what went wrong while reading comes back as warnings.
package history

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoCaptures says the capture directory holds no capture file.
var ErrNoCaptures = errors.New("no captured deliveries yet: run comethook listen first")

// Dir is the default capture directory: os.UserCacheDir()/comethook.
func Dir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locating the capture directory: %w", err)
	}
	return filepath.Join(d, "comethook"), nil
}

// Run file names are listen-<UTC yyyymmdd-hhmmss>-<pid>.jsonl. The time is UTC so that name
// order is time order across time zone and daylight saving changes; the pid keeps two runs
// started in the same second apart.
const (
	runPrefix    = "listen-"
	runSuffix    = ".jsonl"
	runStamp     = "20060102-150405"
	runStampSize = len(runStamp)
)

// NewRunPath names a new capture file in dir for a listen run started at t. Names sort by
// start time.
func NewRunPath(dir string, t time.Time) string {
	return filepath.Join(dir, fmt.Sprintf("%s%s-%d%s", runPrefix, t.UTC().Format(runStamp), os.Getpid(), runSuffix))
}

// parseRunName returns the stamp and pid of a NewRunPath name, or of its OlderPart; ok is
// false for any other name.
func parseRunName(name string) (stamp string, pid int, ok bool) {
	rest, ok1 := strings.CutPrefix(name, runPrefix)
	rest, ok2 := strings.CutSuffix(rest, runSuffix)
	rest, _ = strings.CutSuffix(rest, olderInfix)
	if !ok1 || !ok2 || len(rest) < runStampSize+2 || rest[runStampSize] != '-' {
		return "", 0, false
	}
	stamp, pidText := rest[:runStampSize], rest[runStampSize+1:]
	for i := 0; i < len(stamp); i++ {
		if c, sep := stamp[i], runStamp[i] == '-'; sep != (c == '-') || !sep && (c < '0' || c > '9') {
			return "", 0, false
		}
	}
	if len(pidText) > 10 || strings.TrimLeft(pidText, "0123456789") != "" {
		return "", 0, false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil {
		return "", 0, false
	}
	return stamp, pid, true
}

// capture is one run file of a capture directory.
type capture struct {
	path  string
	stamp string
	pid   int
	size  int64
	mod   time.Time
	older bool // the run's OlderPart
}

// listCaptures returns the run files of dir, oldest first; none when dir does not exist.
// Two runs started in the same second are ordered by last write, then pid.
func listCaptures(dir string) ([]capture, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the capture directory: %w", err)
	}
	var caps []capture
	for _, e := range entries {
		stamp, pid, ok := parseRunName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile, by another run's Prune
		}
		caps = append(caps, capture{path: filepath.Join(dir, e.Name()), stamp: stamp, pid: pid, size: info.Size(), mod: info.ModTime(),
			older: strings.HasSuffix(e.Name(), olderInfix+runSuffix)})
	}
	slices.SortFunc(caps, func(a, b capture) int {
		if a.stamp == b.stamp && a.pid == b.pid { // one run: its older part first
			switch {
			case a.older == b.older:
				return 0
			case a.older:
				return -1
			}
			return 1
		}
		return cmp.Or(strings.Compare(a.stamp, b.stamp), a.mod.Compare(b.mod), cmp.Compare(a.pid, b.pid))
	})
	return caps, nil
}

// Latest returns the newest capture file of dir (NewRunPath names only; other files are
// ignored), or ErrNoCaptures when there is none or dir does not exist. Readers of the file
// read its older part too.
func Latest(dir string) (string, error) {
	caps, err := listCaptures(dir)
	if err != nil {
		return "", err
	}
	for i := len(caps) - 1; i >= 0; i-- {
		if !caps[i].older {
			return caps[i].path, nil
		}
	}
	return "", ErrNoCaptures
}

// Prune deletes the oldest capture files of dir (NewRunPath names and their older parts)
// until they total at most maxBytes, and never keep (the current run's file, which counts in
// the total) or its older part. It
// returns the removed paths. A file already gone counts as removed by someone else; other
// failures are joined into the error, and pruning goes on with the next file.
func Prune(dir string, maxBytes int64, keep string) ([]string, error) {
	caps, err := listCaptures(dir)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, c := range caps {
		total += c.size
	}
	isKeep := keeper(keep)
	var removed []string
	var errs []error
	for _, c := range caps {
		if total <= maxBytes {
			break
		}
		if isKeep(c.path) || c.older && isKeep(strings.TrimSuffix(c.path, olderInfix+runSuffix)+runSuffix) {
			continue
		}
		switch err := os.Remove(c.path); {
		case err == nil:
			removed = append(removed, c.path)
			total -= c.size
		case errors.Is(err, fs.ErrNotExist):
			total -= c.size
		default:
			errs = append(errs, fmt.Errorf("pruning old captures: %w", err))
		}
	}
	return removed, errors.Join(errs...)
}

// keeper says whether a path is keep, by absolute path or, when keep exists, by identity (a
// relative or symlinked spelling of the same file).
func keeper(keep string) func(string) bool {
	if keep == "" {
		return func(string) bool { return false }
	}
	keepAbs, _ := filepath.Abs(keep)
	keepInfo, statErr := os.Stat(keep)
	return func(p string) bool {
		if abs, _ := filepath.Abs(p); abs == keepAbs {
			return true
		}
		if statErr != nil {
			return false
		}
		info, err := os.Stat(p)
		return err == nil && os.SameFile(info, keepInfo)
	}
}
