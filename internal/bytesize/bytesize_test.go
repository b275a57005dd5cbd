package bytesize

import "testing"

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "64KiB": 64 << 10, "1MiB": 1 << 20, "1MB": 1 << 20, "2 G": 2 << 30,
		" 100MiB ": 100 << 20, "512B": 512, "8K": 8 << 10,
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1KiB", "1.5MiB", "MiB", "ten", "1TiB", "9223372036854775807KiB"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", in, got)
		}
	}
}

func TestText(t *testing.T) {
	for n, want := range map[int64]string{
		1000: "1000 bytes", 64 << 10: "64 KiB", 1 << 20: "1 MiB", 3 << 30: "3 GiB", 1<<20 + 1: "1048577 bytes",
	} {
		if got := Text(n); got != want {
			t.Errorf("Text(%d) = %q, want %q", n, got, want)
		}
	}
}

// Every size Text says, Parse reads back, without the space.
func TestTextParsesBack(t *testing.T) {
	for _, n := range []int64{1, 1023, 1 << 10, 5 << 20, 7 << 30} {
		s := Text(n)
		if s[len(s)-5:] == "bytes" {
			s = s[:len(s)-6]
		}
		if got, err := Parse(s); err != nil || got != n {
			t.Errorf("Parse(Text(%d) = %q) = %d, %v", n, s, got, err)
		}
	}
}
