package history

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/comethook/comethook/internal/record"
)

// maxNameTries bounds the search for a free fixture name.
const maxNameTries = 1000

// SaveFixture writes r.Fixture() to dir/r.FixtureName(), creating dir (mode 0700) when missing,
// and returns the file's path. Fixtures hold chat content, so files are created 0600. An
// existing file is never overwritten: a second listen run saving into the same directory
// restarts at #1, so the name gets a suffix instead ("1-message_sent-2.json").
func SaveFixture(dir string, r record.Record) (string, error) {
	data, err := r.Fixture()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the fixture directory: %w", err)
	}
	base := strings.TrimSuffix(r.FixtureName(), ".json")
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
