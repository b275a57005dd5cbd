package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/comethook/comethook/internal/cometchat"
)

// appFlags are the credentials of the user's CometChat app: flags, else the environment,
// else a .env file in the current directory (many CometChat projects keep them there).
type appFlags struct {
	appID, region, apiKey string
	mgmtKey, mgmtSecret   string
}

func (f *appFlags) bindREST(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.appID, "app-id", "", "your CometChat app's ID (or $COMETCHAT_APP_ID, or .env)")
	fl.StringVar(&f.region, "region", "", "your app's region: us, eu or in (or $COMETCHAT_REGION, or .env)")
	fl.StringVar(&f.apiKey, "api-key", "", "a REST API key with full access (or $COMETCHAT_API_KEY, or .env)")
}

func (f *appFlags) bindMgmt(c *cobra.Command, what string) {
	fl := c.Flags()
	fl.StringVar(&f.mgmtKey, "mgmt-key", "", what+": the Management API key (or $COMETCHAT_MGMT_KEY, or .env)")
	fl.StringVar(&f.mgmtSecret, "mgmt-secret", "", what+": the Management API secret (or $COMETCHAT_MGMT_SECRET, or .env)")
}

// dotenvNames are the names read from .env for each value: CometChat's own, and the same with
// the prefixes front-end build tools need (the app ID and region are not secrets).
var dotenvNames = map[string][]string{
	"COMETCHAT_APP_ID": {"COMETCHAT_APP_ID", "VITE_COMETCHAT_APP_ID", "REACT_APP_COMETCHAT_APP_ID", "NEXT_PUBLIC_COMETCHAT_APP_ID", "EXPO_PUBLIC_COMETCHAT_APP_ID"},
	"COMETCHAT_REGION": {"COMETCHAT_REGION", "VITE_COMETCHAT_REGION", "REACT_APP_COMETCHAT_REGION", "NEXT_PUBLIC_COMETCHAT_REGION", "EXPO_PUBLIC_COMETCHAT_REGION"},
}

// dotenv reads KEY=VALUE lines of ./.env (comments, "export " and quotes allowed). A missing
// file is no error; one that cannot be read is a warning, not a failure.
func dotenv(e *env) map[string]string {
	vals := map[string]string{}
	f, err := os.Open(".env")
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			e.p.Warn(fmt.Sprintf("not reading .env: %v", err))
		}
		return vals
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		line := sc.Text()
		if first {
			line = strings.TrimPrefix(line, "\ufeff") // a byte-order mark some editors write
		}
		line = strings.TrimPrefix(strings.TrimSpace(line), "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		vals[strings.TrimSpace(k)] = dotenvValue(strings.TrimSpace(v))
	}
	if err := sc.Err(); err != nil {
		e.p.Warn(fmt.Sprintf("not reading .env: %v", err))
	}
	return vals
}

// dotenvValue is a .env value: quoted ("…" or '…', then anything after the closing quote, a
// comment, is dropped) or bare (up to a " #" comment).
func dotenvValue(v string) string {
	if len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
		if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
			return v[1 : end+1]
		}
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// validAppID is what CometChat's app IDs are: letters and digits. The ID goes into the API's
// host name, so anything else (a ".env" with "evil.example#") could send the key elsewhere.
func validAppID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// lookup finds a value: the flag, else the environment, else .env.
func lookup(e *env, flag, name string, file map[string]string) string {
	if flag != "" {
		return flag
	}
	if v := e.getenv(name); v != "" {
		return v
	}
	for _, n := range append([]string{name}, dotenvNames[name]...) {
		if v := file[n]; v != "" {
			return v
		}
	}
	return ""
}

