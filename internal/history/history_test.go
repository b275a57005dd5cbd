package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/comethook/comethook/internal/record"
)

func ptr[T any](v T) *T { return &v }

// record is a realistic delivery: a v2 message_sent with a mention, masked credentials.
func recordN(seq int64) record.Record {
	return record.Record{
		Seq:        seq,
		ReceivedAt: "2026-11-27T14:03:07.123456789Z",
		Method:     "POST",
		Path:       "/webhook",
		Trigger:    "message_sent",
		Webhook:    "wh-local",
		AppID:      "2481230c8b1e8d9f",
		Headers: map[string]string{
			"Authorization":   "Basic ****",
			"Content-Type":    "application/json",
			"User-Agent":      "CometChat-Webhooks/2.0",
			"X-Forwarded-For": "203.0.113.7",
			"Accept-Encoding": "gzip",
			"Content-Length":  "1210",
			"X-Request-Id":    "9f1c2e7a-4b3d-4e8f-a1c2-3d4e5f6a7b8c",
			"Traceparent":     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		},
		Payload:  json.RawMessage(`{"trigger":"message_sent","data":{"message":{"id":"41","conversationId":"group_cometchat-guid-1","sender":"cometchat-uid-1","receiverType":"group","receiver":"cometchat-guid-1","category":"message","type":"text","data":{"text":"hi <@uid:cometchat-uid-2> & welcome <b>","entities":{"sender":{"entity":{"uid":"cometchat-uid-1","name":"Andrew Joseph","role":"default","status":"online","lastActiveAt":1764252187},"entityType":"user"},"receiver":{"entity":{"guid":"cometchat-guid-1","name":"Hiking Group","type":"public","membersCount":12,"owner":"cometchat-uid-1"},"entityType":"group"}}},"metadata":{"@injected":{"extensions":{"link-preview":{"links":[]}}}},"tags":["onboarding"],"sentAt":1764252187,"updatedAt":1764252187}},"appId":"2481230c8b1e8d9f","region":"us","webhook":"wh-local"}`),
		Response: record.Response{Status: 200, Body: json.RawMessage(`{"ok":true}`), DurationMs: 0.412, Source: "mock"},
		Outcome:  "delivered",
	}
}

