package ui

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Page sizes of the Users list.
const (
	DefaultPageSize = 25
	MaxPageSize     = 200
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// problemOf is err as the page shows it.
func problemOf(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		if p.Code == 0 {
			p.Code = http.StatusBadGateway
		}
		return p
	}
	return &Problem{Message: err.Error(), Code: http.StatusBadGateway}
}

func writeProblem(w http.ResponseWriter, err error) {
	p := problemOf(err)
	writeJSON(w, p.Code, map[string]any{"error": p})
}

// sessionInfo is what the page learns when it starts or switches
// organization.
type sessionInfo struct {
	User          string            `json:"user"`
	Organization  string            `json:"organization"`
	Organizations []Organization    `json:"organizations"`
	Role          orgsv1alpha1.Role `json:"role,omitempty"`
	Access        Access            `json:"access"`
	AccessError   *Problem          `json:"accessError,omitempty"`
	Roles         []string          `json:"roles"`
	PollMillis    int64             `json:"pollMillis"`
}

func (s *Server) apiSession(w http.ResponseWriter, r *http.Request, _ string) {
	ctx := r.Context()
	user, err := s.o.Backend.User(ctx)
	if err != nil {
		writeProblem(w, err)
		return
	}
	orgs, current, err := s.o.Backend.Organizations(ctx)
	if err != nil {
		writeProblem(w, err)
		return
	}
	if want := r.URL.Query().Get("org"); want != "" {
		current = want
	}
	info := sessionInfo{User: user, Organization: current, Organizations: orgs, PollMillis: s.o.PollInterval.Milliseconds()}
	if info.Organizations == nil {
		info.Organizations = []Organization{}
	}
	for _, role := range orgsv1alpha1.Roles {
		info.Roles = append(info.Roles, string(role))
	}
	for _, o := range orgs {
		if o.Name == current {
			info.Role = o.Role
		}
	}
	if current != "" {
		// Someone who may not read the organization (a non-member) still
		// learns who they are signed in as: no control is offered, and the
		// list says why it is empty.
		if info.Access, err = s.o.Backend.Access(ctx, current); err != nil {
			info.AccessError = problemOf(err)
		}
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) apiCSRF(w http.ResponseWriter, _ *http.Request, session string) {
	writeJSON(w, http.StatusOK, map[string]string{"token": s.guard.issueCSRF(session)})
}

// userPage is one page of the Users list.
type userPage struct {
	Organization string  `json:"organization"`
	DisplayName  string  `json:"displayName,omitempty"`
	Items        []Entry `json:"items"`
	// Total counts the entries that match the search; Page is 1-based.
	Total int `json:"total"`
	Page  int `json:"page"`
	Pages int `json:"pages"`
	Size  int `json:"size"`
	// Members, Pending and Owners count the whole directory; Owners are
	// the user Members whose role is Owner (groups never count).
	Members int `json:"members"`
	Pending int `json:"pending"`
	Owners  int `json:"owners"`
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	d, err := s.o.Backend.Directory(r.Context(), q.Get("org"))
	if err != nil {
		writeProblem(w, err)
		return
	}
	size, _ := strconv.Atoi(q.Get("size"))
	page, _ := strconv.Atoi(q.Get("page"))
	writeJSON(w, http.StatusOK, pageOf(d, q.Get("q"), q.Get("sort"), q.Get("dir") == "desc", page, size))
}

// pageOf searches, sorts and cuts the directory on the server, so a page
// of 10,000 members carries one page of rows.
func pageOf(d *Directory, query, sortBy string, desc bool, page, size int) userPage {
	out := userPage{Organization: d.Organization, DisplayName: d.DisplayName, Items: []Entry{}}
	query = strings.ToLower(strings.TrimSpace(query))
	var matched []Entry
	for _, e := range d.Entries {
		if e.Kind == "Member" {
			out.Members++
			if e.Role == orgsv1alpha1.RoleOwner && !e.Group && e.Status != "removing" {
				out.Owners++
			}
		} else {
			out.Pending++
		}
		if query == "" || matches(e, query) {
			matched = append(matched, e)
		}
	}
	less := lessBy(sortBy)
	sort.SliceStable(matched, func(i, j int) bool {
		if desc {
			return less(matched[j], matched[i])
		}
		return less(matched[i], matched[j])
	})
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	out.Total, out.Size = len(matched), size
	out.Pages = max(1, (len(matched)+size-1)/size)
	out.Page = min(max(page, 1), out.Pages)
	start := (out.Page - 1) * size
	out.Items = append(out.Items, matched[start:min(start+size, len(matched))]...)
	return out
}

func matches(e Entry, query string) bool {
	for _, field := range []string{e.Name, string(e.Role), e.Status, e.InvitedBy, e.Phase} {
		if strings.Contains(strings.ToLower(field), query) {
			return true
		}
	}
	return false
}

// lessBy orders entries by a column; ties go by name.
func lessBy(column string) func(a, b Entry) bool {
	byName := func(a, b Entry) bool { return strings.ToLower(a.Name) < strings.ToLower(b.Name) }
	then := func(key func(Entry) string) func(a, b Entry) bool {
		return func(a, b Entry) bool {
			if ka, kb := key(a), key(b); ka != kb {
				return ka < kb
			}
			return byName(a, b)
		}
	}
	switch column {
	case "role":
		return func(a, b Entry) bool {
			if a.Role.Rank() != b.Role.Rank() {
				return a.Role.Rank() > b.Role.Rank()
			}
			return byName(a, b)
		}
	case "status":
		return then(func(e Entry) string { return e.Status })
	case "invitedBy":
		return then(func(e Entry) string { return strings.ToLower(e.InvitedBy) })
	case "since":
		return func(a, b Entry) bool {
			if !a.Since.Equal(b.Since) {
				return a.Since.Before(b.Since)
			}
			return byName(a, b)
		}
	case "name":
		return byName
	}
	// The default: members first (highest role first), then invitations.
	return func(a, b Entry) bool {
		if a.Kind != b.Kind {
			return a.Kind == "Member"
		}
		return lessBy("role")(a, b)
	}
}

// request is the body of every state-changing request.
type request struct {
	Org         string            `json:"org"`
	Member      string            `json:"member,omitempty"`
	Invitation  string            `json:"invitation,omitempty"`
	Role        orgsv1alpha1.Role `json:"role,omitempty"`
	Emails      string            `json:"emails,omitempty"`
	Invitations []inviteRow       `json:"invitations,omitempty"`
	// The Projects view's (projects.go).
	Project      string   `json:"project,omitempty"`
	DisplayName  string   `json:"displayName,omitempty"`
	Environment  string   `json:"environment,omitempty"`
	Environments []string `json:"environments,omitempty"`
	Namespaces   []string `json:"namespaces,omitempty"`
}

type inviteRow struct {
	Email string            `json:"email"`
	Role  orgsv1alpha1.Role `json:"role"`
}

// inviteResult is one address's outcome, shown on its row.
type inviteResult struct {
	Email string            `json:"email"`
	Role  orgsv1alpha1.Role `json:"role,omitempty"`
	OK    bool              `json:"ok"`
	Error *Problem          `json:"error,omitempty"`
}

func decode(w http.ResponseWriter, r *http.Request) (*request, bool) {
	var req request
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, &Problem{Message: "bad request: " + err.Error(), Code: http.StatusBadRequest})
		return nil, false
	}
	if req.Org == "" {
		writeProblem(w, &Problem{Message: "bad request: no organization", Code: http.StatusBadRequest})
		return nil, false
	}
	return &req, true
}

