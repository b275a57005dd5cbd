package cometchatfake

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/comethook/comethook/internal/webhook"
)

// mgmt serves the Management API's webhook endpoints
// (https://www.cometchat.com/docs/rest-api/management-apis/webhooks/create-webhook and the
// pages beside it): key and secret headers; X-Webhook-Version: 2 for the webhooks, none for
// the legacy ones, which are a set of their own.
func (s *Server) mgmt(w http.ResponseWriter, r *http.Request) {
	key, secret := r.Header.Get("key"), r.Header.Get("secret")
	switch {
	case key == "" || secret == "":
		apiError(w, http.StatusUnauthorized, "AUTH_ERR_EMPTY_AUTH_HEADER", "The key and secret headers are required.")
		return
	case key != s.cfg.MgmtKey || secret != s.cfg.MgmtSecret:
		// [INF] the code for wrong management credentials is not documented
		apiError(w, http.StatusUnauthorized, "AUTH_ERR_APIKEY_NOT_FOUND", "The key and secret are not valid.")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/apps/"), "/")
	for i := range parts {
		parts[i], _ = url.PathUnescape(parts[i])
	}
	if parts[0] != s.cfg.AppID {
		apiError(w, http.StatusNotFound, "AUTH_ERR_INVALID_APPID", "No app "+parts[0]+" in this account.")
		return
	}
	if len(parts) < 2 || parts[1] != "webhooks" {
		apiError(w, http.StatusNotFound, "ERR_API_NOT_FOUND", "No such API.")
		return
	}
	legacy := r.Header.Get("X-Webhook-Version") != "2"
	var body map[string]any
	if err := readBody(r, &body); err != nil {
		apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "The body is not valid JSON.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	hooks := s.hooks[legacy]
	var h *hook
	if len(parts) >= 3 {
		if h = hooks[parts[2]]; h == nil {
			apiError(w, http.StatusNotFound, "ERR_WEBHOOK_NOT_FOUND", "No webhook "+parts[2]+".")
			return
		}
	}
	route := r.Method + " webhooks"
	if len(parts) >= 3 {
		route += "/*"
	}
	if len(parts) >= 4 {
		route += "/" + strings.Join(parts[3:], "/")
	}
	switch route {
	case "GET webhooks": // list-webhooks
		var list []map[string]any
		for _, h := range hooks {
			list = append(list, hookJSON(h))
		}
		slices.SortFunc(list, func(a, b map[string]any) int { return strings.Compare(a["id"].(string), b["id"].(string)) })
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, map[string]any{"data": list, "meta": map[string]any{"pagination": map[string]any{"total": len(list), "count": len(list), "per_page": 100, "current_page": 1, "total_pages": 1}}})
	case "POST webhooks": // create-webhook
		id, name, u := str(body, "id"), str(body, "name"), str(body, "webhookURL")
		switch {
		case id == "" || name == "" || u == "":
			apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "id, name and webhookURL are required.")
		case len(id) > 50 || strings.ContainsAny(id, " /"):
			apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "id: at most 50 characters, no spaces.")
		case hooks[id] != nil:
			apiError(w, http.StatusConflict, "ERR_WEBHOOK_ALREADY_EXISTS", "A webhook "+id+" exists.") // [INF] code
		case len(hooks) >= 25:
			apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "At most 25 webhooks per app.")
		case !validURL(u):
			apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "webhookURL must be a public HTTPS URL of at most 255 characters.")
		default:
			h := &hook{id: id, legacy: legacy, createdAt: time.Now().Unix()}
			update(h, body)
			hooks[id] = h
			writeJSON(w, []any{map[string]any{"data": hookJSON(h)}}) // the page's example wraps it so
		}
	case "GET webhooks/*": // get-webhook
		writeJSON(w, map[string]any{"data": hookJSON(h)})
	case "PUT webhooks/*": // update-webhook
		if u, ok := body["webhookURL"].(string); ok && !validURL(u) {
			apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "webhookURL must be a public HTTPS URL of at most 255 characters.")
			return
		}
		update(h, body)
		writeJSON(w, map[string]any{"data": hookJSON(h)})
	case "DELETE webhooks/*": // delete-webhook
		delete(hooks, h.id)
		writeJSON(w, map[string]any{"data": map[string]any{"success": true, "message": "Deleted Webhook successfully."}})
	case "GET webhooks/*/triggers": // list-triggers
		var list []map[string]any
		for _, t := range h.triggers {
			list = append(list, map[string]any{"id": t, "description": t})
		}
		writeJSON(w, map[string]any{"data": list})
	case "POST webhooks/*/triggers": // add-triggers
		ids := strs(body, "triggerIds")
		sys := webhook.V2
		if legacy {
			sys = webhook.Legacy
		}
		result := map[string]any{}
		for _, t := range ids {
			if _, ok := webhook.Lookup(t, sys); !ok {
				apiError(w, http.StatusBadRequest, "ERR_TRIGGER_NOT_FOUND", "No trigger "+t+" for these webhooks.")
				return
			}
		}
		for _, t := range ids {
			if !slices.Contains(h.triggers, t) {
				h.triggers = append(h.triggers, t)
			}
			result[t] = map[string]any{"success": true, "message": "Triggers has been added successfully."}
		}
		writeJSON(w, map[string]any{"data": result})
	case "DELETE webhooks/*/triggers": // remove-triggers
		for _, t := range strs(body, "triggerIds") {
			h.triggers = slices.DeleteFunc(h.triggers, func(x string) bool { return x == t })
		}
		writeJSON(w, map[string]any{"data": map[string]any{"success": true, "message": "Removed trigger successfully."}})
	default:
		apiError(w, http.StatusNotFound, "ERR_API_NOT_FOUND", "No such API: "+route)
	}
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && len(s) <= 255
}

func update(h *hook, body map[string]any) {
	for k, v := range body {
		switch k {
		case "name":
			h.name, _ = v.(string)
		case "webhookURL":
			h.url, _ = v.(string)
		case "useBasicAuth":
			h.useBasicAuth, _ = v.(bool)
		case "username":
			h.username, _ = v.(string)
		case "password":
			h.password, _ = v.(string)
		case "enabled":
			h.enabled, _ = v.(bool)
		case "retryOnFailure":
			h.retry, _ = v.(bool)
		}
	}
}

// hookJSON is a webhook as the API shows it (password included, as the page's example does).
func hookJSON(h *hook) map[string]any {
	return map[string]any{"id": h.id, "name": h.name, "webhookURL": h.url, "useBasicAuth": h.useBasicAuth, "username": h.username,
		"password": h.password, "enabled": h.enabled, "retryOnFailure": h.retry, "createdAt": h.createdAt, "updatedAt": time.Now().Unix()}
}
