package cometchat

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Params say who does what in an action.
type Params struct {
	From, To string // acting user, and the other user (receiver, member, blocked)
	Group    string // the group: messages go to it; group actions create (and delete) it
	Text     string
	Reaction string
	Now      func() time.Time
}

// Defaults are the sample users every new CometChat app comes with, as CometChat's sample
// apps and payload examples use them ([INF]: the docs show them, no page promises them).
var Defaults = Params{From: "cometchat-uid-1", To: "cometchat-uid-2", Text: "Hello from comethook trigger", Reaction: "👍"}

// Call is one API call an action made.
type Call struct {
	What   string // in words: "send a message to cometchat-uid-2"
	Method string
	Path   string
	Status int
	ID     string // what it created or acted on (message id, guid), when it says
	At     time.Time
	Err    error
}

// Fires are the webhooks an action fires, by system: v2 names and legacy names.
type Fires struct {
	V2, Legacy []string
}

// Action is something trigger can make CometChat do.
type Action struct {
	Name  string // the main webhook's name (v2), what the user types
	Does  string // in words
	Main  Fires
	Also  []string // webhooks its set-up and clean-up fire too (v2)
	steps func(r *run) []step
}

// run is one action's state: what the steps created.
type run struct {
	p         Params
	messageID string
	guid      string
}

type step struct {
	what  string
	items bool // the answer says per user whether it worked, inside a 200 (block, add members)
	req   func(r *run) Request
	// took keeps what the answer created.
	took func(r *run, data json.RawMessage)
}

// Actions lists what trigger can cause, each through the REST API's documented endpoints.
func Actions() []Action { return actions }

// FindAction finds an action by name, v2 or legacy (after_message is message_sent's).
func FindAction(name string) (Action, bool) {
	for _, a := range actions {
		if a.Name == name || slices.Contains(a.Main.Legacy, name) {
			return a, true
		}
	}
	return Action{}, false
}

// NotByREST are webhooks REST cannot cause, and why: trigger points to send for them.
var NotByREST = map[string]string{
	"call_*":                        "calls happen between clients (the Calls SDK), not through the REST API",
	"meeting_*":                     "meetings happen between clients (the Calls SDK)",
	"user_connection_status_*":      "a user comes online through a client's connection, not the REST API",
	"message_delivery_receipt":      "receipts are sent by the receiving client",
	"message_read_receipt":          "receipts are sent by the receiving client",
	"message_delivered_to_all":      "receipts are sent by the receiving clients",
	"message_read_by_all":           "receipts are sent by the receiving clients",
	"recording_generated":           "recordings come from calls",
	"transcription_generated":       "transcriptions come from calls",
	"moderation_*":                  "moderation runs on CometChat's side, on rules set in the dashboard",
	"user_connection_status_change": "a user comes online through a client's connection, not the REST API",
}

func sendStep(r *run) step {
	return step{
		what: "send a message",
		req: func(r *run) Request {
			body := map[string]any{"category": "message", "type": "text", "data": map[string]any{"text": r.p.Text}}
			if r.p.Group != "" {
				body["receiver"], body["receiverType"] = r.p.Group, "group"
			} else {
				body["receiver"], body["receiverType"] = r.p.To, "user"
			}
			// https://www.cometchat.com/docs/rest-api/messages/send-message
			return Request{Method: http.MethodPost, Path: "/messages", OnBehalfOf: r.p.From, Body: body}
		},
		took: func(r *run, data json.RawMessage) { r.messageID = idOf(data, "id") },
	}
}

func createGroupStep() step {
	return step{
		what: "create a group",
		req: func(r *run) Request {
			// https://www.cometchat.com/docs/rest-api/groups/create
			return Request{Method: http.MethodPost, Path: "/groups",
				Body: map[string]any{"guid": r.p.Group, "name": "comethook " + r.p.Group, "type": "public", "owner": r.p.From}}
		},
		took: func(r *run, data json.RawMessage) { r.guid = cmp.Or(idOf(data, "guid"), r.p.Group) }, // CometChat lower-cases GUIDs
	}
}

func addMemberStep() step {
	return step{
		what:  "add a member",
		items: true,
		req: func(r *run) Request {
			// https://www.cometchat.com/docs/rest-api/group-members/add-members
			return Request{Method: http.MethodPost, Path: "/groups/" + url.PathEscape(r.p.Group) + "/members",
				Body: map[string]any{"participants": []string{r.p.To}}}
		},
	}
}

func deleteGroupStep() step {
	return step{
		what: "delete the group",
		req: func(r *run) Request {
			// https://www.cometchat.com/docs/rest-api/groups/delete
			return Request{Method: http.MethodDelete, Path: "/groups/" + url.PathEscape(r.p.Group)}
		},
	}
}

func memberStep(what, method, path string, body map[string]any) step {
	return step{what: what, req: func(r *run) Request {
		p := fmt.Sprintf(path, url.PathEscape(r.p.Group), url.PathEscape(r.p.To))
		return Request{Method: method, Path: p, Body: body}
	}}
}

