package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The record's JSON line is written by hand: listen writes one per delivery (to the
// capture and --json), and encoding/json's reflection was most of that cost. The output
// is byte for byte what encoding/json gives with HTML escaping off (FuzzAppendLine holds
// the two to it): field order as declared, omitempty as tagged, header keys sorted.

// AppendLine appends the record as one line of JSON (with the newline) to buf. The payload
// is compact, valid JSON already (Record makes it so), so it is copied as it is.
func (r Record) AppendLine(buf []byte) ([]byte, error) {
	buf = append(buf, `{"seq":`...)
	buf = strconv.AppendInt(buf, r.Seq, 10)
	buf = appendField(buf, "receivedAt", r.ReceivedAt)
	buf = appendField(buf, "method", r.Method)
	buf = appendField(buf, "path", r.Path)
	if r.Query != "" {
		buf = appendField(buf, "query", r.Query)
	}
	buf = appendField(buf, "trigger", r.Trigger)
	buf = appendField(buf, "webhook", r.Webhook)
	buf = appendField(buf, "appId", r.AppID)
	buf = append(buf, `,"headers":`...)
	buf = appendHeaders(buf, r.Headers)
	buf = append(buf, `,"payload":`...)
	if len(r.Payload) == 0 {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, r.Payload...)
	}
	if r.Body != nil {
		buf = appendField(buf, "body", *r.Body)
	}
	if r.BodyBase64 != nil {
		buf = appendField(buf, "bodyBase64", *r.BodyBase64)
	}
	buf = append(buf, `,"response":{"status":`...)
	buf = strconv.AppendInt(buf, int64(r.Response.Status), 10)
	buf = append(buf, `,"body":`...)
	var err error
	if buf, err = appendAny(buf, r.Response.Body); err != nil {
		return buf, err
	}
	buf = append(buf, `,"durationMs":`...)
	if buf, err = appendFloat(buf, r.Response.DurationMs); err != nil {
		return buf, err
	}
	buf = appendField(buf, "source", r.Response.Source)
	if r.Response.CallerGone {
		buf = append(buf, `,"callerGone":true`...)
	}
	buf = append(buf, '}')
	buf = appendField(buf, "outcome", r.Outcome)
	if r.Drop != nil {
		buf = append(buf, `,"drop":`...)
		buf = strconv.AppendBool(buf, *r.Drop)
	}
	if len(r.Assumptions) > 0 {
		buf = appendStrings(buf, "assumptions", r.Assumptions)
	}
	if len(r.Warnings) > 0 {
		buf = appendStrings(buf, "warnings", r.Warnings)
	}
	buf = append(buf, `,"duplicateOf":`...)
	if r.DuplicateOf == nil {
		buf = append(buf, "null"...)
	} else {
		buf = strconv.AppendInt(buf, *r.DuplicateOf, 10)
	}
	buf = append(buf, `,"error":`...)
	if r.Error == nil {
		buf = append(buf, "null"...)
	} else {
		buf = appendString(buf, *r.Error)
	}
	return append(buf, "}\n"...), nil
}

// appendField appends ,"key":"value".
func appendField(buf []byte, key, value string) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	buf = append(buf, '"', ':')
	return appendString(buf, value)
}

func appendStrings(buf []byte, key string, values []string) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	buf = append(buf, `":[`...)
	for i, v := range values {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, v)
	}
	return append(buf, ']')
}

// appendHeaders writes the headers as an object with its keys sorted; null when nil.
func appendHeaders(buf []byte, h map[string]string) []byte {
	if h == nil {
		return append(buf, "null"...)
	}
	var small [32]string
	keys := small[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = appendString(buf, h[k])
	}
	return append(buf, '}')
}

// appendAny writes an answer body: null, a JSON value (compacted, as encoding/json does with
// a RawMessage) or a string; anything else through encoding/json.
func appendAny(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case json.RawMessage:
		if v == nil {
			return append(buf, "null"...), nil
		}
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return buf, fmt.Errorf("the answer body is not valid JSON: %w", err)
		}
		return append(buf, b.Bytes()...), nil
	case string:
		return appendString(buf, v), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return buf, err
	}
	return append(buf, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...), nil
}

// appendFloat writes a number the way JavaScript (and encoding/json) does: plain decimals,
// exponents only for the very small and the very large.
func appendFloat(buf []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return buf, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, format, -1, 64)
	if format == 'e' { // e-07 → e-7
		if n := len(buf); n-start >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf, nil
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: quotes, backslashes and control characters
// escaped, bytes that are not UTF-8 as U+FFFD, U+2028 and U+2029 escaped (JavaScript reads
// them as line ends); <, > and & as they are.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
