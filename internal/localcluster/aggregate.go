package localcluster

import (
	"context"
	"fmt"
	"slices"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AggregateClusterRoles does once what kube-controller-manager's
// clusterrole-aggregation controller keeps doing: it sets the rules of
// every ClusterRole with an aggregationRule (the built-in admin, edit and
// view, and any other) to the rules of the ClusterRoles its selectors
// match, in name order without repeats, until nothing changes (edit is
// aggregated into admin, view into edit). A control plane without
// kube-controller-manager (a plain envtest) has admin, edit and view with
// no rules at all until something does this. c must be allowed to list and
// update ClusterRoles.
func AggregateClusterRoles(ctx context.Context, c client.Client) error {
	// Each pass makes one more level of nesting current; the built-in
	// roles nest two deep.
	for range 8 {
		var roles rbacv1.ClusterRoleList
		if err := c.List(ctx, &roles); err != nil {
			return fmt.Errorf("listing ClusterRoles to aggregate: %w", err)
		}
		changed := false
		for i := range roles.Items {
			role := &roles.Items[i]
			if role.AggregationRule == nil {
				continue
			}
			rules, err := aggregatedRules(role, roles.Items)
			if err != nil {
				return err
			}
			if equality.Semantic.DeepEqual(rules, role.Rules) || (len(rules) == 0 && len(role.Rules) == 0) {
				continue
			}
			role.Rules = rules
			if err := c.Update(ctx, role); err != nil {
				return fmt.Errorf("aggregating ClusterRole %s: %w", role.Name, err)
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	return nil
}

// aggregatedRules are the rules of the roles role's selectors match.
func aggregatedRules(role *rbacv1.ClusterRole, all []rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	matched := map[string]*rbacv1.ClusterRole{}
	for _, sel := range role.AggregationRule.ClusterRoleSelectors {
		selector, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			return nil, fmt.Errorf("ClusterRole %s has an invalid aggregation selector: %w", role.Name, err)
		}
		for i := range all {
			if all[i].Name != role.Name && selector.Matches(labels.Set(all[i].Labels)) {
				matched[all[i].Name] = &all[i]
			}
		}
	}
	names := make([]string, 0, len(matched))
	for name := range matched {
		names = append(names, name)
	}
	sort.Strings(names)
	var rules []rbacv1.PolicyRule
	for _, name := range names {
		for _, rule := range matched[name].Rules {
			if !slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(r, rule) }) {
				rules = append(rules, rule)
			}
		}
	}
	return rules, nil
}

// KeepClusterRolesAggregated runs AggregateClusterRoles now (bounded by
// ctx) and returns its error; then again whenever a ClusterRole changes,
// until keep is done. Later errors go to onError (the next change tries
// again; a watch that cannot be opened ends it).
func KeepClusterRolesAggregated(ctx, keep context.Context, c client.WithWatch, onError func(error)) error {
	if err := AggregateClusterRoles(ctx, c); err != nil {
		return err
	}
	go func() {
		for keep.Err() == nil {
			w, err := c.Watch(keep, &rbacv1.ClusterRoleList{})
			if err != nil {
				onError(fmt.Errorf("watching ClusterRoles to aggregate: %w", err))
				return
			}
			for range w.ResultChan() {
				if err := AggregateClusterRoles(keep, c); err != nil && keep.Err() == nil {
					onError(err)
				}
			}
			w.Stop()
		}
	}()
	return nil
}
