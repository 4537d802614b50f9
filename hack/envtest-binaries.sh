#!/usr/bin/env bash
# Builds the control-plane binaries that envtest and local mode need
# (kube-apiserver, kube-controller-manager, kubectl, etcd) from the Go module
# proxy and installs them into the setup-envtest store. setup-envtest's own
# download site is not always reachable; the Go module proxy is.
#
# Prints the assets directory on stdout (progress goes to stderr), so callers
# can do: export KUBEBUILDER_ASSETS="$(hack/envtest-binaries.sh)".
#
# Does nothing when the binaries are already there. Honours KUBEBUILDER_ASSETS
# when it is set and holds the binaries.
set -euo pipefail

# k8s.io/kubernetes v$K8S_VERSION, staging repos v0.<minor>.<patch>; the
# default is the Go constant localcluster.KubernetesVersion.
K8S_VERSION="${K8S_VERSION:-$("$(dirname "${BASH_SOURCE[0]}")/k8s-version.sh")}"
ETCD_VERSION="${ETCD_VERSION:-3.7.0}"        # go.etcd.io/etcd/server/v3
STAGING_VERSION="v0.${K8S_VERSION#1.}"
GOOS="$(go env GOOS)"
GOARCH="$(go env GOARCH)"
STORE="${ENVTEST_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest}"
DEST="$STORE/k8s/${K8S_VERSION}-${GOOS}-${GOARCH}"
BINARIES=(kube-apiserver kube-controller-manager kubectl etcd)

log() { printf 'envtest-binaries: %s\n' "$*" >&2; }

have_all() {
  local dir="$1" b
  for b in "${BINARIES[@]}"; do
    [ -x "$dir/$b" ] || return 1
  done
}

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && have_all "$KUBEBUILDER_ASSETS"; then
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi
if have_all "$DEST"; then
  echo "$DEST"
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/roster-envtest-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DEST"
# Keep the repo's own go.work/GOFLAGS out of the throwaway modules.
export GOWORK=off GOFLAGS=-mod=mod
start=$SECONDS

build_kubernetes() {
  local mod="$WORK/kubernetes"
  mkdir -p "$mod"
  cd "$mod"
  go mod init roster.dev/envtest-kubernetes >/dev/null 2>&1
  log "fetching k8s.io/kubernetes v${K8S_VERSION} (first time only; the cold build takes several minutes)"
  local gomod
  gomod="$(go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$gomod" ] || { log "could not download k8s.io/kubernetes v${K8S_VERSION}"; exit 1; }
  {
    echo "require k8s.io/kubernetes v${K8S_VERSION}"
    # k8s.io/kubernetes points every staging repo at ./staging/...; point each
    # at the published module of the matching version instead.
    sed -n 's#^[[:space:]]*\(k8s.io/[A-Za-z0-9._-]*\) => ./staging/.*#replace \1 => \1 '"${STAGING_VERSION}"'#p' "$gomod"
  } >>go.mod
  cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod tidy >&2
  local b
  for b in kube-apiserver kube-controller-manager kubectl; do
    log "building $b ($((SECONDS - start))s so far)"
    go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v${K8S_VERSION} -X k8s.io/client-go/pkg/version.gitVersion=v${K8S_VERSION}" \
      -o "$DEST/$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$DEST/$b.tmp" "$DEST/$b"
  done
}

build_etcd() {
  local mod="$WORK/etcd"
  mkdir -p "$mod"
  cd "$mod"
  go mod init roster.dev/envtest-etcd >/dev/null 2>&1
  cat >main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" >&2
  go mod tidy >&2
  log "building etcd ($((SECONDS - start))s so far)"
  go build -trimpath -ldflags "-s -w" -o "$DEST/etcd.tmp" .
  mv "$DEST/etcd.tmp" "$DEST/etcd"
}

[ -x "$DEST/etcd" ] || build_etcd
for b in kube-apiserver kube-controller-manager kubectl; do
  [ -x "$DEST/$b" ] || { build_kubernetes; break; }
done
log "installed ${BINARIES[*]} into $DEST in $((SECONDS - start))s"
echo "$DEST"
