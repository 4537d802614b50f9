# Roster: the organization's user directory as Kubernetes custom resources.
# `make help` lists the targets.

IMG ?= ghcr.io/roster-dev/roster:latest
# The Kubernetes version of the envtest and local-mode control plane: read
# from its one home, the Go constant localcluster.KubernetesVersion.
K8S_VERSION ?= $(shell hack/k8s-version.sh)
# The release the binaries report (kubectl roster version, manager --version).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
VERSION_LDFLAGS := -X github.com/roster-dev/roster/internal/version.Version=$(VERSION)

# Tool versions, pinned; every tool installs into ./bin.
CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
KUSTOMIZE_VERSION ?= v5.8.1
HELM_VERSION ?= v3.22.0

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
KUSTOMIZE ?= $(LOCALBIN)/kustomize
HELM ?= $(LOCALBIN)/helm
CHART ?= charts/roster
KUBECTL ?= kubectl

# Arguments for `make run`, e.g. make run ARGS="--data-dir=.roster/etcd".
ARGS ?=
ifneq ($(LOCAL),)
ARGS += --local
endif

# Prints the envtest assets directory, building the binaries on first use.
ENVTEST_ASSETS = $(shell K8S_VERSION=$(K8S_VERSION) hack/envtest-binaries.sh)

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs, RBAC and webhook configurations from the code's markers.
	$(CONTROLLER_GEN) rbac:roleName=roster-manager crd webhook paths="./..." \
		output:crd:artifacts:config=config/crd/bases \
		output:rbac:artifacts:config=config/rbac \
		output:webhook:artifacts:config=config/webhook
	$(call chart-files)

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -w $$(git ls-files '*.go')

# EXAMPLE_MODULES are nested Go modules (`go test ./...` does not enter
# them): vet, lint and test run in each too.
EXAMPLE_MODULES ?= examples/downstream

.PHONY: vet
vet: ## Run go vet (the examples' modules too).
	go vet ./...
	@for m in $(EXAMPLE_MODULES); do echo "go vet in $$m"; (cd $$m && go vet ./...) || exit 1; done

.PHONY: lint
lint: golangci-lint ## Run golangci-lint (the examples' modules too).
	$(GOLANGCI_LINT) run ./...
	@for m in $(EXAMPLE_MODULES); do echo "golangci-lint in $$m"; (cd $$m && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...) || exit 1; done

.PHONY: envtest
envtest: ## Build the control-plane binaries for tests and local mode (cached after the first build).
	@echo "envtest binaries: $(ENVTEST_ASSETS)"

.PHONY: test
test: manifests generate vet kustomize helm ## Run every test (unit, policy fuzz corpus, envtest suites, local mode): what CI runs.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./... -count=1 -timeout=30m -coverprofile=cover.out
	@for m in $(EXAMPLE_MODULES); do echo "go test in $$m"; (cd $$m && KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./... -count=1 -timeout=10m) || exit 1; done

# INTEGRATION_PKGS are the packages whose tests start a control plane:
# their test files import internal/testenv (or its apiserver),
# internal/localcluster, controller-runtime's envtest or pkg/rostertest,
# or they are internal/localcluster. Worked out by go list, so a new
# suite joins by what it imports.
INTEGRATION_PKGS = $(shell go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | \
	awk '/roster\/internal\/(testenv|localcluster)|controller-runtime\/pkg\/envtest|roster\/pkg\/rostertest/ { print $$1 }')

.PHONY: test-unit
test-unit: kustomize helm ## Run the tests that need no control plane (ROSTER_SKIP_ENVTEST=1: the envtest suites skip; vet is make vet's): about 90 s on 2 cores, nearly all linking.
	ROSTER_SKIP_ENVTEST=1 go test ./... -count=1 -vet=off -timeout=5m