// restClient resolves the app's REST credentials; a missing one is a usage error naming
// each, and where to find it.
func (f *appFlags) restClient(e *env) (*cometchat.Client, string, error) {
	file := dotenv(e)
	appID := lookup(e, f.appID, "COMETCHAT_APP_ID", file)
	region := strings.ToLower(lookup(e, f.region, "COMETCHAT_REGION", file))
	key := lookup(e, f.apiKey, "COMETCHAT_API_KEY", file)
	base := e.getenv("COMETCHAT_API_URL")
	var missing []string
	if appID == "" {
		missing = append(missing, "the app ID (--app-id or COMETCHAT_APP_ID)")
	}
	if region == "" && base == "" {
		missing = append(missing, "the region (--region or COMETCHAT_REGION: us, eu or in)")
	}
	if key == "" {
		missing = append(missing, "a REST API key (--api-key or COMETCHAT_API_KEY)")
	}
	if len(missing) > 0 {
		return nil, "", usageErr(fmt.Errorf("missing %s", strings.Join(missing, ", ")),
			"all three are in the CometChat dashboard: your app → API & Auth Keys (use the REST API Key, with full access); a .env file here is read too")
	}
	if !validAppID(appID) {
		return nil, "", usageErr(fmt.Errorf("app ID %q: CometChat's app IDs are letters and digits", appID), "check --app-id, COMETCHAT_APP_ID or .env")
	}
	if base == "" {
		if !slices.Contains(cometchat.Regions, region) {
			return nil, "", usageErr(fmt.Errorf("region %q: want us, eu or in", region), "check --region, COMETCHAT_REGION or .env")
		}
		base = cometchat.BaseURL(appID, region)
	}
	c := cometchat.NewREST(base, key, e.client(false, 4))
	c.UserAgent = e.userAgent()
	c.Sleep = e.sleep
	return c, appID, nil
}

// mgmtClient resolves the Management API's credentials; ok is false when none are given.
func (f *appFlags) mgmtClient(e *env) (c *cometchat.Client, appID string, ok bool, err error) {
	file := dotenv(e)
	key := lookup(e, f.mgmtKey, "COMETCHAT_MGMT_KEY", file)
	secret := lookup(e, f.mgmtSecret, "COMETCHAT_MGMT_SECRET", file)
	appID = lookup(e, f.appID, "COMETCHAT_APP_ID", file)
	if key == "" && secret == "" {
		return nil, "", false, nil
	}
	var missing []string
	if key == "" {
		missing = append(missing, "the Management API key (--mgmt-key or COMETCHAT_MGMT_KEY)")
	}
	if secret == "" {
		missing = append(missing, "the Management API secret (--mgmt-secret or COMETCHAT_MGMT_SECRET)")
	}
	if appID == "" {
		missing = append(missing, "the app ID (--app-id or COMETCHAT_APP_ID)")
	}
	if len(missing) > 0 {
		return nil, "", false, usageErr(fmt.Errorf("missing %s", strings.Join(missing, ", ")),
			"the Management API's key and secret come with plans that include it (CometChat's Management APIs page); the app ID is in the dashboard")
	}
	if !validAppID(appID) {
		return nil, "", false, usageErr(fmt.Errorf("app ID %q: CometChat's app IDs are letters and digits", appID), "check --app-id, COMETCHAT_APP_ID or .env")
	}
	base := e.getenv("COMETCHAT_MGMT_URL")
	if base == "" {
		base = cometchat.MgmtURL
	}
	c = cometchat.NewMgmt(base, key, secret, e.client(false, 4))
	c.UserAgent = e.userAgent()
	c.Sleep = e.sleep
	return c, appID, true, nil
}

// apiErr turns a CometChat call's failure into comethook's error: what CometChat said, and
// what to do about it.
func apiErr(what string, err error) error {
	var ae *cometchat.APIError
	if errors.As(err, &ae) {
		return failErr(fmt.Errorf("%s: %w", what, ae), ae.Hint())
	}
	var ne *cometchat.NetError
	if errors.As(err, &ne) {
		return failErr(ne, "check your connection, or COMETCHAT_API_URL / COMETCHAT_MGMT_URL if you set one")
	}
	return failErr(fmt.Errorf("%s: %w", what, err), "")
}
