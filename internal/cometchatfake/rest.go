package cometchatfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rest serves the app's v3 REST API: the endpoints comethook trigger calls, each as its page
// of CometChat's API reference describes it (internal/cometchat names the pages).
func (s *Server) rest(w http.ResponseWriter, r *http.Request) {
	// https://www.cometchat.com/docs/rest-api/authentication: the apikey header, a key with
	// full access; error codes from https://www.cometchat.com/docs/articles/error-guide.
	switch key := r.Header.Get("apikey"); {
	case key == "":
		apiError(w, http.StatusUnauthorized, "AUTH_ERR_EMPTY_APIKEY", "The apikey header is empty.")
		return
	case key == s.cfg.AuthOnlyKey && key != "":
		apiError(w, http.StatusUnauthorized, "AUTH_ERR_NO_ACCESS", "The apikey does not have access to this API.")
		return
	case key != s.cfg.APIKey:
		// CometChat quotes the key back, its ends unmasked (an answer seen in the wild:
		// "The key 11111****11111 does not exist. Please use correct apiKey.").
		apiError(w, http.StatusUnauthorized, "AUTH_ERR_APIKEY_NOT_FOUND", "The key "+quoteKey(key)+" does not exist. Please use correct apiKey.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.cfg.RateLimitAfter > 0 && s.calls > s.cfg.RateLimitAfter && !s.limited {
		// https://www.cometchat.com/docs/articles/rate-limits: 429 with Retry-After (seconds)
		// and X-Rate-Limit-Reset (a Unix time).
		s.limited = true
		w.Header().Set("Retry-After", "1")
		w.Header().Set("X-Rate-Limit-Reset", itoa(time.Now().Add(time.Second).Unix()))
		apiError(w, http.StatusTooManyRequests, "ERR_TOO_MANY_REQUESTS", "Too many requests.")
		return
	}
	var body map[string]any
	if err := readBody(r, &body); err != nil {
		apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "The body is not valid JSON.")
		return
	}
	actor := r.Header.Get("onBehalfOf")
	if actor != "" && !s.users[actor] {
		apiError(w, http.StatusNotFound, "ERR_UID_NOT_FOUND", "The UID "+actor+" does not exist.")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/v3/"), "/")
	for i := range parts {
		parts[i], _ = url.PathUnescape(parts[i])
	}
	route := r.Method + " " + shape(parts)
	switch route {
	case "POST messages":
		s.sendMessage(w, actor, body)
	case "PUT messages/*":
		s.editMessage(w, actor, parts[1], body)
	case "DELETE messages/*":
		s.deleteMessage(w, actor, parts[1])
	case "POST messages/*/reactions/*", "DELETE messages/*/reactions/*":
		s.react(w, r.Method == http.MethodPost, actor, parts[1], parts[3])
	case "POST users/*/blockedusers", "DELETE users/*/blockedusers":
		s.block(w, r.Method == http.MethodPost, parts[1], body)
	case "POST groups":
		s.createGroup(w, actor, body)
	case "PUT groups/*":
		s.updateGroup(w, actor, parts[1], body)
	case "DELETE groups/*":
		s.deleteGroup(w, actor, parts[1])
	case "POST groups/*/members":
		s.addMembers(w, actor, parts[1], body)
	case "PUT groups/*/members/*":
		s.memberAction(w, actor, parts[1], parts[3], "scope", body)
	case "DELETE groups/*/members/*":
		s.memberAction(w, actor, parts[1], parts[3], "kick", nil)
	case "POST groups/*/bannedusers/*":
		s.memberAction(w, actor, parts[1], parts[3], "ban", nil)
	case "DELETE groups/*/bannedusers/*":
		s.memberAction(w, actor, parts[1], parts[3], "unban", nil)
	default:
		apiError(w, http.StatusNotFound, "ERR_API_NOT_FOUND", "No such API: "+r.Method+" /v3/"+strings.Join(parts, "/"))
	}
}

func quoteKey(k string) string {
	n := min(5, len(k)/3)
	return k[:n] + "****" + k[len(k)-n:]
}

// shape names a path by its fixed segments: messages/*/reactions/*.
func shape(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if i%2 == 1 {
			p = "*"
		}
		out[i] = p
	}
	return strings.Join(out, "/")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func str(body map[string]any, key string) string {
	s, _ := body[key].(string)
	return s
}

func strs(body map[string]any, key string) []string {
	list, _ := body[key].([]any)
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) actorOr(actor string) string {
	if actor == "" {
		return "app_system" // [INF] the spec's examples show app actions by "app_system"
	}
	return actor
}

func (s *Server) messageFill(m *message) map[string]any {
	conv := "group_" + m.receiver
	if m.receiverType == "user" {
		a, b := m.sender, m.receiver
		if b < a {
			a, b = b, a
		}
		conv = a + "_user_" + b
	}
	return map[string]any{"$msg.id": m.id, "$msg.sender": m.sender, "$msg.receiver": m.receiver, "$msg.receiverType": m.receiverType,
		"$msg.data.text": m.text, "$msg.conversationId": conv, "$msg.data.entities.sender.entity.uid": m.sender,
		"$msg.data.entities.receiver.entity.uid": m.receiver}
}

func (s *Server) messageJSON(m *message) map[string]any {
	return map[string]any{"id": m.id, "sender": m.sender, "receiver": m.receiver, "receiverType": m.receiverType,
		"category": "message", "type": "text", "data": map[string]any{"text": m.text}, "sentAt": time.Now().Unix()}
}

// sendMessage: https://www.cometchat.com/docs/rest-api/messages/send-message. A legacy
// before_message webhook is asked first, and its {"action":"do_not_propagate"} drops the
// message (cometchat-webhooks.md §5); what the API answers then is not documented [INF]:
// the fake answers the message as sent and sends nothing more.
func (s *Server) sendMessage(w http.ResponseWriter, actor string, body map[string]any) {
	m := &message{sender: s.actorOr(actor), receiver: str(body, "receiver"), receiverType: str(body, "receiverType")}
	if d, ok := body["data"].(map[string]any); ok {
		m.text = str(d, "text")
	}
	switch m.receiverType {
	case "user":
		if !s.users[m.receiver] {
			apiError(w, http.StatusNotFound, "ERR_UID_NOT_FOUND", "The UID "+m.receiver+" does not exist.")
			return
		}
		if s.blocked[m.receiver][m.sender] {
			apiError(w, http.StatusForbidden, "ERR_BLOCKED_RECEIVER", "The receiver has blocked the sender.")
			return
		}
	case "group":
		g, ok := s.groups[m.receiver]
		if !ok {
			apiError(w, http.StatusNotFound, "ERR_GUID_NOT_FOUND", "The GUID "+m.receiver+" does not exist.")
			return
		}
		if _, member := g.members[m.sender]; !member && actor != "" {
			apiError(w, http.StatusForbidden, "ERR_NOT_A_MEMBER", "The user "+m.sender+" is not a member of the group "+m.receiver+".")
			return
		}
	default:
		apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "receiverType must be user or group.")
		return
	}
	m.id = s.newID()
	s.messages[m.id] = m
	fill := s.messageFill(m)
	if s.beforeMessageDrops(fill) {
		answer(w, http.StatusOK, s.messageJSON(m))
		return
	}
	s.emit(event{trigger: "after_message", legacy: true, fill: fill}, event{trigger: "message_sent", fill: fill})
	answer(w, http.StatusOK, s.messageJSON(m))
}

