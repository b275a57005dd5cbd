package inspect

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// csp allows the page's own files and nothing else: no inline script, no other origin, no
// framing.
const csp = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// guard sets the security headers and refuses what a local page should never get: a Host
// that is not the inspector's loopback address (a DNS-rebinding attack names the attacker's
// domain) and a request from another origin (a cross-site replay, or a page reading the
// deliveries), but for a link followed to it.
func guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !ownHost(r) {
			http.Error(w, "forbidden: the inspector answers only to its own loopback address (127.0.0.1, localhost or [::1] and its port)", http.StatusForbidden)
			return
		}
		if !sameOrigin(r) && !navigation(r) {
			http.Error(w, "forbidden: cross-origin request", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ownHost says whether the Host header names a loopback address and the port the request
// came in on.
func ownHost(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(r.Host, "["), "]"), ""
	}
	switch strings.ToLower(host) {
	case "127.0.0.1", "localhost", "::1":
	default:
		return false
	}
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	if !ok { // not from a TCP listener (a test calling the handler directly): the name is enough
		return true
	}
	if port == "" {
		port = "80"
	}
	return port == strconv.Itoa(addr.Port)
}

// navigation says whether r is a browser opening a page (a link followed from elsewhere):
// allowed from anywhere, as it shows nothing to the page that linked it.
func navigation(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Mode") == "navigate"
}

// sameOrigin says whether a request comes from the inspector's own page (or from no page:
// curl). Browsers send Origin with every cross-origin fetch and POST; Sec-Fetch-Site covers
// the rest.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err == nil && u.Scheme == "http" && strings.EqualFold(u.Host, r.Host)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}
