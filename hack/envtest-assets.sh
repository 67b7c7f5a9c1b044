#!/usr/bin/env bash
# Builds a real kube-apiserver and etcd from the Go module proxy for the
# controller tests (sigs.k8s.io/controller-runtime/pkg/envtest) and prints the
# directory to use as KUBEBUILDER_ASSETS.
#
# No binary can be downloaded on our machines, but both programs build from
# source published on the module proxy. `go install` refuses them because of
# their replace directives, so each is built in a scratch module (never the
# project's go.mod) whose replaces point the staging modules at their
# published versions. Results are cached under ~/.cache keyed by version: the
# cold build takes 10-25 minutes on two cores, a warm run takes a second.
#
# Progress goes to stderr; stdout is exactly the assets directory.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.1}"   # k8s.io/kubernetes release
STAGING_VERSION="v0.${KUBE_VERSION#v1.}"  # matching k8s.io/* staging modules
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"   # go.etcd.io/etcd/server/v3

cache="${XDG_CACHE_HOME:-$HOME/.cache}/corsgate/envtest"
assets="$cache/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION"

log() { echo "envtest-assets: $*" >&2; }

if [[ -x "$assets/kube-apiserver" && -x "$assets/etcd" ]]; then
	echo "$assets"
	exit 0
fi
mkdir -p "$assets"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod

build_apiserver() {
	local dir="$cache/src/kube-apiserver-$KUBE_VERSION"
	rm -rf "$dir" && mkdir -p "$dir"
	log "fetching k8s.io/kubernetes $KUBE_VERSION go.mod"
	local gomod
	gomod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
	{
		echo "module corsgate.local/kube-apiserver-build"
		echo
		echo "go $(sed -n 's/^go //p' "$gomod")"
		echo
		echo "require k8s.io/kubernetes $KUBE_VERSION"
		echo
		echo "replace ("
		sed -n 's#^\t\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$STAGING_VERSION"'#p' "$gomod"
		echo ")"
	} >"$dir/go.mod"
	printf 'package tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' >"$dir/tools.go"
	log "resolving kube-apiserver $KUBE_VERSION dependencies (staging modules at $STAGING_VERSION)"
	(cd "$dir" && go mod tidy >&2)
	log "building kube-apiserver $KUBE_VERSION (cold: 10-25 min)"
	(cd "$dir" && go build -trimpath -ldflags="-s $(version_ldflags)" -o "$assets/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2)
	mv "$assets/kube-apiserver.tmp" "$assets/kube-apiserver"
}

# version_ldflags stamps the release into the binary (what `go build` of a
# module cannot know), so /version and --version report it.
version_ldflags() {
	local v=k8s.io/component-base/version minor="${KUBE_VERSION#v1.}"
	minor="${minor%%.*}"
	echo "-X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
}

build_etcd() {
	local dir="$cache/src/etcd-$ETCD_VERSION"
	rm -rf "$dir" && mkdir -p "$dir"
	cat >"$dir/go.mod" <<MOD
module corsgate.local/etcd-build

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
MOD
	printf 'package tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$dir/tools.go"
	log "resolving etcd $ETCD_VERSION dependencies"
	(cd "$dir" && go mod tidy >&2)
	log "building etcd $ETCD_VERSION"
	(cd "$dir" && go build -trimpath -ldflags=-s -o "$assets/etcd.tmp" go.etcd.io/etcd/server/v3 >&2)
	mv "$assets/etcd.tmp" "$assets/etcd"
}

[[ -x "$assets/etcd" ]] || build_etcd
[[ -x "$assets/kube-apiserver" ]] || build_apiserver
"$assets/kube-apiserver" --version >&2
"$assets/etcd" --version >&2
echo "$assets"