func writeAll(t testing.TB, path string, recs ...record.Record) {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func scanAll(t *testing.T, path string) ([]record.Record, []string) {
	t.Helper()
	var got []record.Record
	warnings, err := Scan(path, func(r record.Record) error {
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, warnings
}

func TestWriteScanRoundTrip(t *testing.T) {
	raw := "{ \"trigger\": \"message_sent\", \"data\": {} }"
	notJSON := "hello <world> & co"
	recs := []record.Record{
		recordN(1),
		func() record.Record { // JSON with other spacing: the raw body is kept beside the payload
			r := recordN(2)
			r.Payload = json.RawMessage(`{"trigger":"message_sent","data":{}}`)
			r.Body = &raw
			r.DuplicateOf = ptr(int64(1))
			r.Warnings = []string{"retry of #1"}
			return r
		}(),
		func() record.Record { // not JSON: rejected, no payload, an answer as text
			r := recordN(3)
			r.Trigger, r.Webhook, r.AppID = "", "", ""
			r.Payload = json.RawMessage("null")
			r.Body = &notJSON
			r.Response = record.Response{Status: 400, Body: "bad request <b>", DurationMs: 0.05, Source: "mock"}
			r.Outcome, r.Error = "rejected", ptr("the body is not JSON")
			return r
		}(),
		func() record.Record { // forwarded, empty answer, query, assumptions
			r := recordN(4)
			r.Query = "a=1&b=<2>"
			r.Response = record.Response{Status: 204, DurationMs: 12.5, Source: "forward"}
			r.Assumptions = []string{"webhook id from the path"}
			return r
		}(),
	}
	path := filepath.Join(t.TempDir(), "run.jsonl")
	writeAll(t, path, recs...)

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n != len(recs) || data[len(data)-1] != '\n' {
		t.Errorf("file has %d newlines (want %d, one per record, last byte newline)", n, len(recs))
	}
	for _, want := range []string{`<@uid:cometchat-uid-2> & welcome <b>`, `"body":"hello <world> & co"`, `"query":"a=1&b=<2>"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("file lacks %s as written (HTML-escaped?)", want)
		}
	}
	if bytes.Contains(data, []byte(`\u003c`)) || bytes.Contains(data, []byte(`\u0026`)) {
		t.Error("file holds HTML escapes")
	}

	got, warnings := scanAll(t, path)
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("records read back differ:\ngot  %+v\nwant %+v", got, recs)
	}
	if got := string(got[1].RawBody()); got != raw {
		t.Errorf("RawBody of #2 = %q, want the raw body %q", got, raw)
	}
}

func TestCreateModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := filepath.Join(t.TempDir(), "cache", "comethook")
	path := filepath.Join(dir, "run.jsonl")
	writeAll(t, path, recordN(1))
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700 | os.ModeDir}, {path, 0o600}} {
		info, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, info.Mode(), c.want)
		}
	}
}

func TestCreateAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	writeAll(t, path, recordN(1), recordN(2))
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:len(data)-40], 0o600); err != nil { // #2 cut mid-line
		t.Fatal(err)
	}
	writeAll(t, path, recordN(3))

	got, warnings := scanAll(t, path)
	if seqs := seqsOf(got); !slices.Equal(seqs, []int64{1, 3}) {
		t.Errorf("seqs %v, want [1 3]: the record after the broken line must stay whole", seqs)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], path+":2: skipped: not valid JSON") {
		t.Errorf("warnings %q, want one for line 2", warnings)
	}
}

func seqsOf(recs []record.Record) []int64 {
	var s []int64
	for _, r := range recs {
		s = append(s, r.Seq)
	}
	return s
}

func TestConcurrentReader(t *testing.T) {
	const n = 300
	path := filepath.Join(t.TempDir(), "run.jsonl")
	want := make([]record.Record, n+1)
	for i := 1; i <= n; i++ {
		r := recordN(int64(i))
		if i%10 == 0 { // larger records make a read racing a write more likely
			r.Payload = json.RawMessage(fmt.Sprintf(`{"trigger":"message_sent","data":{"text":%q}}`, strings.Repeat("x", 200<<10)))
		}
		want[i] = r
	}
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		defer w.Close()
		for i := 1; i <= n; i++ {
			if err := w.Write(want[i]); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()

	var writeErr error
	finished := false
	partial, truncated := 0, 0
	for pass := 0; ; pass++ {
		var got []record.Record
		warnings, err := Scan(path, func(r record.Record) error {
			got = append(got, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			if r.Seq != int64(i+1) || !reflect.DeepEqual(r, want[r.Seq]) {
				t.Fatalf("pass %d: record %d is not delivery #%d as written", pass, i, i+1)
			}
		}
		for _, w := range warnings {
			if !strings.Contains(w, fmt.Sprintf(":%d: skipped: truncated record", len(got)+1)) {
				t.Fatalf("pass %d: unexpected warning %q (%d records read)", pass, w, len(got))
			}
		}
		if finished {
			if len(got) != n || len(warnings) > 0 {
				t.Fatalf("after the writer: %d records, warnings %q", len(got), warnings)
			}
			t.Logf("%d passes, %d while writing, %d saw a record being written", pass+1, partial, truncated)
			break
		}
		if len(got) < n {
			partial++
		}
		truncated += len(warnings)
		select {
		case writeErr = <-done:
			finished = true
		default:
		}
	}
	if writeErr != nil {
		t.Fatal(writeErr)
	}
}

func TestScanDamage(t *testing.T) {
	line := func(seq int64) string {
		b, _ := json.Marshal(recordN(seq))
		return string(b) + "\n"
	}
	full := line(3)
	cases := []struct {
		name     string
		content  string
		seqs     []int64
		warnings []string // after "<path>:"
	}{
		{"empty file", "", nil, nil},
		{"blank lines", "\n" + line(1) + "\n  \n" + line(2), []int64{1, 2}, nil},
		{"crlf", strings.TrimSuffix(line(1), "\n") + "\r\n" + line(2), []int64{1, 2}, nil},
		{"corrupt line in the middle", line(1) + "{\"seq\":2,\"method\":\"PO\x00\n" + line(3), []int64{1, 3},
			[]string{`2: skipped: not valid JSON: invalid character '\x00' in string literal (at byte 22)`}},
		{"garbage", line(1) + "hello\n" + line(2), []int64{1, 2},
			[]string{`2: skipped: not valid JSON: invalid character 'h' looking for beginning of value (at byte 1)`}},
		{"not an object", "[1,2]\n" + line(1), []int64{1}, []string{`1: skipped: not a delivery record (a JSON array, not an object)`}},
		{"wrong field type", `{"seq":"one"}` + "\n" + line(1), []int64{1}, []string{`1: skipped: not a delivery record ("seq" is a JSON string)`}},
		{"wrong nested type", `{"seq":1,"response":{"status":"ok"}}` + "\n" + line(2), []int64{2}, []string{`1: skipped: not a delivery record ("response.status" is a JSON string)`}},
		{"no seq", `{"method":"POST"}` + "\n" + line(1), []int64{1}, []string{`1: skipped: not a delivery record (no seq)`}},
		{"truncated last line", line(1) + line(2) + full[:len(full)/2], []int64{1, 2},
			[]string{`3: skipped: truncated record at the end of the file (listen stopped while writing it, or is still writing it)`}},
		{"last line complete without newline", line(1) + strings.TrimSuffix(full, "\n"), []int64{1, 3}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run.jsonl")
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, warnings := scanAll(t, path)
			if seqs := seqsOf(got); !slices.Equal(seqs, c.seqs) {
				t.Errorf("seqs %v, want %v", seqs, c.seqs)
			}
			var want []string
			for _, w := range c.warnings {
				want = append(want, path+":"+w)
			}
			if !slices.Equal(warnings, want) {
				t.Errorf("warnings\n got %q\nwant %q", warnings, want)
			}
		})
	}
}

func TestScanMissingFile(t *testing.T) {
	_, err := Scan(filepath.Join(t.TempDir(), "nope.jsonl"), func(record.Record) error { return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want not exist", err)
	}
}

func TestScanStopsOnCallbackError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	writeAll(t, path, recordN(1), recordN(2), recordN(3))
	stop := errors.New("stop")
	calls := 0
	_, err := Scan(path, func(record.Record) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("err %v after %d calls, want stop after 1", err, calls)
	}
}

func TestScanHugeLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	huge := recordN(2)
	huge.Payload = json.RawMessage(`{"trigger":"message_sent","data":{"text":"` + strings.Repeat("<&>", 7<<20) + `"}}`) // 21 MiB
	writeAll(t, path, recordN(1), huge, recordN(3))
	got, warnings := scanAll(t, path)
	if len(warnings) > 0 || !slices.Equal(seqsOf(got), []int64{1, 2, 3}) {
		t.Fatalf("seqs %v, warnings %q", seqsOf(got), warnings)
	}
	if !bytes.Equal(got[1].Payload, huge.Payload) {
		t.Error("the huge payload did not come back as written")
	}
}

func TestScanLineTooLong(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	long := recordN(2)
	long.Payload = json.RawMessage(`{"text":"` + strings.Repeat("x", 3*readBuffer) + `"}`)
	writeAll(t, path, recordN(1), long, recordN(3), long)
	limit := 2 * readBuffer
	var got []record.Record
	warnings, err := scan(path, limit, func(r record.Record) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seqsOf(got), []int64{1, 3}) {
		t.Errorf("seqs %v, want [1 3]", seqsOf(got))
	}
	want := []string{path + ":2: skipped: line longer than 128 KiB", path + ":4: skipped: line longer than 128 KiB"}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings %q, want %q", warnings, want)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.jsonl")
	writeAll(t, path, recordN(1), recordN(2), recordN(3))
	empty := filepath.Join(dir, "empty.jsonl")
	writeAll(t, empty)

	cases := []struct {
		path    string
		seq     int64
		wantErr string
	}{
		{path, 2, ""},
		{path, 9, fmt.Sprintf("no delivery #9 in %s (it has #1–#3)", path)},
		{empty, 1, fmt.Sprintf("no delivery #1 in %s (it has none)", empty)},
	}
	for _, c := range cases {
		r, warnings, err := Find(c.path, c.seq)
		if len(warnings) > 0 {
			t.Errorf("Find(%d): warnings %q", c.seq, warnings)
		}
		if c.wantErr == "" {
			if err != nil || !reflect.DeepEqual(r, recordN(c.seq)) {
				t.Errorf("Find(%d) = #%d, %v; want the record", c.seq, r.Seq, err)
			}
			continue
		}
		if err == nil || err.Error() != c.wantErr {
			t.Errorf("Find(%d) error %v, want %q", c.seq, err, c.wantErr)
		}
	}
	if _, _, err := Find(filepath.Join(dir, "nope.jsonl"), 1); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Find on a missing file: %v", err)
	}
}

func TestNewRunPath(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	got := NewRunPath("/c", time.Date(2026, 11, 27, 15, 3, 7, 0, zone))
	want := filepath.Join("/c", fmt.Sprintf("listen-20261127-140307-%d.jsonl", os.Getpid()))
	if got != want {
		t.Errorf("NewRunPath = %s, want %s (UTC)", got, want)
	}
	if _, _, ok := parseRunName(filepath.Base(got)); !ok {
		t.Error("NewRunPath's name is not recognised as a capture")
	}
	for _, name := range []string{"listen-20261127-140307-.jsonl", "listen-2026112-140307-1.jsonl", "listen-20261127x140307-1.jsonl",
		"listen-20261127-140307-1.json", "listen-20261127-140307-1a.jsonl", "x-20261127-140307-1.jsonl", "listen-20261127-14030-71.jsonl"} {
		if _, _, ok := parseRunName(name); ok {
			t.Errorf("%s taken for a capture name", name)
		}
	}
}

// touch creates dir/name with size bytes, modified at mod.
func touch(t *testing.T, dir, name string, size int, mod time.Time) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, bytes.Repeat([]byte("x"), size), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLatest(t *testing.T) {
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	touch(t, dir, "listen-20261127-140307-99.jsonl", 10, old)
	want := touch(t, dir, "listen-20261128-090000-7.jsonl", 10, old)
	touch(t, dir, "listen-20261126-235959-123456.jsonl", 10, old.Add(time.Hour)) // written later, started earlier
	touch(t, dir, "listen-20991231-000000-1.txt", 10, old)
	touch(t, dir, "zz-notes.jsonl", 10, old)
	touch(t, dir, "listen-latest.jsonl", 10, old)
	if err := os.Mkdir(filepath.Join(dir, "listen-20991231-000000-1.jsonl"), 0o700); err != nil {
		t.Fatal(err)
	}
	if got, err := Latest(dir); err != nil || got != want {
		t.Errorf("Latest = %s, %v; want %s", got, err, want)
	}

	// Same second: the one written last is the latest, whatever its pid.
	same := t.TempDir()
	touch(t, same, "listen-20261127-140307-999.jsonl", 10, old)
	want = touch(t, same, "listen-20261127-140307-1000.jsonl", 10, old.Add(time.Second))
	if got, err := Latest(same); err != nil || got != want {
		t.Errorf("Latest (same second) = %s, %v; want %s", got, err, want)
	}
}

func TestLatestNoCaptures(t *testing.T) {
	foreign := t.TempDir()
	touch(t, foreign, "notes.txt", 1, time.Now())
	for name, dir := range map[string]string{
		"empty":         t.TempDir(),
		"missing":       filepath.Join(t.TempDir(), "nope"),
		"foreign files": foreign,
	} {
		if _, err := Latest(dir); !errors.Is(err, ErrNoCaptures) {
			t.Errorf("%s: err %v, want ErrNoCaptures", name, err)
		}
	}
	if want := "no captured deliveries yet: run comethook listen first"; ErrNoCaptures.Error() != want {
		t.Errorf("ErrNoCaptures = %q", ErrNoCaptures)
	}
}

func TestPrune(t *testing.T) {
	names := []string{ // oldest first
		"listen-20261120-100000-1.jsonl",
		"listen-20261121-100000-1.jsonl",
		"listen-20261122-100000-1.jsonl",
		"listen-20261123-100000-1.jsonl",
	}
	cases := []struct {
		name    string
		max     int64
		keep    int // index into names, -1 for none
		removed []int
	}{
		{"under the bound", 400, 3, nil},
		{"at the bound", 400, -1, nil},
		{"oldest first", 250, 3, []int{0, 1}},
		{"keep is never removed, even when oldest", 150, 0, []int{1, 2, 3}},
		{"keep alone above the bound", 50, 3, []int{0, 1, 2}},
		{"zero without keep", 0, -1, []int{0, 1, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for _, n := range names {
				paths = append(paths, touch(t, dir, n, 100, time.Now()))
			}
			foreign := []string{
				touch(t, dir, "notes.txt", 1000, time.Unix(0, 0)),
				touch(t, dir, "listen-19990101-000000-1.json", 1000, time.Unix(0, 0)),
			}
			keep := ""
			if c.keep >= 0 {
				keep = paths[c.keep]
			}
			removed, err := Prune(dir, c.max, keep)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, i := range c.removed {
				want = append(want, paths[i])
			}
			if !slices.Equal(removed, want) {
				t.Errorf("removed %v, want %v", removed, want)
			}
			for i, p := range paths {
				_, err := os.Stat(p)
				if gone := slices.Contains(c.removed, i); gone != errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s: removed %v, stat %v", p, gone, err)
				}
			}
			for _, p := range append(foreign, keep) {
				if _, err := os.Stat(p); p != "" && err != nil {
					t.Errorf("%s touched: %v", p, err)
				}
			}
		})
	}
}

func TestPruneKeepRelative(t *testing.T) {
	dir := t.TempDir()
	keep := touch(t, dir, "listen-20261120-100000-1.jsonl", 100, time.Now())
	other := touch(t, dir, "listen-20261121-100000-1.jsonl", 100, time.Now())
	t.Chdir(dir)
	removed, err := Prune(dir, 0, "./"+filepath.Base(keep))
	if err != nil || !slices.Equal(removed, []string{other}) {
		t.Errorf("removed %v, %v; want only %s", removed, err, other)
	}
	if _, err := Prune(filepath.Join(dir, "nope"), 0, ""); err != nil {
		t.Errorf("Prune of a missing directory: %v", err)
	}
}

func TestFixtureName(t *testing.T) {
	cases := []struct {
		seq     int64
		trigger string
		want    string
	}{
		{1, "message_sent", "1-message_sent.json"},
		{12, "after_message", "12-after_message.json"},
		{3, "", "3-unknown.json"},
		{4, "../../x", "4-x.json"},
		{5, "/etc/passwd", "5-etc_passwd.json"},
		{6, `..\..\Windows`, "6-windows.json"},
		{7, "Message Sent!", "7-message_sent.json"},
		{8, "..", "8-unknown.json"},
		{9, "nul\x00byte\n", "9-nul_byte.json"},
		{10, "héllo", "10-h_llo.json"},
		{11, strings.Repeat("a", 100), "11-" + strings.Repeat("a", 64) + ".json"},
	}
	for _, c := range cases {
		if got := (record.Record{Seq: c.seq, Trigger: c.trigger}).FixtureName(); got != c.want {
			t.Errorf("%q.FixtureName() = %q, want %q", c.trigger, got, c.want)
		}
	}
}

func TestSaveFixture(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "saved")
	r := recordN(4)
	r.Trigger = "../../x"
	var paths []string
	for range 2 {
		p, err := SaveFixture(dir, r)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		if filepath.Dir(p) != dir {
			t.Errorf("%s is outside %s", p, dir)
		}
	}
	if want := []string{filepath.Join(dir, "4-x.json"), filepath.Join(dir, "4-x-2.json")}; !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v (never overwrite)", paths, want)
	}
	got, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := r.Fixture(); !bytes.Equal(got, want) {
		t.Error("saved file is not r.Fixture()")
	}
	if _, err := SaveFixture(dir, record.Record{Seq: 5, Payload: json.RawMessage("null")}); err == nil {
		t.Error("saved a delivery without a payload")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in %s, want 2", len(entries), dir)
	}
}

func TestFixture(t *testing.T) {
	got, err := (record.Record{Seq: 1, Payload: json.RawMessage(`{"trigger":"message_sent","z":1,"a":{"text":"<@uid:x> & <b>","n":[1,2.50,{}],"e":[]}}`)}).Fixture()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "trigger": "message_sent",
  "z": 1,
  "a": {
    "text": "<@uid:x> & <b>",
    "n": [
      1,
      2.50,
      {}
    ],
    "e": []
  }
}
`
	if string(got) != want {
		t.Errorf("Fixture =\n%s\nwant\n%s", got, want)
	}

	// The realistic payload: valid, a JSON object, the same JSON as the payload.
	r := recordN(2)
	got, err = r.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("fixture is not valid JSON: %v", err)
	}
	if err := json.Unmarshal(r.Payload, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("fixture differs from the payload as JSON")
	}
	if _, ok := a.(map[string]any); !ok || !bytes.HasSuffix(got, []byte("}\n")) {
		t.Error("fixture is not an object ending with a newline")
	}
}

func TestFixtureErrors(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		want    string
	}{
		{"null", "null", "delivery #7 has no JSON payload to save as a fixture: its body was not JSON"},
		{"missing", "", "delivery #7 has no JSON payload to save as a fixture: its body was not JSON"},
		{"array", "[1]", "delivery #7: the payload is not a JSON object, so send cannot play it"},
		{"invalid", `{"a":`, "delivery #7: the payload is not valid JSON: unexpected end of JSON input"},
	}
	for _, c := range cases {
		_, err := (record.Record{Seq: 7, Payload: json.RawMessage(c.payload)}).Fixture()
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}

func TestWriterConcurrentFiles(t *testing.T) {
	// Two runs writing their own files at once (the race detector watches shared state).
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			writeAll(t, filepath.Join(dir, fmt.Sprintf("run%d.jsonl", i)), recordN(1), recordN(2))
		})
	}
	wg.Wait()
}

