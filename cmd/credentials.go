package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// basicAuthHelp is the --basic-auth help of every command that takes it.
const basicAuthHelp = "user:pass, @FILE or - (stdin) holding it, or $COMETHOOK_BASIC_AUTH; " +
	"on the command line a password is visible to every user of the machine (ps)"

// resolveBasicAuth resolves --basic-auth: the value itself, @FILE (its first line), - (the first
// line of stdin), or else $COMETHOOK_BASIC_AUTH. The file and stdin forms keep the password
// out of the process list. Errors never quote the credentials.
func resolveBasicAuth(e *env, flag string) (string, error) {
	v := flag
	switch {
	case flag == "":
		v = e.getenv("COMETHOOK_BASIC_AUTH")
	case flag == "-":
		line, err := firstLine(e.streams.In)
		if err != nil {
			return "", usageErr(fmt.Errorf("--basic-auth -: reading stdin: %w", err), "")
		}
		v = line
	case strings.HasPrefix(flag, "@"):
		name := flag[1:]
		f, err := os.Open(name)
		if err != nil {
			return "", usageErr(fmt.Errorf("--basic-auth %s: %w", flag, errors.Unwrap(err)), "the file holds user:pass on its first line")
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows" {
			e.p.Warn(fmt.Sprintf("--basic-auth %s: the file can be read by other users (chmod 600 %s)", flag, name))
		}
		if v, err = firstLine(f); err != nil {
			return "", usageErr(fmt.Errorf("--basic-auth %s: %w", flag, err), "")
		}
	}
	if v != "" && !strings.Contains(v, ":") {
		return "", usageErr(errors.New("--basic-auth wants user:pass"), "")
	}
	return v, nil
}

// firstLine reads up to the first newline (at most 4 KiB), without the line ending.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
