package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/comethook/comethook/internal/bytesize"
	"github.com/comethook/comethook/internal/record"
)

// MaxLine is the longest line Scan reads as a record; a longer one is skipped with a warning.
// It is well above the largest record listen writes with a raised --max-body (the payload and
// the raw body of a 64 MiB delivery, escaped), yet bounds what a damaged file can make Scan
// allocate.
const MaxLine = 256 << 20

// readBuffer is the read size; lines up to it are decoded without being copied.
const readBuffer = 64 << 10

// Scan calls fn with each record of the capture file at path, in file order, reading one line
// at a time. A line that is not a record (corrupt, truncated by a crash mid-write, longer than
// MaxLine) is skipped with a warning "<path>:<line>: skipped: <reason>" and reading goes on;
// past MaxWarnings of them, one last warning counts the rest.
// Blank lines are skipped silently. The error is an I/O error (the file is missing or
// unreadable), or the error fn returned, which stops the scan.
func Scan(path string, fn func(record.Record) error) (warnings []string, err error) {
	return scan(path, MaxLine, fn)
}

// Stream is Scan with each warning handed to warn as it comes rather than returned at the
// end, so that a caller can show a capture of any size as it reads it: then nothing grows
// with the file.
func Stream(path string, fn func(record.Record) error, warn func(string)) error {
	return stream(path, MaxLine, nil, fn, warn)
}

// MaxWarnings bounds the warnings of one read: a file that is not a capture at all would
// otherwise give one per line.
const MaxWarnings = 100

func scan(path string, maxLine int, fn func(record.Record) error) ([]string, error) {
	var warnings []string
	err := stream(path, maxLine, nil, fn, func(w string) { warnings = append(warnings, w) })
	return warnings, err
}

// stream reads the records of the file; want, when not nil, sees each line first and says
// whether it is worth decoding (Find skips the lines of other deliveries by their seq).
func stream(path string, maxLine int, want func(line []byte) bool, fn func(record.Record) error, warnFn func(string)) error {
	warned, unsaid := 0, 0
	for _, part := range parts(path) {
		warn := func(n int, reason string) {
			if warned == MaxWarnings {
				unsaid++
				return
			}
			warned++
			warnFn(fmt.Sprintf("%s:%d: skipped: %s", part, n, reason))
		}
		err := scanLines(part, maxLine, func(n int, line []byte, complete, tooLong bool) error {
			if tooLong {
				warn(n, fmt.Sprintf("line longer than %s", bytesize.Text(int64(maxLine))))
				return nil
			}
			if len(bytes.TrimSpace(line)) == 0 || want != nil && !want(line) {
				return nil
			}
			rec, err := decodeRecord(line)
			if err != nil {
				if !complete {
					warn(n, "truncated record at the end of the file (listen stopped while writing it, or is still writing it)")
				} else {
					warn(n, err.Error())
				}
				return nil
			}
			return fn(rec)
		})
		if err != nil && part != path && errors.Is(err, fs.ErrNotExist) {
			continue // the older part, replaced by a rotation while we looked: its records are gone
		}
		if err != nil {
			return err
		}
	}
	if unsaid > 0 {
		warnFn(fmt.Sprintf("%s: %d more lines skipped", path, unsaid))
	}
	return nil
}

// scanLines calls fn with each line of the file without its line end; complete is false for a
// last line without a newline. A line longer than maxLine is not buffered: fn gets it empty,
// with tooLong set. line is only valid during the call.
func scanLines(path string, maxLine int, fn func(n int, line []byte, complete, tooLong bool) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading the capture file: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, readBuffer)
	var long []byte // the line so far, when it spans more than one read buffer
	tooLong := false
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case tooLong:
		case len(long)+len(chunk) > maxLine+1: // +1: the newline is not part of the line
			tooLong, long = true, long[:0]
		case err == bufio.ErrBufferFull || len(long) > 0:
			long = append(long, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		line := chunk
		if len(long) > 0 || tooLong {
			line = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading the capture file: %w", err)
		}
		if err == io.EOF && len(line) == 0 && !tooLong {
			return nil
		}
		n++
		complete := err == nil
		if complete {
			line = trimLineEnd(line)
		}
		if ferr := fn(n, line, complete, tooLong); ferr != nil {
			return ferr
		}
		if !complete {
			return nil
		}
		long, tooLong = long[:0], false
	}
}

