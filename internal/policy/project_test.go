package policy

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestDecideProjectAttach(t *testing.T) {
	base := ProjectAttachRequest{Requester: Requester{User: "pat@example.com"}, Namespace: "web", To: "acme", ManagerNamespace: "roster-system", CanGrant: true, ClusterRoles: []string{"admin", "view"}}
	tests := []struct {
		name    string
		change  func(r *ProjectAttachRequest)
		allowed bool
		says    string
	}{
		{name: "someone who could create the bindings attaches", change: func(*ProjectAttachRequest) {}, allowed: true},
		{name: "someone who could not is refused", change: func(r *ProjectAttachRequest) { r.CanGrant = false }, says: "ClusterRoles admin, view there"},
		{name: "detaching needs nothing", change: func(r *ProjectAttachRequest) { r.From, r.To, r.CanGrant = "acme", "", false }, allowed: true},
		{name: "an unchanged label needs nothing", change: func(r *ProjectAttachRequest) { r.From, r.CanGrant = "acme", false }, allowed: true},
		{name: "moving to another organization is attaching", change: func(r *ProjectAttachRequest) { r.From, r.CanGrant = "other", false }, says: "may not create those RoleBindings"},
		{name: "a home namespace", change: func(r *ProjectAttachRequest) { r.Namespace, r.HomeOf = "org-acme", "acme" }, says: "home namespace"},
		{name: "another organization's home", change: func(r *ProjectAttachRequest) { r.Namespace, r.HomeOf = "org-beta", "beta" }, says: `organization "beta"`},
		{name: "kube-system", change: func(r *ProjectAttachRequest) { r.Namespace = "kube-system" }, says: "system namespace"},
		{name: "default", change: func(r *ProjectAttachRequest) { r.Namespace = "default" }, says: "system namespace"},
		{name: "Roster's own namespace", change: func(r *ProjectAttachRequest) { r.Namespace = "roster-system" }, says: "Roster's own namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			r := base
			tt.change(&r)
			d := DecideProjectAttach(r)
			g.Expect(d.Allowed()).To(Equal(tt.allowed), d.Message)
			if !tt.allowed {
				g.Expect(d.Code).To(Equal(Forbidden))
				g.Expect(d.Message).To(ContainSubstring(tt.says))
			}
		})
	}
}