func done(w http.ResponseWriter, err error, message string) {
	if err != nil {
		writeProblem(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": message})
}

func (s *Server) apiSetRole(w http.ResponseWriter, r *http.Request, _ string) {
	if req, ok := decode(w, r); ok {
		done(w, s.o.Backend.SetRole(r.Context(), req.Org, req.Member, req.Role), "Role updated to "+string(req.Role)+".")
	}
}

func (s *Server) apiRemove(w http.ResponseWriter, r *http.Request, _ string) {
	if req, ok := decode(w, r); ok {
		done(w, s.o.Backend.Remove(r.Context(), req.Org, req.Member), "Access removed.")
	}
}

func (s *Server) apiLeave(w http.ResponseWriter, r *http.Request, _ string) {
	if req, ok := decode(w, r); ok {
		done(w, s.o.Backend.Leave(r.Context(), req.Org), "You left the organization.")
	}
}

func (s *Server) apiResend(w http.ResponseWriter, r *http.Request, _ string) {
	if req, ok := decode(w, r); ok {
		done(w, s.o.Backend.Resend(r.Context(), req.Org, req.Invitation), "Invitation resent with a new link.")
	}
}

func (s *Server) apiRevoke(w http.ResponseWriter, r *http.Request, _ string) {
	if req, ok := decode(w, r); ok {
		done(w, s.o.Backend.Revoke(r.Context(), req.Org, req.Invitation), "Invitation deleted.")
	}
}

// splitEmails reads the comma-delimited list of the Invite view (new
// lines and semicolons separate too).
func splitEmails(list string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' }) {
		f = strings.TrimSpace(f)
		if f == "" || seen[strings.ToLower(f)] {
			continue
		}
		seen[strings.ToLower(f)] = true
		out = append(out, f)
	}
	return out
}

// apiCheckEmails splits and checks the list before anything is sent.
func (s *Server) apiCheckEmails(w http.ResponseWriter, r *http.Request, _ string) {
	req, ok := decode(w, r)
	if !ok {
		return
	}
	rows := []inviteResult{}
	for _, email := range splitEmails(req.Emails) {
		row := inviteResult{Email: email, OK: true}
		if err := s.o.Backend.ValidEmail(email); err != nil {
			row.OK, row.Error = false, &Problem{Message: err.Error()}
		}
		rows = append(rows, row)
	}
	writeJSON(w, http.StatusOK, map[string]any{"rows": rows})
}

// apiInvite sends each invitation on its own: a refused address is
// reported on its row and the others go through.
func (s *Server) apiInvite(w http.ResponseWriter, r *http.Request, _ string) {
	req, ok := decode(w, r)
	if !ok {
		return
	}
	results := make([]inviteResult, 0, len(req.Invitations))
	for _, in := range req.Invitations {
		res := inviteResult{Email: in.Email, Role: in.Role, OK: true}
		err := s.o.Backend.ValidEmail(in.Email)
		if err == nil {
			ctx, cancel := contextWithTimeout(r, 30*time.Second)
			err = s.o.Backend.Invite(ctx, req.Org, in.Email, in.Role)
			cancel()
		}
		if err != nil {
			res.OK, res.Error = false, problemOf(err)
		}
		results = append(results, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}