func BenchmarkWriterWrite(b *testing.B) {
	r := recordN(1)
	line, _ := json.Marshal(r)
	w, err := Create(filepath.Join(b.TempDir(), "run.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.SetBytes(int64(len(line)) + 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAddFlushesLongBursts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "burst.jsonl")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	payload := json.RawMessage(`{"trigger":"message_sent","data":{"text":"` + strings.Repeat("x", 1000) + `"}}`)
	for i := int64(1); i <= 200; i++ { // ~200 KB, never flushed by the caller
		if err := w.Add(record.Record{Seq: i, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.pending) >= flushAt {
		t.Errorf("%d bytes pending: Add should write once past %d", len(w.pending), flushAt)
	}
	info, _ := os.Stat(path)
	if info.Size() < 100<<10 {
		t.Errorf("only %d bytes on disk after a 200 KB burst", info.Size())
	}
}

// Records that never reach the file are counted: a failed write loses the batch it held
// (a full disk), and Lost says how many, so listen does not claim a complete capture.
func TestWriterCountsLost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(recordN(1)); err != nil {
		t.Fatal(err)
	}
	for seq := int64(2); seq <= 4; seq++ {
		if err := w.Add(recordN(seq)); err != nil {
			t.Fatal(err)
		}
	}
	w.f.Close() // every write fails from here, as on a full disk
	if err := w.Flush(); err == nil {
		t.Fatal("Flush after the file failed: no error")
	}
	if got := w.Lost(); got != 3 {
		t.Errorf("Lost = %d after a failed batch of 3, want 3", got)
	}
	if err := w.Write(recordN(5)); err == nil || w.Lost() != 4 {
		t.Errorf("a further write: err %v, Lost %d, want an error and 4", err, w.Lost())
	}
	var seqs []int64
	if _, err := Scan(path, func(r record.Record) error { seqs = append(seqs, r.Seq); return nil }); err != nil || len(seqs) != 1 {
		t.Errorf("the file holds %v (%v), want only #1", seqs, err)
	}
}
