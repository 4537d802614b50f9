package localcluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// aggregatedRoles are the built-in ClusterRoles whose rules only
// kube-controller-manager's clusterrole-aggregation controller fills in.
var aggregatedRoles = []string{"admin", "edit", "view"}

// waitForAggregation waits until every aggregated built-in ClusterRole has
// rules, failing early when kube-controller-manager exits.
func waitForAggregation(ctx context.Context, c client.Client, kcm *childProcess, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var pending []string
	var lastErr error
	for {
		if err := kcm.exited(); err != nil {
			return err
		}
		pending, lastErr = pending[:0], nil
		for _, name := range aggregatedRoles {
			var role rbacv1.ClusterRole
			if err := c.Get(ctx, client.ObjectKey{Name: name}, &role); err != nil {
				lastErr = err
				pending = append(pending, name)
				continue
			}
			if len(role.Rules) == 0 {
				pending = append(pending, name)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			err := fmt.Errorf("kube-controller-manager did not aggregate ClusterRoles %v in time (its log is %s): %w", pending, kcm.logPath, context.Cause(ctx))
			if lastErr != nil {
				err = errors.Join(err, lastErr)
			}
			return err
		case <-tick.C:
		}
	}
}

// Apply server-side applies objs with FieldOwner, forcing ownership, as
// Start applies Options.Objects (typed objects of client-go's scheme, or
// objects with apiVersion and kind set).
func Apply(ctx context.Context, c client.Client, objs []client.Object) error {
	for _, obj := range objs {
		u, err := toApplyable(obj)
		if err != nil {
			return err
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s: %w", u.GetKind(), objectName(u), err)
		}
	}
	return nil
}

// toApplyable converts obj to an unstructured object with apiVersion and kind
// set and without the server-populated metadata an apply must not carry.
func toApplyable(obj client.Object) (*unstructured.Unstructured, error) {
	if obj == nil {
		return nil, errors.New("nil object in Options.Objects")
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Empty() || gvk.Kind == "" {
		var err error
		if gvk, err = apiutil.GVKForObject(obj, scheme.Scheme); err != nil {
			return nil, fmt.Errorf("object %q in Options.Objects has no apiVersion/kind and is not a client-go type: %w", objectName(obj), err)
		}
	}
	var u *unstructured.Unstructured
	if in, ok := obj.(*unstructured.Unstructured); ok {
		u = in.DeepCopy()
	} else {
		content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, fmt.Errorf("converting %s %s: %w", gvk.Kind, objectName(obj), err)
		}
		u = &unstructured.Unstructured{Object: content}
	}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind})
	for _, f := range []string{"resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "selfLink"} {
		unstructured.RemoveNestedField(u.Object, "metadata", f)
	}
	return u, nil
}

func objectName(obj client.Object) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}
	return obj.GetName()
}