func trimLineEnd(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// diskRecord decodes a line: the answer's body stays as its JSON text rather than becoming a
// map whose keys would be reordered. Its Response shadows the embedded Record's.
type diskRecord struct {
	record.Record
	Response diskResponse `json:"response"`
}

type diskResponse struct {
	Status     int             `json:"status"`
	Body       json.RawMessage `json:"body"`
	DurationMs float64         `json:"durationMs"`
	Source     string          `json:"source"`
}

// decodeRecord decodes one line into the Record that was written: the answer's body comes
// back with the types simulate.BodyValue gives it (nil, a string, or JSON text).
func decodeRecord(line []byte) (record.Record, error) {
	var d diskRecord
	if err := json.Unmarshal(line, &d); err != nil {
		return record.Record{}, decodeReason(err)
	}
	if d.Seq <= 0 {
		return record.Record{}, errors.New("not a delivery record (no seq)")
	}
	rec := d.Record
	rec.Response = record.Response{Status: d.Response.Status, DurationMs: d.Response.DurationMs, Source: d.Response.Source}
	switch b := d.Response.Body; {
	case len(b) == 0 || string(b) == "null":
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return record.Record{}, decodeReason(err) // unreachable: b is a valid JSON string
		}
		rec.Response.Body = s
	default:
		rec.Response.Body = b
	}
	return rec, nil
}

// decodeReason words a decoding error for a warning, without Go type names.
func decodeReason(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("not valid JSON: %s (at byte %d)", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Errorf("not a delivery record (a JSON %s, not an object)", typ.Value)
	case errors.As(err, &typ):
		// Fields of the embedded Record are named through it: "Record.seq".
		return fmt.Errorf("not a delivery record (%q is a JSON %s)", strings.TrimPrefix(typ.Field, "Record."), typ.Value)
	}
	return fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// Find returns the record numbered seq in the capture file, with the warnings of reading it.
// When a file holds the same seq more than once (--capture FILE appended to by several runs),
// the last one wins: it is the newest.
//
// Only the lines of that delivery are decoded: the others are told by the seq at the start
// of the line as Writer writes it, so finding one delivery in a big capture costs little
// more than reading it, and a damaged line of another delivery goes unmentioned.
func Find(path string, seq int64) (record.Record, []string, error) {
	var found record.Record
	ok := false
	var lo, hi int64
	seen := func(s int64) {
		if lo == 0 || s < lo {
			lo = s
		}
		hi = max(hi, s)
	}
	want := func(line []byte) bool {
		s, ok := peekSeq(line)
		if !ok {
			return true // another spelling: decoded to learn its seq, or to warn
		}
		seen(s)
		return s == seq
	}
	var warnings []string
	err := stream(path, MaxLine, want, func(r record.Record) error {
		seen(r.Seq)
		if r.Seq == seq {
			found, ok = r, true
		}
		return nil
	}, func(w string) { warnings = append(warnings, w) })
	switch {
	case err != nil:
		return record.Record{}, warnings, err
	case ok:
		return found, warnings, nil
	case lo == 0:
		return record.Record{}, warnings, fmt.Errorf("no delivery #%d in %s (it has none)", seq, path)
	}
	return record.Record{}, warnings, fmt.Errorf("no delivery #%d in %s (it has #%d–#%d)", seq, path, lo, hi)
}

// seqPrefix starts every line Writer writes: record.Record's first field is its seq.
var seqPrefix = []byte(`{"seq":`)

// peekSeq reads the seq of a line that starts as Writer writes it ({"seq":12,...); ok is
// false for any other start, which only decoding can tell.
func peekSeq(line []byte) (seq int64, ok bool) {
	rest, ok := bytes.CutPrefix(line, seqPrefix)
	if !ok {
		return 0, false
	}
	i := 0
	for ; i < len(rest) && i < 18 && '0' <= rest[i] && rest[i] <= '9'; i++ {
		seq = seq*10 + int64(rest[i]-'0')
	}
	if i == 0 || i == len(rest) || rest[i] != ',' || rest[0] == '0' {
		return 0, false
	}
	return seq, true
}

// Lookup finds deliveries in the capture file at path by their seq (the inspector's
// Options.Lookup, for deliveries it no longer holds).
func Lookup(path string) func(seq int64) (record.Record, bool) {
	return func(seq int64) (record.Record, bool) {
		rec, _, err := Find(path, seq)
		return rec, err == nil
	}
}
