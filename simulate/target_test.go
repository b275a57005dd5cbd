package simulate

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "3000", want: "http://localhost:3000"},
		{in: " 3000 ", want: "http://localhost:3000"},
		{in: "3000/webhooks", want: "http://localhost:3000/webhooks"},
		{in: ":3000/path", want: "http://localhost:3000/path"},
		{in: ":3000", want: "http://localhost:3000"},
		{in: "/path", want: "http://localhost/path"},
		{in: "localhost:3000", want: "http://localhost:3000"},
		{in: "localhost:3000/hooks?x=1", want: "http://localhost:3000/hooks?x=1"},
		{in: "127.0.0.1:8080/w", want: "http://127.0.0.1:8080/w"},
		{in: "[::1]:3000/w", want: "http://[::1]:3000/w"},
		{in: "example.test/hook", want: "http://example.test/hook"},
		{in: "https://x.test/a", want: "https://x.test/a"},
		{in: "http://localhost:3000/webhooks", want: "http://localhost:3000/webhooks"},
		{in: "65535", want: "http://localhost:65535"},
		{in: "", wantErr: "empty URL"},
		{in: "   ", wantErr: "empty URL"},
		{in: "ftp://x.test/a", wantErr: "only http and https"},
		{in: "ws://x.test/a", wantErr: "only http and https"},
		{in: "localhost:99999", wantErr: "not a number from 1 to 65535"},
		{in: ":0/x", wantErr: "not a number from 1 to 65535"},
		{in: "localhost:0", wantErr: "not a number from 1 to 65535"},
		{in: "70000", wantErr: "not a number from 1 to 65535"},
		{in: "0", wantErr: "not a number from 1 to 65535"},
		{in: "99999/webhooks", wantErr: "not a number from 1 to 65535"},
		{in: "localhost:abc", wantErr: "not"},
		{in: "http://", wantErr: "is not valid"},
		{in: "https:///path", wantErr: "is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTarget(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseTarget(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
