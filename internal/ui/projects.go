package ui

import (
	"context"
	"net/http"
	"time"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// The Projects view (issue 18): an organization's Projects, their
// environments and namespaces, and the signed-in user's access there;
// create, add and remove an environment, delete, and confirm the deletion
// of a namespace Roster holds because it holds something. Like the Users
// list it acts as the user: the ProjectsBackend is the plugin's client, so
// the Project webhook (policy.DecideProject) decides who may, and its
// refusal is shown as Roster words it.

// ProjectNamespace is one namespace of a Project, from its status.
type ProjectNamespace struct {
	Name        string `json:"name"`
	Environment string `json:"environment,omitempty"`
	// Phase is Pending, Active, Terminating or Conflict.
	Phase string `json:"phase"`
	// Retiring: the namespace is no longer wanted (its environment was
	// removed, or the Project is being deleted) and Roster deletes it.
	Retiring bool `json:"retiring,omitempty"`
	// Held: Roster keeps it until its deletion is confirmed, because it
	// holds workloads, Secrets or ConfigMaps (Ready reason
	// DeletionNeedsConfirmation).
	Held bool `json:"held,omitempty"`
}

// Project is one row of the Projects view.
type Project struct {
	Name         string             `json:"name"`
	DisplayName  string             `json:"displayName,omitempty"`
	Environments []string           `json:"environments"`
	Namespaces   []ProjectNamespace `json:"namespaces"`
	// Ready, Reason and Message are the Ready condition ("" reason before
	// Roster has looked at it).
	Ready   bool   `json:"ready"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Deleting: the Project is being deleted.
	Deleting bool      `json:"deleting,omitempty"`
	Since    time.Time `json:"since"`
}

// Projects is an organization's Projects and what the signed-in user has
// in their namespaces.
type Projects struct {
	Organization string `json:"organization"`
	// Role is the user's role in the organization ("" for none), and
	// ClusterRole what that role is bound to in every project namespace
	// (access.ProjectClusterRoles: admin, edit, roster-viewer or view).
	Role        orgsv1alpha1.Role `json:"role,omitempty"`
	ClusterRole string            `json:"clusterRole,omitempty"`
	// MaxProjects and MaxEnvironments are the Organization's bounds
	// (spec.projects), 0 when the user may not read them.
	MaxProjects     int       `json:"maxProjects,omitempty"`
	MaxEnvironments int       `json:"maxEnvironments,omitempty"`
	Items           []Project `json:"items"`
}

// NewProject is what + Create Project sends.
type NewProject struct {
	Name         string   `json:"name"`
	DisplayName  string   `json:"displayName,omitempty"`
	Environments []string `json:"environments,omitempty"`
}

// ProjectsBackend reads and writes an organization's Projects as the
// signed-in user. A Backend that also implements it gets the Projects view
// (the plugin's does: internal/cli/ui_projects.go).
type ProjectsBackend interface {
	Projects(ctx context.Context, org string) (*Projects, error)
	CreateProject(ctx context.Context, org string, p NewProject) error
	AddEnvironment(ctx context.Context, org, project, env string) error
	RemoveEnvironment(ctx context.Context, org, project, env string) error
	DeleteProject(ctx context.Context, org, project string) error
	// ConfirmDeleteNamespaces adds namespaces to the Project's
	// orgs.roster.dev/confirm-delete-namespaces annotation, so that Roster
	// deletes them with their contents.
	ConfirmDeleteNamespaces(ctx context.Context, org, project string, namespaces []string) error
}

// projectRoutes adds the Projects view's API; the guard protects each
// route as it does the Users page's (session, Host, and for POST the
// Origin and a single-use CSRF token).
func (s *Server) projectRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/projects", s.guard.protect(s.apiProjects))
	mux.Handle("POST /api/projects", s.guard.protect(s.apiCreateProject))
	mux.Handle("POST /api/projects/environments/add", s.guard.protect(s.apiAddEnvironment))
	mux.Handle("POST /api/projects/environments/remove", s.guard.protect(s.apiRemoveEnvironment))
	mux.Handle("POST /api/projects/delete", s.guard.protect(s.apiDeleteProject))
	mux.Handle("POST /api/projects/confirm-delete", s.guard.protect(s.apiConfirmDelete))
}

// projects is the backend's ProjectsBackend, or a problem saying there is none.
func (s *Server) projects(w http.ResponseWriter) (ProjectsBackend, bool) {
	pb, ok := s.o.Backend.(ProjectsBackend)
	if !ok {
		writeProblem(w, &Problem{Message: "this server has no Projects view", Code: http.StatusNotImplemented})
	}
	return pb, ok
}

func (s *Server) apiProjects(w http.ResponseWriter, r *http.Request, _ string) {
	pb, ok := s.projects(w)
	if !ok {
		return
	}
	list, err := pb.Projects(r.Context(), r.URL.Query().Get("org"))
	if err != nil {
		writeProblem(w, err)
		return
	}
	if list.Items == nil {
		list.Items = []Project{}
	}
	writeJSON(w, http.StatusOK, list)
}

// projectRequest decodes a state-changing Projects request and wants a
// project named in it.
func (s *Server) projectRequest(w http.ResponseWriter, r *http.Request) (ProjectsBackend, *request, bool) {
	pb, ok := s.projects(w)
	if !ok {
		return nil, nil, false
	}
	req, ok := decode(w, r)
	if !ok {
		return nil, nil, false
	}
	if req.Project == "" {
		writeProblem(w, &Problem{Message: "bad request: no project", Code: http.StatusBadRequest})
		return nil, nil, false
	}
	return pb, req, true
}

func (s *Server) apiCreateProject(w http.ResponseWriter, r *http.Request, _ string) {
	if pb, req, ok := s.projectRequest(w, r); ok {
		ctx, cancel := contextWithTimeout(r, 30*time.Second)
		defer cancel()
		err := pb.CreateProject(ctx, req.Org, NewProject{Name: req.Project, DisplayName: req.DisplayName, Environments: req.Environments})
		done(w, err, "Project "+req.Project+" created.")
	}
}

func (s *Server) apiAddEnvironment(w http.ResponseWriter, r *http.Request, _ string) {
	if pb, req, ok := s.projectRequest(w, r); ok {
		done(w, pb.AddEnvironment(r.Context(), req.Org, req.Project, req.Environment),
			"Environment "+req.Environment+" added to "+req.Project+".")
	}
}

func (s *Server) apiRemoveEnvironment(w http.ResponseWriter, r *http.Request, _ string) {
	if pb, req, ok := s.projectRequest(w, r); ok {
		done(w, pb.RemoveEnvironment(r.Context(), req.Org, req.Project, req.Environment),
			"Environment "+req.Environment+" removed from "+req.Project+".")
	}
}

func (s *Server) apiDeleteProject(w http.ResponseWriter, r *http.Request, _ string) {
	if pb, req, ok := s.projectRequest(w, r); ok {
		done(w, pb.DeleteProject(r.Context(), req.Org, req.Project), "Project "+req.Project+" is being deleted.")
	}
}

func (s *Server) apiConfirmDelete(w http.ResponseWriter, r *http.Request, _ string) {
	pb, req, ok := s.projectRequest(w, r)
	if !ok {
		return
	}
	if len(req.Namespaces) == 0 {
		writeProblem(w, &Problem{Message: "bad request: no namespaces to confirm", Code: http.StatusBadRequest})
		return
	}
	done(w, pb.ConfirmDeleteNamespaces(r.Context(), req.Org, req.Project, req.Namespaces),
		"Deletion confirmed: Roster deletes the namespaces with their contents.")
}
