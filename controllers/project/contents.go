package project

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/roster-dev/roster/internal/policy"
)

// The deletion guard lists, metadata only and never cached, what a project
// namespace holds: the manager sees names, not the values of Secrets or
// ConfigMaps.
// +kubebuilder:rbac:groups="",resources=pods;secrets;configmaps,verbs=list
// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;daemonsets;replicasets,verbs=list
// +kubebuilder:rbac:groups=batch,resources=jobs;cronjobs,verbs=list

var workloadKinds = []schema.GroupVersionKind{
	{Version: "v1", Kind: "PodList"},
	{Group: "apps", Version: "v1", Kind: "DeploymentList"},
	{Group: "apps", Version: "v1", Kind: "StatefulSetList"},
	{Group: "apps", Version: "v1", Kind: "DaemonSetList"},
	{Group: "apps", Version: "v1", Kind: "ReplicaSetList"},
	{Group: "batch", Version: "v1", Kind: "JobList"},
	{Group: "batch", Version: "v1", Kind: "CronJobList"},
}

// contents counts what namespace holds beyond what Kubernetes creates.
func contents(ctx context.Context, reader client.Reader, namespace string) (policy.NamespaceContents, error) {
	var c policy.NamespaceContents
	count := func(gvk schema.GroupVersionKind, skip func(string) bool) (int, error) {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk)
		if err := reader.List(ctx, list, client.InNamespace(namespace)); err != nil {
			return 0, fmt.Errorf("listing %s in namespace %s: %w", gvk.Kind, namespace, err)
		}
		n := 0
		for i := range list.Items {
			if skip == nil || !skip(list.Items[i].Name) {
				n++
			}
		}
		return n, nil
	}
	for _, gvk := range workloadKinds {
		n, err := count(gvk, nil)
		if err != nil {
			return c, err
		}
		c.Workloads += n
	}
	var err error
	if c.Secrets, err = count(schema.GroupVersionKind{Version: "v1", Kind: "SecretList"}, nil); err != nil {
		return c, err
	}
	c.ConfigMaps, err = count(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMapList"}, policy.KubernetesConfigMap)
	return c, err
}