// beforeMessageDrops asks every legacy before_message webhook, in turn, and says whether one
// answered do_not_propagate. It is the one synchronous webhook: the fake waits, as CometChat does.
func (s *Server) beforeMessageDrops(fill map[string]any) bool {
	var hooks []hook // copies: posting happens without the lock
	for _, h := range s.hooks[true] {
		if h.enabled && slices.Contains(h.triggers, "before_message") {
			hooks = append(hooks, *h)
		}
	}
	for _, h := range hooks {
		body, err := s.payload(event{trigger: "before_message", legacy: true, fill: fill}, h.id)
		if err != nil {
			continue
		}
		s.mu.Unlock()
		status, answer, err := s.post(&h, body)
		s.mu.Lock()
		s.sent = append(s.sent, Delivery{Webhook: h.id, Trigger: "before_message", URL: h.url, Status: status, Err: err})
		var a struct {
			Action string `json:"action"`
		}
		if err == nil && status >= 200 && status < 300 && json.Unmarshal(answer, &a) == nil && a.Action == "do_not_propagate" {
			return true
		}
	}
	return false
}

func (s *Server) findMessage(w http.ResponseWriter, id string) (*message, bool) {
	m, ok := s.messages[id]
	if !ok || m.deleted {
		apiError(w, http.StatusNotFound, "ERR_MSG_NOT_FOUND", "The message "+id+" does not exist.")
		return nil, false
	}
	return m, true
}

