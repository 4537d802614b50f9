package policy

import (
	"testing"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestOrganizationVerb(t *testing.T) {
	g := NewWithT(t)
	g.Expect(OrganizationVerb(Create, nil, acme())).To(BeEmpty())
	g.Expect(OrganizationVerb(Update, acme(), acme())).To(Equal(orgsv1alpha1.VerbManageOwners))
	g.Expect(OrganizationVerb(Delete, acme(), nil)).To(Equal(orgsv1alpha1.VerbManageOwners))
}

func TestDecideOrganizationCreate(t *testing.T) {
	explicit := acme()
	explicit.Spec.HomeNamespace = "acme-home"
	claimed := map[string]string{"org-acme": "acme-old", "acme-home": "globex", "org-initech": "initech"}
	cases := []struct {
		name    string
		org     *orgsv1alpha1.Organization
		claimed map[string]string
		want    string // "" when allowed
	}{
		{"default home namespace claimed", acme(), claimed,
			`user "carol@example.com" may not create organization "acme": namespace "org-acme" is already the home namespace of organization "acme-old"; set another spec.homeNamespace`},
		{"explicit home namespace claimed", explicit, claimed, `namespace "acme-home" is already the home namespace of organization "globex"`},
		{"free home namespace", acme(), map[string]string{"org-initech": "initech"}, ""},
		{"no other organization", acme(), nil, ""},
		{"a stale entry for itself", acme(), map[string]string{"org-acme": "acme"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			// Creating needs no custom verb: RBAC on organizations decides who may.
			d := DecideOrganization(OrganizationRequest{Op: Create, New: c.org, Requester: Requester{User: "carol@example.com"}, Authority: noVerbs, ClaimedHomeNamespaces: c.claimed})
			if c.want == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Field).To(Equal("spec.homeNamespace"))
			g.Expect(d.Message).To(ContainSubstring(c.want))
		})
	}
}

func TestDecideOrganizationUpdate(t *testing.T) {
	finalized := acme()
	finalized.Finalizers = []string{orgsv1alpha1.OrganizationFinalizer}
	cases := []struct {
		name      string
		requester Requester
		authority Authority
		want      string
	}{
		{"the manager adds its finalizer", Requester{User: "system:serviceaccount:roster-system:roster-manager"}, bothVerbs, ""},
		{"an admin", bobAsker, membersVerb,
			`user "bob@example.com" may not update organization "acme": only owners (holders of manage-owners on organizations/acme) may update or delete an organization; ask an Owner of the organization to do it`},
		{"an outsider", outsider, noVerbs, `user "mallory@example.com" may not update organization "acme"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideOrganization(OrganizationRequest{Op: Update, Old: acme(), New: finalized, Requester: c.requester, Authority: c.authority, Members: 3})
			if c.want == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(HavePrefix(c.want))
		})
	}
}

func TestDecideOrganizationDelete(t *testing.T) {
	annotated := func(v string) *orgsv1alpha1.Organization {
		o := acme()
		o.Annotations = map[string]string{orgsv1alpha1.ConfirmDeleteAnnotation: v}
		return o
	}
	cases := []struct {
		name     string
		old, new *orgsv1alpha1.Organization
		members  int
		want     string // "" when allowed
	}{
		{"members and no confirmation", acme(), nil, 3,
			`user "alice@example.com" may not delete organization "acme" yet: it still has 3 Members, whose access would go with it; to confirm, run: kubectl annotate organization acme orgs.roster.dev/confirm-delete=acme`},
		{"one member", acme(), nil, 1, "it still has 1 Member,"},
		{"confirmation for another organization", annotated("globex"), nil, 3, "kubectl annotate organization acme orgs.roster.dev/confirm-delete=acme"},
		{"confirmation only on the new object", acme(), annotated(orgName), 3, "kubectl annotate organization acme orgs.roster.dev/confirm-delete=acme"},
		{"confirmed", annotated(orgName), nil, 3, ""},
		{"no members", acme(), nil, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideOrganization(OrganizationRequest{Op: Delete, Old: c.old, New: c.new, Requester: aliceAsker, Authority: bothVerbs, Members: c.members})
			if c.want == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(ContainSubstring(c.want))
		})
	}

	t.Run("authority before confirmation", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideOrganization(OrganizationRequest{Op: Delete, Old: acme(), Requester: bobAsker, Authority: membersVerb, Members: 3})
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(ContainSubstring(`user "bob@example.com" may not delete organization "acme": only owners`))
	})
}

func TestDecideOrganizationNoObject(t *testing.T) {
	g := NewWithT(t)
	d := DecideOrganization(OrganizationRequest{Op: Create, Old: acme(), Requester: clusterAdmin, Authority: bothVerbs})
	g.Expect(d.Code).To(Equal(Forbidden))
	g.Expect(d.Message).To(ContainSubstring("on Organizations"))
}
