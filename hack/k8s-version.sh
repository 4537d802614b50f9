#!/usr/bin/env bash
# Prints the Kubernetes version of the envtest and local-mode control plane.
# Its one home is the Go constant localcluster.KubernetesVersion; the
# Makefile and hack/envtest-binaries.sh read it from there (through this
# script), and internal/localcluster's tests check that this script prints
# the constant.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
v="$(sed -n 's/^const KubernetesVersion = "\([^"]*\)"$/\1/p' "$here/../internal/localcluster/assets.go")"
[ -n "$v" ] || { echo "k8s-version: no 'const KubernetesVersion = \"…\"' line in internal/localcluster/assets.go" >&2; exit 1; }
echo "$v"