.PHONY: test-integration
test-integration: manifests generate kustomize helm ## Run the suites that start a control plane (INTEGRATION_PKGS) and the examples' modules.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test $(INTEGRATION_PKGS) -count=1 -timeout=30m
	@for m in $(EXAMPLE_MODULES); do echo "go test in $$m"; (cd $$m && KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./... -count=1 -timeout=10m) || exit 1; done

.PHONY: fuzz
fuzz: ## Fuzz the policy engine for FUZZTIME (default 2m).
	go test ./internal/policy/ -run=NONE -fuzz=FuzzDecide -fuzztime=$(or $(FUZZTIME),2m)

.PHONY: fuzz-long
fuzz-long: ## Fuzz every target for FUZZTIME each (default 10m): the policy engine, admission request decoding, the accept endpoint.
	go test ./internal/policy/ -run=NONE -fuzz='^FuzzDecide$$' -fuzztime=$(or $(FUZZTIME),10m)
	go test ./internal/webhook/ -run=NONE -fuzz='^FuzzAdmissionReview$$' -fuzztime=$(or $(FUZZTIME),10m)
	go test ./internal/acceptserver/ -run=NONE -fuzz='^FuzzAcceptEndpoint$$' -fuzztime=$(or $(FUZZTIME),10m)

# The large run of `make bench`; BENCH_ARGS comes last, so it overrides any
# of these, e.g. make bench BENCH_ARGS="-orgs=25 -scaling=" (docs/benchmarks.md).
BENCH_LARGE = -orgs=100 -members=100 -projects=5 -churn-rate=50 -churn-duration=60s \
	-admission-clients=50 -admission-duration=20s -unrelated-rolebindings=50000 \
	-project-envs=1,3,5 -scaling=1000,2500,5000,10000 -out=results.json -svg=../../docs/benchmarks-scaling.svg

.PHONY: bench
bench: ## Run the scale benchmark (test/bench) at 10,000 members with the scaling curve; sizes in BENCH_ARGS.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/bench/ -run='^TestBench$$' -count=1 -timeout=0 -v -args $(BENCH_LARGE) $(BENCH_ARGS)

.PHONY: verify
verify: manifests generate lint ## Fail when generated files are stale or code is unformatted or lint fails or go.mod is untidy.
	@go mod tidy -diff >/dev/null || { echo "go.mod or go.sum is not tidy: run 'go mod tidy' and commit the result"; go mod tidy -diff; exit 1; }
	@for m in $(EXAMPLE_MODULES); do (cd $$m && go mod tidy -diff >/dev/null) || { echo "$$m: go.mod or go.sum is not tidy: run 'go mod tidy' in it and commit the result"; exit 1; }; done
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	@git diff --exit-code -- config api $(CHART) || { echo "generated files are stale: run 'make manifests generate' and commit the result"; exit 1; }
	@test -z "$$(git status --porcelain -- config api $(CHART))" || { echo "generated files are not committed:"; git status --porcelain -- config api $(CHART); exit 1; }

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager and the kubectl plugin into bin/.
	go build -ldflags "$(VERSION_LDFLAGS)" -o $(LOCALBIN)/manager ./cmd/manager
	go build -ldflags "$(VERSION_LDFLAGS)" -o $(LOCALBIN)/kubectl-roster ./cmd/kubectl-roster

.PHONY: install-plugin
install-plugin: $(LOCALBIN) ## Build the kubectl plugin into bin/ (kubectl-roster, plus kubectl_complete-roster for shell completion).
	go build -ldflags "$(VERSION_LDFLAGS)" -o $(LOCALBIN)/kubectl-roster ./cmd/kubectl-roster
	ln -sf kubectl-roster $(LOCALBIN)/kubectl_complete-roster
	@echo 'Put $(LOCALBIN) on your PATH, e.g. export PATH="$(LOCALBIN):$$PATH", then run: kubectl roster --help'