// editMessage: https://www.cometchat.com/docs/rest-api/messages/update-message.
func (s *Server) editMessage(w http.ResponseWriter, actor, id string, body map[string]any) {
	m, ok := s.findMessage(w, id)
	if !ok {
		return
	}
	if actor != "" && actor != m.sender {
		apiError(w, http.StatusForbidden, "ERR_MESSAGE_NOT_A_SENDER", "Only the sender can edit the message.")
		return
	}
	if d, ok := body["data"].(map[string]any); ok {
		m.text = str(d, "text")
	}
	s.emit(event{trigger: "message_edited", fill: s.messageFill(m)})
	answer(w, http.StatusOK, map[string]any{"id": s.newID(), "category": "action", "type": "message",
		"data": map[string]any{"action": "edited", "entities": map[string]any{"on": map[string]any{"entity": s.messageJSON(m)}}}})
}

// deleteMessage: https://www.cometchat.com/docs/rest-api/messages/delete-message (soft).
func (s *Server) deleteMessage(w http.ResponseWriter, actor, id string) {
	m, ok := s.findMessage(w, id)
	if !ok {
		return
	}
	if actor != "" && actor != m.sender {
		apiError(w, http.StatusForbidden, "ERR_MESSAGE_NOT_A_SENDER", "Only the sender can delete the message.")
		return
	}
	m.deleted = true
	s.emit(event{trigger: "message_deleted", fill: s.messageFill(m)})
	answer(w, http.StatusOK, map[string]any{"id": s.newID(), "category": "action", "type": "message",
		"data": map[string]any{"action": "deleted", "entities": map[string]any{"on": map[string]any{"entity": s.messageJSON(m)}}}})
}

// react: https://www.cometchat.com/docs/rest-api/messages/add-reaction and remove-reaction;
// onBehalfOf is required.
func (s *Server) react(w http.ResponseWriter, add bool, actor, id, reaction string) {
	if actor == "" {
		apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "The onBehalfOf header is required.")
		return
	}
	m, ok := s.findMessage(w, id)
	if !ok {
		return
	}
	trigger := "message_reaction_removed"
	if add {
		trigger = "message_reaction_added"
	}
	s.emit(event{trigger: trigger, fill: map[string]any{"data.reaction.messageId": m.id, "data.reaction.reaction": reaction,
		"data.reaction.uid": actor, "data.reaction.reactedBy.uid": actor, "data.reaction.id": s.newID()}})
	answer(w, http.StatusOK, s.messageJSON(m))
}

