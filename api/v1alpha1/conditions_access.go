package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// GetConditions and SetConditions give internal/conditions one setter and
// one summary for every kind, as Cluster API's util/conditions does.

// GetConditions returns the Organization's conditions.
func (o *Organization) GetConditions() []metav1.Condition { return o.Status.Conditions }

// SetConditions replaces the Organization's conditions.
func (o *Organization) SetConditions(c []metav1.Condition) { o.Status.Conditions = c }

// GetConditions returns the Member's conditions.
func (m *Member) GetConditions() []metav1.Condition { return m.Status.Conditions }

// SetConditions replaces the Member's conditions.
func (m *Member) SetConditions(c []metav1.Condition) { m.Status.Conditions = c }

// GetConditions returns the AccessToken's conditions.
func (t *AccessToken) GetConditions() []metav1.Condition { return t.Status.Conditions }

// SetConditions replaces the AccessToken's conditions.
func (t *AccessToken) SetConditions(c []metav1.Condition) { t.Status.Conditions = c }

// GetConditions returns the Invitation's conditions.
func (i *Invitation) GetConditions() []metav1.Condition { return i.Status.Conditions }

// SetConditions replaces the Invitation's conditions.
func (i *Invitation) SetConditions(c []metav1.Condition) { i.Status.Conditions = c }