// groupSteps wraps steps in a group's life: created (with the other user as a member when
// member is true) before, deleted after, so that nothing is left in the app.
func groupSteps(member bool, middle ...step) []step {
	s := []step{createGroupStep()}
	if member {
		s = append(s, addMemberStep())
	}
	return append(append(s, middle...), deleteGroupStep())
}

func reactionStep(what, method string) step {
	return step{what: what, req: func(r *run) Request {
		// https://www.cometchat.com/docs/rest-api/messages/add-reaction (DELETE: remove-reaction);
		// onBehalfOf is required: the user who reacts
		return Request{Method: method, Path: "/messages/" + url.PathEscape(r.messageID) + "/reactions/" + url.PathEscape(r.p.Reaction), OnBehalfOf: r.p.To}
	}}
}

func blockStep(what, method string) step {
	return step{what: what, items: true, req: func(r *run) Request {
		// https://www.cometchat.com/docs/rest-api/blocked-users/block-user (DELETE, the same body: unblock-user)
		return Request{Method: method, Path: "/users/" + url.PathEscape(r.p.From) + "/blockedusers",
			Body: map[string]any{"blockedUids": []string{r.p.To}}}
	}}
}

var actions = []Action{
	{Name: "message_sent", Does: "send a text message (to --to, or to --group)",
		Main:  Fires{V2: []string{"message_sent"}, Legacy: []string{"before_message", "after_message"}},
		steps: func(r *run) []step { return []step{sendStep(r)} }},
	{Name: "message_edited", Does: "send a message, then edit its text",
		Main: Fires{V2: []string{"message_edited"}}, Also: []string{"message_sent"},
		steps: func(r *run) []step {
			return []step{sendStep(r), {what: "edit the message", req: func(r *run) Request {
				// https://www.cometchat.com/docs/rest-api/messages/update-message
				return Request{Method: http.MethodPut, Path: "/messages/" + url.PathEscape(r.messageID), OnBehalfOf: r.p.From,
					Body: map[string]any{"data": map[string]any{"text": r.p.Text + " (edited)"}}}
			}}}
		}},
	{Name: "message_deleted", Does: "send a message, then delete it",
		Main: Fires{V2: []string{"message_deleted"}}, Also: []string{"message_sent"},
		steps: func(r *run) []step {
			return []step{sendStep(r), {what: "delete the message", req: func(r *run) Request {
				// https://www.cometchat.com/docs/rest-api/messages/delete-message
				return Request{Method: http.MethodDelete, Path: "/messages/" + url.PathEscape(r.messageID), OnBehalfOf: r.p.From}
			}}}
		}},
	{Name: "message_reaction_added", Does: "send a message, then --to reacts to it",
		Main: Fires{V2: []string{"message_reaction_added"}}, Also: []string{"message_sent"},
		steps: func(r *run) []step {
			return []step{sendStep(r), reactionStep("add a reaction", http.MethodPost)}
		}},
	{Name: "message_reaction_removed", Does: "send a message, --to reacts to it, then takes the reaction back",
		Main: Fires{V2: []string{"message_reaction_added", "message_reaction_removed"}}, Also: []string{"message_sent"},
		steps: func(r *run) []step {
			return []step{sendStep(r), reactionStep("add a reaction", http.MethodPost), reactionStep("remove the reaction", http.MethodDelete)}
		}},
	{Name: "user_blocked", Does: "--from blocks --to, then unblocks (nothing is left changed)",
		Main: Fires{V2: []string{"user_blocked"}}, Also: []string{"user_unblocked"},
		steps: func(r *run) []step {
			return []step{blockStep("block the user", http.MethodPost), blockStep("unblock the user", http.MethodDelete)}
		}},
	{Name: "user_unblocked", Does: "--from blocks --to, then unblocks",
		Main: Fires{V2: []string{"user_blocked", "user_unblocked"}},
		steps: func(r *run) []step {
			return []step{blockStep("block the user", http.MethodPost), blockStep("unblock the user", http.MethodDelete)}
		}},
	{Name: "group_created", Does: "create a group owned by --from, then delete it",
		Main: Fires{V2: []string{"group_created"}}, Also: []string{"group_deleted"},
		steps: func(r *run) []step { return groupSteps(false) }},
	{Name: "group_member_added", Does: "create a group, add --to, delete the group",
		Main: Fires{V2: []string{"group_member_added"}}, Also: []string{"group_created", "group_deleted"},
		steps: func(r *run) []step { return groupSteps(true) }},
	{Name: "group_member_scope_changed", Does: "create a group, add --to, make them a moderator, delete the group",
		Main: Fires{V2: []string{"group_member_scope_changed"}}, Also: []string{"group_created", "group_member_added", "group_deleted"},
		steps: func(r *run) []step {
			// https://www.cometchat.com/docs/rest-api/group-members/change-scope
			return groupSteps(true, memberStep("change the member's scope", http.MethodPut, "/groups/%s/members/%s", map[string]any{"scope": "moderator"}))
		}},
	{Name: "group_member_kicked", Does: "create a group, add --to, kick them, delete the group",
		Main: Fires{V2: []string{"group_member_kicked"}}, Also: []string{"group_created", "group_member_added", "group_deleted"},
		steps: func(r *run) []step {
			// https://www.cometchat.com/docs/rest-api/group-members/kick
			return groupSteps(true, memberStep("kick the member", http.MethodDelete, "/groups/%s/members/%s", nil))
		}},
	{Name: "group_member_banned", Does: "create a group, add --to, ban them, delete the group",
		Main: Fires{V2: []string{"group_member_banned"}}, Also: []string{"group_created", "group_member_added", "group_deleted"},
		steps: func(r *run) []step {
			// https://www.cometchat.com/docs/rest-api/banned-users/ban
			return groupSteps(true, memberStep("ban the member", http.MethodPost, "/groups/%s/bannedusers/%s", nil))
		}},
	{Name: "group_member_unbanned", Does: "create a group, add --to, ban and unban them, delete the group",
		Main: Fires{V2: []string{"group_member_banned", "group_member_unbanned"}}, Also: []string{"group_created", "group_member_added", "group_deleted"},
		steps: func(r *run) []step {
			return groupSteps(true, memberStep("ban the member", http.MethodPost, "/groups/%s/bannedusers/%s", nil),
				// https://www.cometchat.com/docs/rest-api/banned-users/unban
				memberStep("unban the member", http.MethodDelete, "/groups/%s/bannedusers/%s", nil))
		}},
	{Name: "group_owner_transferred", Does: "create a group, add --to, make them the owner, delete the group",
		Main: Fires{V2: []string{"group_owner_transferred"}}, Also: []string{"group_created", "group_member_added", "group_deleted"},
		steps: func(r *run) []step {
			return groupSteps(true, step{what: "transfer the ownership", req: func(r *run) Request {
				// https://www.cometchat.com/docs/rest-api/groups/update: the REST API has no
				// transfer endpoint; "owner" is honoured only without onBehalfOf.
				return Request{Method: http.MethodPut, Path: "/groups/" + url.PathEscape(r.p.Group), Body: map[string]any{"owner": r.p.To}}
			}})
		}},
	{Name: "group_deleted", Does: "create a group, then delete it",
		Main: Fires{V2: []string{"group_deleted"}}, Also: []string{"group_created"},
		steps: func(r *run) []step { return groupSteps(false) }},
}