// block: https://www.cometchat.com/docs/rest-api/blocked-users/block-user and unblock-user.
func (s *Server) block(w http.ResponseWriter, add bool, uid string, body map[string]any) {
	if !s.users[uid] {
		apiError(w, http.StatusNotFound, "ERR_UID_NOT_FOUND", "The UID "+uid+" does not exist.")
		return
	}
	uids := strs(body, "blockedUids")
	if len(uids) == 0 {
		apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "blockedUids is required.")
		return
	}
	result := map[string]any{}
	var done []string
	for _, b := range uids {
		if !s.users[b] {
			result[b] = map[string]any{"success": false, "error": map[string]any{"code": "ERR_UID_NOT_FOUND", "message": "The UID " + b + " does not exist."}}
			continue
		}
		if s.blocked[b] == nil {
			s.blocked[b] = map[string]bool{}
		}
		s.blocked[b][uid] = add
		result[b] = map[string]any{"success": true}
		done = append(done, b)
	}
	trigger := "user_unblocked"
	if add {
		trigger = "user_blocked"
	}
	if len(done) > 0 {
		s.emit(event{trigger: trigger, fill: map[string]any{"data.by.uid": uid}, members: done})
	}
	answer(w, http.StatusOK, result)
}

func (s *Server) findGroup(w http.ResponseWriter, guid string) (*group, bool) {
	g, ok := s.groups[strings.ToLower(guid)]
	if !ok {
		apiError(w, http.StatusNotFound, "ERR_GUID_NOT_FOUND", "The GUID "+guid+" does not exist.")
	}
	return g, ok
}

func groupFill(g *group, by string) map[string]any {
	return map[string]any{"data.group.guid": g.guid, "data.group.name": g.name, "data.group.owner": g.owner, "data.by.uid": by}
}

func groupJSON(g *group) map[string]any {
	return map[string]any{"guid": g.guid, "name": g.name, "type": "public", "owner": g.owner, "membersCount": len(g.members),
		"conversationId": "group_" + g.guid, "createdAt": time.Now().Unix()}
}

// createGroup: https://www.cometchat.com/docs/rest-api/groups/create (GUIDs are lower-cased).
func (s *Server) createGroup(w http.ResponseWriter, actor string, body map[string]any) {
	guid := strings.ToLower(str(body, "guid"))
	if guid == "" || str(body, "name") == "" {
		apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "guid, name and type are required.")
		return
	}
	if _, ok := s.groups[guid]; ok {
		apiError(w, http.StatusConflict, "ERR_GUID_ALREADY_EXISTS", "The GUID "+guid+" already exists.")
		return
	}
	owner := str(body, "owner")
	if owner == "" {
		owner = s.actorOr(actor)
	} else if !s.users[owner] {
		apiError(w, http.StatusNotFound, "ERR_UID_NOT_FOUND", "The UID "+owner+" does not exist.")
		return
	}
	g := &group{guid: guid, name: str(body, "name"), owner: owner, members: map[string]string{owner: "admin"}, banned: map[string]bool{}}
	s.groups[guid] = g
	s.emit(event{trigger: "group_created", fill: groupFill(g, owner), members: []string{owner}})
	answer(w, http.StatusOK, groupJSON(g))
}

// updateGroup: https://www.cometchat.com/docs/rest-api/groups/update; "owner" transfers the
// ownership (ignored with onBehalfOf, as the page says).
func (s *Server) updateGroup(w http.ResponseWriter, actor, guid string, body map[string]any) {
	g, ok := s.findGroup(w, guid)
	if !ok {
		return
	}
	if name := str(body, "name"); name != "" {
		g.name = name
	}
	if owner := str(body, "owner"); owner != "" && actor == "" {
		if _, member := g.members[owner]; !member {
			apiError(w, http.StatusBadRequest, "ERR_NOT_A_MEMBER", "The new owner must be a member of the group.")
			return
		}
		g.owner = owner
		g.members[owner] = "admin"
		s.emit(event{trigger: "group_owner_transferred", fill: groupFill(g, s.actorOr(actor))})
	}
	answer(w, http.StatusOK, groupJSON(g))
}

