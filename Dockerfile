# syntax=docker/dockerfile:1
# Roster's manager image: built in a Go image, run on distroless as nonroot.
#   docker build -t ghcr.io/roster-dev/roster:dev .

FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
# The release the manager reports with --version.
ARG VERSION=dev
WORKDIR /workspace

# Dependencies first, so source changes reuse the module cache layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY api/ api/
COPY cmd/ cmd/
COPY config/ config/
COPY controllers/ controllers/
COPY internal/ internal/

# A static binary: distroless/static has no libc.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w -X github.com/roster-dev/roster/internal/version.Version=${VERSION:-dev}" -o /out/manager ./cmd/manager

FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /out/manager /manager
# 65532 is distroless's nonroot user; the Deployment also sets runAsNonRoot.
USER 65532:65532
ENTRYPOINT ["/manager"]
