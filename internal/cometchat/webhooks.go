package cometchat

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
)

// Webhook is an app's webhook as the Management API gives it
// (https://www.cometchat.com/docs/rest-api/management-apis/webhooks/create-webhook).
type Webhook struct {
	ID             string `json:"id"`
	Name           string `json:"name,omitempty"`
	URL            string `json:"webhookURL"`
	UseBasicAuth   bool   `json:"useBasicAuth"`
	Username       string `json:"username,omitempty"`
	Password       string `json:"password,omitempty"`
	Enabled        bool   `json:"enabled"`
	RetryOnFailure bool   `json:"retryOnFailure"`
	// Not sent: what comethook learns about it.
	Legacy   bool     `json:"-"` // a legacy webhook (asked for without X-Webhook-Version: 2)
	Triggers []string `json:"-"`
}

// Webhooks manages an app's webhooks through the Management API.
type Webhooks struct {
	C      *Client
	AppID  string
	Legacy bool // the legacy webhooks instead of version 2
}

func (w Webhooks) header() http.Header {
	if w.Legacy {
		return nil
	}
	// https://www.cometchat.com/docs/rest-api/management-apis/webhooks/create-webhook:
	// version 2 is asked for with this header; without it the legacy webhooks are meant.
	return http.Header{"X-Webhook-Version": {"2"}}
}

func (w Webhooks) path(rest ...string) string {
	p := "/apps/" + url.PathEscape(w.AppID) + "/webhooks"
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

func (w Webhooks) do(ctx context.Context, method, path string, body any) (*Answer, error) {
	return w.C.Do(ctx, Request{Method: method, Path: path, Header: w.header(), Body: body})
}

// List lists the app's webhooks (list-webhooks), without their triggers.
func (w Webhooks) List(ctx context.Context) ([]Webhook, error) {
	ans, err := w.do(ctx, http.MethodGet, w.path(), nil)
	if err != nil {
		return nil, err
	}
	var hooks []Webhook
	if err := json.Unmarshal(ans.Data, &hooks); err != nil {
		return nil, err
	}
	for i := range hooks {
		hooks[i].Legacy = w.Legacy
	}
	return hooks, nil
}

// Get gets one webhook (get-webhook) and its triggers (list-triggers).
func (w Webhooks) Get(ctx context.Context, id string) (Webhook, error) {
	var h Webhook
	ans, err := w.do(ctx, http.MethodGet, w.path(id), nil)
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(ans.Data, &h); err != nil {
		return h, err
	}
	h.Legacy = w.Legacy
	h.Triggers, err = w.Triggers(ctx, id)
	return h, err
}

// Create creates a webhook (create-webhook).
func (w Webhooks) Create(ctx context.Context, h Webhook) error {
	_, err := w.do(ctx, http.MethodPost, w.path(), h)
	return err
}

// Update changes a webhook (update-webhook): every field but its id.
func (w Webhooks) Update(ctx context.Context, h Webhook) error {
	body := map[string]any{"name": h.Name, "webhookURL": h.URL, "useBasicAuth": h.UseBasicAuth, "enabled": h.Enabled, "retryOnFailure": h.RetryOnFailure}
	if h.UseBasicAuth {
		body["username"], body["password"] = h.Username, h.Password
	}
	_, err := w.do(ctx, http.MethodPut, w.path(h.ID), body)
	return err
}

// SetEnabled turns a webhook on or off (update-webhook with enabled only).
func (w Webhooks) SetEnabled(ctx context.Context, id string, on bool) error {
	_, err := w.do(ctx, http.MethodPut, w.path(id), map[string]any{"enabled": on})
	return err
}

// Delete deletes a webhook (delete-webhook).
func (w Webhooks) Delete(ctx context.Context, id string) error {
	_, err := w.do(ctx, http.MethodDelete, w.path(id), nil)
	return err
}

// Triggers lists a webhook's triggers (list-triggers).
func (w Webhooks) Triggers(ctx context.Context, id string) ([]string, error) {
	ans, err := w.do(ctx, http.MethodGet, w.path(id, "triggers"), nil)
	if err != nil {
		return nil, err
	}
	return triggerNames(ans.Data), nil
}

// SetTriggers makes the webhook's triggers exactly these: adds the missing (add-triggers)
// and removes the others (remove-triggers).
func (w Webhooks) SetTriggers(ctx context.Context, id string, want []string) error {
	have, err := w.Triggers(ctx, id)
	if err != nil {
		return err
	}
	var add, remove []string
	for _, t := range want {
		if !slices.Contains(have, t) {
			add = append(add, t)
		}
	}
	for _, t := range have {
		if !slices.Contains(want, t) {
			remove = append(remove, t)
		}
	}
	if len(add) > 0 {
		if _, err := w.do(ctx, http.MethodPost, w.path(id, "triggers"), map[string]any{"triggerIds": add}); err != nil {
			return err
		}
	}
	if len(remove) > 0 {
		if _, err := w.do(ctx, http.MethodDelete, w.path(id, "triggers"), map[string]any{"triggerIds": remove}); err != nil {
			return err
		}
	}
	return nil
}

// triggerNames reads list-triggers' answer: names, or objects with a trigger name.
func triggerNames(data json.RawMessage) []string {
	var names []string
	if json.Unmarshal(data, &names) == nil {
		return names
	}
	names = nil // a failed decode leaves empty strings behind
	var objs []map[string]any
	if json.Unmarshal(data, &objs) == nil {
		for _, o := range objs {
			for _, k := range []string{"trigger", "triggerId", "id", "name"} {
				if s, ok := o[k].(string); ok {
					names = append(names, s)
					break
				}
			}
		}
	}
	return names
}
