package receiver

import (
	"errors"
	"fmt"
	"net/url"
)

// Target is where listen --forward-to sends deliveries: parsed once, then used by the
// receiver, the inspector's replay, replay from a state file, the state file and the banner.
type Target struct{ u *url.URL }

// ParseTarget takes a full http:// or https:// URL (simulate.ParseTarget turns the
// shorthands users type, 3000/webhooks and the like, into one).
func ParseTarget(raw string) (*Target, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%q is not a URL: %v", raw, errors.Unwrap(err))
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("%q is not an http:// or https:// URL", raw)
	}
	return &Target{u: u}, nil
}

// For is where a delivery that arrived at path?query goes: the target's path with the
// request's appended, and the queries of both.
func (t *Target) For(path, query string) string {
	u := forwardURL(t.u, &url.URL{Path: path, RawQuery: query})
	return u.String()
}

// String is the target whole, password included: for the state file, which only the user
// can read, so that replay reaches the app the way listen did.
func (t *Target) String() string { return t.u.String() }

// Safe is the target for people to read: a password in it shows as xxxxx.
func (t *Target) Safe() string { return t.u.Redacted() }