// deleteGroup: https://www.cometchat.com/docs/rest-api/groups/delete.
func (s *Server) deleteGroup(w http.ResponseWriter, actor, guid string) {
	g, ok := s.findGroup(w, guid)
	if !ok {
		return
	}
	delete(s.groups, g.guid)
	s.emit(event{trigger: "group_deleted", fill: groupFill(g, s.actorOr(actor))})
	answer(w, http.StatusOK, map[string]any{"success": true, "message": "Group with guid " + g.guid + " has been deleted successfully."})
}

// addMembers: https://www.cometchat.com/docs/rest-api/group-members/add-members.
func (s *Server) addMembers(w http.ResponseWriter, actor, guid string, body map[string]any) {
	g, ok := s.findGroup(w, guid)
	if !ok {
		return
	}
	// The answer is keyed by scope, then by uid (the add-members page).
	result := map[string]any{}
	var added []string
	for _, scope := range []string{"participants", "moderators", "admins"} {
		byUID := map[string]any{}
		for _, uid := range strs(body, scope) {
			if !s.users[uid] {
				byUID[uid] = map[string]any{"success": false, "error": map[string]any{"code": "ERR_UID_NOT_FOUND", "message": "The UID " + uid + " does not exist."}}
				continue
			}
			g.members[uid] = strings.TrimSuffix(scope, "s")
			added = append(added, uid)
			byUID[uid] = map[string]any{"success": true}
		}
		if len(byUID) > 0 {
			result[scope] = byUID
		}
	}
	if len(added) > 0 {
		s.emit(event{trigger: "group_member_added", fill: groupFill(g, s.actorOr(actor)), members: added})
	}
	answer(w, http.StatusOK, result)
}

// memberAction: change-scope, kick, ban and unban
// (https://www.cometchat.com/docs/rest-api/group-members/change-scope, …/kick,
// https://www.cometchat.com/docs/rest-api/banned-users/ban, …/unban).
func (s *Server) memberAction(w http.ResponseWriter, actor, guid, uid, what string, body map[string]any) {
	g, ok := s.findGroup(w, guid)
	if !ok {
		return
	}
	if !s.users[uid] {
		apiError(w, http.StatusNotFound, "ERR_UID_NOT_FOUND", "The UID "+uid+" does not exist.")
		return
	}
	_, member := g.members[uid]
	ev := event{fill: groupFill(g, s.actorOr(actor)), members: []string{uid}}
	switch what {
	case "scope":
		if !member {
			apiError(w, http.StatusBadRequest, "ERR_NOT_A_MEMBER", "The user "+uid+" is not a member of the group.")
			return
		}
		scope := str(body, "scope")
		if scope != "admin" && scope != "moderator" && scope != "participant" {
			apiError(w, http.StatusBadRequest, "ERR_BAD_REQUEST", "scope must be admin, moderator or participant.")
			return
		}
		if g.members[uid] == scope {
			apiError(w, http.StatusBadRequest, "ERR_SAME_SCOPE", "The member already has that scope.")
			return
		}
		g.members[uid], ev.trigger, ev.scope = scope, "group_member_scope_changed", scope
		s.emit(ev)
		answer(w, http.StatusOK, map[string]any{"guid": g.guid, "uid": uid, "scope": scope})
		return
	case "kick":
		if !member {
			apiError(w, http.StatusBadRequest, "ERR_NOT_A_MEMBER", "The user "+uid+" is not a member of the group.")
			return
		}
		delete(g.members, uid)
		ev.trigger = "group_member_kicked"
	case "ban":
		if g.banned[uid] {
			apiError(w, http.StatusBadRequest, "ERR_ALREADY_BANNED", "The user is already banned.")
			return
		}
		delete(g.members, uid)
		g.banned[uid], ev.trigger = true, "group_member_banned"
	case "unban":
		if !g.banned[uid] {
			apiError(w, http.StatusBadRequest, "ERR_NOT_A_BANNED_USER", "The user is not banned.")
			return
		}
		delete(g.banned, uid)
		ev.trigger = "group_member_unbanned"
	}
	s.emit(ev)
	answer(w, http.StatusOK, map[string]any{"success": true, "message": "Done."})
}
