package simulate

import (
	"fmt"
	"net/url"
	"strings"
)

// ParseTarget reads an endpoint the way developers type it: a full URL, or the localhost
// shorthands "3000", "3000/webhooks", ":3000/webhooks", "/webhooks" and "host:port/path".
func ParseTarget(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("empty URL")
	}
	raw := s
	switch {
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
	case strings.Contains(s, "://"):
		return "", fmt.Errorf("URL %q: only http and https are supported", s)
	case strings.HasPrefix(s, "/"):
		raw = "http://localhost" + s
	case strings.HasPrefix(s, ":"):
		raw = "http://localhost" + s
	case isPort(strings.SplitN(s, "/", 2)[0]):
		raw = "http://localhost:" + s
	case strings.Trim(strings.SplitN(s, "/", 2)[0], "0123456789") == "":
		return "", fmt.Errorf("URL %q: port %q is not a number from 1 to 65535", s, strings.SplitN(s, "/", 2)[0])
	default:
		raw = "http://" + s
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("URL %q is not valid: want e.g. http://localhost:3000/webhooks or 3000/webhooks", s)
	}
	if p := u.Port(); p != "" && !isPort(p) {
		return "", fmt.Errorf("URL %q: port %q is not a number from 1 to 65535", s, p)
	}
	return u.String(), nil
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}
