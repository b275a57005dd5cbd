package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/comethook/comethook/internal/receiver"
)

// maxTriggerName bounds the trigger part of a fixture's file name.
const maxTriggerName = 64

// FixtureName is the file name of the record's fixture: "<seq>-<trigger>.json", or
// "<seq>-unknown.json" without a trigger. The trigger comes from the payload, so it is cut
// down to lower-case letters, digits and underscores: a hostile "../../x" names no other
// directory.
func FixtureName(r receiver.Record) string {
	t := strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
			return c
		case c >= 'A' && c <= 'Z':
			return c + 'a' - 'A'
		}
		return '_'
	}, r.Trigger)
	t = strings.Trim(t, "_")
	if len(t) > maxTriggerName {
		t = strings.TrimRight(t[:maxTriggerName], "_")
	}
	if t == "" {
		t = "unknown"
	}
	return fmt.Sprintf("%d-%s.json", r.Seq, t)
}

// Fixture returns the record's payload as a fixture `comethook send` reads as it is: indented
// by two spaces, keys in the order they arrived, strings untouched (no HTML escaping), ending
// with a newline. It is an error when the payload is not a JSON object (the body was not JSON,
// so there is nothing send could play).
func Fixture(r receiver.Record) ([]byte, error) {
	p := bytes.TrimSpace(r.Payload)
	if len(p) == 0 || string(p) == "null" {
		return nil, fmt.Errorf("delivery #%d has no JSON payload to save as a fixture: its body was not JSON", r.Seq)
	}
	var buf bytes.Buffer
	buf.Grow(len(p) + len(p)/2)
	if err := json.Indent(&buf, p, "", "  "); err != nil {
		return nil, fmt.Errorf("delivery #%d: the payload is not valid JSON: %w", r.Seq, err)
	}
	if p[0] != '{' {
		return nil, fmt.Errorf("delivery #%d: the payload is not a JSON object, so send cannot play it", r.Seq)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// maxNameTries bounds the search for a free fixture name.
const maxNameTries = 1000

// SaveFixture writes Fixture(r) to dir/FixtureName(r), creating dir (mode 0700) when missing,
// and returns the file's path. Fixtures hold chat content, so files are created 0600. An
// existing file is never overwritten: a second listen run saving into the same directory
// restarts at #1, so the name gets a suffix instead ("1-message_sent-2.json").
func SaveFixture(dir string, r receiver.Record) (string, error) {
	data, err := Fixture(r)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the fixture directory: %w", err)
	}
	base := strings.TrimSuffix(FixtureName(r), ".json")
	for i := 1; i <= maxNameTries; i++ {
		name := base + ".json"
		if i > 1 {
			name = fmt.Sprintf("%s-%d.json", base, i)
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("saving delivery #%d as a fixture: %w", r.Seq, err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", fmt.Errorf("saving delivery #%d as a fixture: %w", r.Seq, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("saving delivery #%d as a fixture: %s-2.json to %s-%d.json all exist in %s", r.Seq, base, base, maxNameTries, dir)
}
