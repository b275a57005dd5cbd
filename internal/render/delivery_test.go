package render

import (
	"net/http"
	"strings"
	"testing"

	"github.com/comethook/comethook/internal/receiver"
	"github.com/comethook/comethook/simulate"
)

// A request refused before its body was read says why instead of looking empty.
func TestDeliveryRefusedSaysWhy(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   []byte
		out    simulate.Outcome
		want   string
	}{
		{http.StatusUnauthorized, nil, simulate.Rejected, "→ POST  (body not read: 401, wrong or missing credentials)"},
		{http.StatusMethodNotAllowed, nil, simulate.Rejected, "→ POST  (body not read: 405, not a POST)"},
		{http.StatusRequestEntityTooLarge, nil, simulate.Rejected, "(body not read: 413, body over --max-body)"},
		{http.StatusOK, []byte{}, simulate.Delivered, "→ POST  (empty body)"},
		{http.StatusOK, []byte("hi"), simulate.Delivered, "→ POST  (not JSON, 2 bytes)"},
	} {
		p, out, _ := testPrinter(false)
		p.Delivery(&receiver.Delivery{Seq: 1, Method: "POST", Path: "/", Body: tt.body, Outcome: tt.out,
			Response: receiver.Response{Status: tt.status}})
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("%d: %q, want %q", tt.status, out.String(), tt.want)
		}
	}
}
