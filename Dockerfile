# syntax=docker/dockerfile:1
# corsgate image: a static binary on distroless, running as non-root 65532.
#
#   docker build -t corsgate --build-arg VERSION=v0.1.0 .
#   docker run --rm corsgate version
#
# Default command: `corsgate controller` (the Kubernetes controller and data
# plane the Helm chart in charts/corsgate deploys). Multi-platform builds
# cross-compile on the build host (--platform linux/amd64,linux/arm64).

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# The toolchain in the image builds the module; go.mod must not ask for
# another one.
ENV GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Dependencies first: this layer is reused while go.mod and go.sum are unchanged.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags="-s -w -X github.com/corsgate/corsgate/internal/cli.Version=${VERSION}" \
      -o /out/corsgate ./cmd/corsgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/corsgate /corsgate
USER 65532:65532
# Admin server (health, metrics, console); listener ports are P + --port-offset.
EXPOSE 9901
ENTRYPOINT ["/corsgate"]
CMD ["controller"]