// IsGroupAction says whether the action creates its own group.
func (a Action) IsGroupAction() bool { return strings.HasPrefix(a.Name, "group_") }

// Run makes the action's calls in order, telling each to onCall as it is answered; it stops
// at the first refusal. The group of a group action is deleted even when a step in the
// middle was refused, so that nothing is left behind.
func (a Action) Run(ctx context.Context, c *Client, p Params, onCall func(Call)) error {
	r := &run{p: p}
	steps := a.steps(r)
	now := p.Now
	if now == nil {
		now = time.Now
	}
	var firstErr error
	for i, s := range steps {
		last := i == len(steps)-1
		if firstErr != nil && !(last && a.IsGroupAction() && r.guid != "") {
			continue
		}
		req := s.req(r)
		call := Call{What: s.what, Method: req.Method, Path: req.Path, At: now()}
		ans, err := c.Do(ctx, req)
		if err == nil && s.items {
			err = itemFailure(ans, req.Path)
		}
		call.Err = err
		if ans != nil {
			call.Status = ans.Status
			if s.took != nil {
				s.took(r, ans.Data)
			}
		} else if ae, ok := err.(*APIError); ok {
			call.Status = ae.Status
		}
		call.ID = cmp.Or(r.messageID, r.guid)
		onCall(call)
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// itemFailure finds a user CometChat refused inside a 200 answer: block-user's answer is
// keyed by uid, add-members' by scope then uid, each {"success": true} or an error.
func itemFailure(ans *Answer, path string) error {
	var top map[string]json.RawMessage
	if json.Unmarshal(ans.Data, &top) != nil {
		return nil
	}
	type item struct {
		Success *bool `json:"success"`
		Error   struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	var check func(key string, raw json.RawMessage, depth int) error
	check = func(key string, raw json.RawMessage, depth int) error {
		var it item
		if json.Unmarshal(raw, &it) != nil {
			return nil
		}
		if it.Success != nil {
			if *it.Success {
				return nil
			}
			msg := it.Error.Message
			if msg == "" {
				msg = "refused for " + key
			}
			return &APIError{Status: ans.Status, Code: it.Error.Code, Message: msg, Path: path}
		}
		var inner map[string]json.RawMessage
		if depth > 0 || json.Unmarshal(raw, &inner) != nil {
			return nil
		}
		for k, v := range inner {
			if err := check(k, v, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for k, v := range top {
		if err := check(k, v, 0); err != nil {
			return err
		}
	}
	return nil
}

// idOf reads a string or number field of a JSON object.
func idOf(data json.RawMessage, key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[key], &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(m[key], &n) == nil {
		return n.String()
	}
	return ""
}