.PHONY: run
run: manifests generate fmt vet ## Run the manager: against the configured cluster, or (no cluster, or LOCAL=1) on its own local control plane.
	@# Built, then run: `go run` exits 1 on Ctrl-C whatever the manager did,
	@# and a clean stop should not look like a failure.
	go build -ldflags "$(VERSION_LDFLAGS)" -o $(LOCALBIN)/manager ./cmd/manager
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" $(LOCALBIN)/manager $(ARGS)

##@ Deployment

.PHONY: install
install: manifests kustomize ## Install the CRDs into the cluster in ~/.kube/config.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: manifests kustomize ## Uninstall the CRDs.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy the manager (config/default) into the cluster.
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default | $(KUBECTL) apply --server-side -f -

.PHONY: build-installer
build-installer: manifests kustomize ## Write dist/install.yaml (config/default: self-managed certificates) and dist/install-cert-manager.yaml, with the image IMG.
	$(call installer,config/default,dist/install.yaml)
	$(call installer,config/overlays/cert-manager,dist/install-cert-manager.yaml)

.PHONY: helm-lint
helm-lint: manifests helm ## Lint the Helm chart, in both certificate modes.
	$(HELM) lint --strict $(CHART) --namespace roster-system
	$(HELM) lint --strict $(CHART) --namespace roster-system --set certificates.mode=cert-manager

.PHONY: helm-template
helm-template: manifests helm ## Render the Helm chart (release roster in roster-system) to dist/helm/roster.yaml.
	mkdir -p dist/helm
	$(HELM) template roster $(CHART) --namespace roster-system > dist/helm/roster.yaml
	@echo "wrote dist/helm/roster.yaml"

.PHONY: undeploy
undeploy: kustomize ## Remove the manager from the cluster.
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found -f -

##@ Tools

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN)
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT)
$(GOLANGCI_LINT): $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

.PHONY: kustomize
kustomize: $(KUSTOMIZE)
$(KUSTOMIZE): $(LOCALBIN)
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: helm
helm: $(HELM)
$(HELM): $(LOCALBIN)
	$(call go-install-tool,$(HELM),helm.sh/helm/v3/cmd/helm,$(HELM_VERSION))

$(LOCALBIN):
	mkdir -p $(LOCALBIN)

# chart-files copies what controller-gen generates into the Helm chart, which
# renders it from there (test/deploy checks that the copies are current).
define chart-files
rm -rf $(CHART)/files/crds $(CHART)/files/rbac $(CHART)/files/webhook $(CHART)/files/prometheus
mkdir -p $(CHART)/files/crds $(CHART)/files/rbac $(CHART)/files/webhook
cp config/crd/bases/*.yaml $(CHART)/files/crds/
cp config/rbac/role.yaml config/rbac/roster_gitops_role.yaml config/rbac/roster_viewer_role.yaml config/rbac/manager_rbac_policy.yaml $(CHART)/files/rbac/
cp config/webhook/manifests.yaml $(CHART)/files/webhook/
mkdir -p $(CHART)/files/prometheus
cp config/prometheus/rules.yaml $(CHART)/files/prometheus/
endef

# installer renders kustomization $(1) with the image IMG into file $(2),
# through a throw-away overlay so no tracked file changes.
define installer
rm -rf dist/.installer && mkdir -p dist/.installer
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../$(1)\n' > dist/.installer/kustomization.yaml
cd dist/.installer && $(KUSTOMIZE) edit set image ghcr.io/roster-dev/roster=$(IMG)
$(KUSTOMIZE) build dist/.installer > $(2)
rm -rf dist/.installer
@echo "wrote $(2)"
endef

# go-install-tool installs a pinned tool into bin/ as name-version and links
# the plain name to it, so a version bump reinstalls.
define go-install-tool
@[ -f "$(1)-$(3)" ] || { \
set -e; \
echo "installing $(2)@$(3)"; \
rm -f "$(1)"; \
GOBIN="$(LOCALBIN)" go install "$(2)@$(3)"; \
mv "$(1)" "$(1)-$(3)"; \
}; \
ln -sf "$$(basename "$(1)-$(3)")" "$(1)"
endef
