package history

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/comethook/comethook/internal/record"
)

// victim is a file of the user's outside the capture directory, which a link planted in
// the directory points to.
func victim(t *testing.T) (path, content string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "victim.txt")
	content = "the user's own file\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, content
}

func symlinkOrSkip(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
}

func wantUnsafe(t *testing.T, err error, reason string) {
	t.Helper()
	var ue *UnsafeError
	if !errors.As(err, &ue) || ue.Reason != reason {
		t.Fatalf("err %v, want an UnsafeError %q", err, reason)
	}
}

func TestHardeningCreateRefusesSymlink(t *testing.T) {
	vpath, vcontent := victim(t)
	dir := t.TempDir()
	for _, c := range []struct{ name, target string }{
		{"to a file", vpath},
		{"dangling", filepath.Join(filepath.Dir(vpath), "created-through-the-link.jsonl")},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "listen-"+strings.ReplaceAll(c.name, " ", "-")+".jsonl")
			symlinkOrSkip(t, c.target, path)
			w, err := Create(path)
			if err == nil {
				w.Write(recordN(1))
				w.Close()
			}
			wantUnsafe(t, err, "it is a symbolic link")
			if got, _ := os.ReadFile(vpath); string(got) != vcontent {
				t.Errorf("the victim file now holds %q", got)
			}
			if _, err := os.Lstat(filepath.Join(filepath.Dir(vpath), "created-through-the-link.jsonl")); err == nil {
				t.Error("a file was created where the dangling link points")
			}
		})
	}
}

func TestHardeningCreateRefusesHardLink(t *testing.T) {
	vpath, vcontent := victim(t)
	path := filepath.Join(t.TempDir(), "run.jsonl")
	if err := os.Link(vpath, path); err != nil {
		t.Skipf("cannot make a hard link here: %v", err)
	}
	w, err := Create(path)
	if err == nil {
		w.Write(recordN(1))
		w.Close()
	}
	wantUnsafe(t, err, "it has 2 hard links")
	if got, _ := os.ReadFile(vpath); string(got) != vcontent {
		t.Errorf("the victim file now holds %q", got)
	}
}

// TestHardeningCreateAppendsToOwnFile: what is refused is only what someone could have
// planted; an earlier run's file (--capture FILE) is appended to, never truncated.
func TestHardeningCreateAppendsToOwnFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	writeAll(t, path, recordN(1))
	writeAll(t, path, recordN(2))
	got, warnings := scanAll(t, path)
	if len(warnings) > 0 || !slices.Equal(seqsOf(got), []int64{1, 2}) {
		t.Errorf("seqs %v, warnings %q", seqsOf(got), warnings)
	}
}

func TestHardeningOpenFileRefusesSymlink(t *testing.T) {
	vpath, _ := victim(t)
	link := filepath.Join(t.TempDir(), "listening-1.json")
	symlinkOrSkip(t, vpath, link)
	for _, flag := range []int{os.O_RDONLY, os.O_WRONLY | os.O_CREATE | os.O_EXCL} {
		f, err := OpenFile(link, flag, 0o600)
		if err == nil {
			f.Close()
		}
		wantUnsafe(t, err, "it is a symbolic link")
	}
	if _, err := OpenFile(link, os.O_RDONLY, 0); err.Error() != fmt.Sprintf("refusing %s: it is a symbolic link", link) {
		t.Errorf("error %q", err)
	}
}

func TestHardeningCheckDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no owner and mode bits")
	}
	base := t.TempDir()
	mk := func(name string, mode os.FileMode) string {
		p := filepath.Join(base, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	own := mk("own", 0o700)
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	link := filepath.Join(base, "link")
	symlinkOrSkip(t, own, link)
	for _, c := range []struct {
		name, dir, reason string // reason "": accepted
	}{
		{"missing", filepath.Join(base, "nope"), ""},
		{"0700", own, ""},
		{"0755", mk("readable", 0o755), ""},
		{"the user's own link to a private directory", link, ""},
		{"group-writable", mk("group", 0o770), "other users can write to it (mode 0770)"},
		{"world-writable", mk("world", 0o777), "other users can write to it (mode 0777)"},
		{"sticky and world-writable, like /tmp", mk("tmp", 0o777|os.ModeSticky), "other users can write to it (mode 0777)"},
		{"not a directory", file, "it is not a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckDir(c.dir)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantUnsafe(t, err, c.reason)
			if want := fmt.Sprintf("refusing the capture directory %s: %s", c.dir, c.reason); err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
		})
	}
}

func TestHardeningScanWarningsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-a-capture.jsonl")
	if err := os.WriteFile(path, []byte(strings.Repeat("hello\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, warnings := scanAll(t, path)
	if len(warnings) != MaxWarnings+1 {
		t.Fatalf("%d warnings for 1000 damaged lines, want %d", len(warnings), MaxWarnings+1)
	}
	if got, want := warnings[MaxWarnings], path+": 900 more lines skipped"; got != want {
		t.Errorf("last warning %q, want %q", got, want)
	}
}

func TestHardeningStreamWarnsAsItReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	line, _ := recordN(1).AppendLine(nil)
	os.WriteFile(path, append(append(line, "hello\n"...), line...), 0o600)
	var events []string
	err := Stream(path, func(r record.Record) error {
		events = append(events, fmt.Sprint("#", r.Seq))
		return nil
	}, func(w string) { events = append(events, strings.TrimPrefix(w, path)) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"#1", `:2: skipped: not valid JSON: invalid character 'h' looking for beginning of value (at byte 1)`, "#1"}
	if !slices.Equal(events, want) {
		t.Errorf("got %q, want %q", events, want)
	}
}

// TestHardeningFindOtherSpellings: Find skips the lines of other deliveries by the seq at
// their start, and still decodes lines spelled otherwise, which may be the one it looks for.
func TestHardeningFindOtherSpellings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	reordered := `{"method":"POST","seq":2,"payload":{"trigger":"message_sent"},"response":{"status":200}}` + "\n"
	spaced := `{ "seq": 3, "payload": {}, "response": {"status": 200} }` + "\n"
	one, _ := recordN(1).AppendLine(nil)
	newer := recordN(1)
	newer.Outcome = "failed"
	oneAgain, _ := newer.AppendLine(nil)
	os.WriteFile(path, []byte(string(one)+reordered+spaced+string(oneAgain)), 0o600)
	for seq, check := range map[int64]func(record.Record) bool{
		1: func(r record.Record) bool { return r.Outcome == "failed" }, // the last of the same seq
		2: func(r record.Record) bool { return r.Method == "POST" },
		3: func(r record.Record) bool { return r.Response.Status == 200 },
	} {
		r, warnings, err := Find(path, seq)
		if err != nil || len(warnings) > 0 || r.Seq != seq || !check(r) {
			t.Errorf("Find(%d) = %+v, %q, %v", seq, r, warnings, err)
		}
	}
	if _, _, err := Find(path, 7); err == nil || !strings.HasSuffix(err.Error(), "(it has #1–#3)") {
		t.Errorf("Find(7): %v", err)
	}
}

func TestHardeningPeekSeq(t *testing.T) {
	for _, c := range []struct {
		line string
		seq  int64
		ok   bool
	}{
		{`{"seq":12,"method":"POST"}`, 12, true},
		{`{"seq":1,`, 1, true},
		{`{"seq":0,`, 0, false},
		{`{"seq":012,`, 0, false},
		{`{"seq":-1,`, 0, false},
		{`{"seq":12}`, 0, false},
		{`{"seq":12`, 0, false},
		{`{"seq":"12",`, 0, false},
		{`{"seq":1234567890123456789,`, 0, false}, // 19 digits: left to the decoder
		{`{ "seq":12,`, 0, false},
		{`{"method":"POST","seq":12,`, 0, false},
	} {
		seq, ok := peekSeq([]byte(c.line))
		if seq != c.seq && c.ok || ok != c.ok {
			t.Errorf("peekSeq(%s) = %d, %v; want %d, %v", c.line, seq, ok, c.seq, c.ok)
		}
	}
}
