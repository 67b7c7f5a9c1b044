#!/usr/bin/env bash
# Regenerates everything derived from the kubebuilder markers in
# api/v1alpha1:
#
#   api/v1alpha1/zz_generated.deepcopy.go   controller-gen object
#   config/crd/corsgate.dev_*.yaml           controller-gen crd, then
#                                            api/v1alpha1/internal/crdpatch
#   charts/corsgate/crds/corsgate.dev_*.yaml copies of config/crd
#
# crdpatch adds the schemas no marker can express (OriginMatch is a string
# or an object, Duration an integer or a string); see its package doc.
#
# Usage:
#   bash hack/gen-crds.sh           regenerate in place
#   bash hack/gen-crds.sh --check   regenerate into a temporary directory and
#                                   fail if anything in the tree differs
#
# controller-gen is pinned and run through the module proxy, so nothing has
# to be installed; the first run downloads it (about 30 seconds).
set -euo pipefail

CONTROLLER_GEN_VERSION=v0.23.0
controller_gen() {
	go run "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_GEN_VERSION}" "$@"
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

check=false
case "${1:-}" in
"") ;;
--check) check=true ;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac

api=./api/v1alpha1
crd_dir=config/crd
chart_dir=charts/corsgate/crds
deepcopy=api/v1alpha1/zz_generated.deepcopy.go

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/crd" "$tmp/object"

controller_gen object paths="$api/" output:object:dir="$tmp/object"
controller_gen crd:crdVersions=v1 paths="$api/" output:crd:dir="$tmp/crd"
go run ./api/v1alpha1/internal/crdpatch "$tmp/crd"

if [[ ! -f "$tmp/object/zz_generated.deepcopy.go" ]]; then
	echo "gen-crds: controller-gen wrote no zz_generated.deepcopy.go" >&2
	exit 1
fi

if $check; then
	stale=()
	# Only corsgate.dev_*.yaml files are generated; anything else in these
	# folders (a kustomization, say) is left alone.
	for dir in "$crd_dir" "$chart_dir"; do
		got="$tmp/have-$(basename "$dir")"
		mkdir -p "$got"
		if compgen -G "$dir/corsgate.dev_*.yaml" >/dev/null; then
			cp "$dir"/corsgate.dev_*.yaml "$got"/
		fi
		if ! diff -ru "$got" "$tmp/crd" >"$tmp/diff" 2>&1; then
			stale+=("$dir")
			sed 's/^/    /' "$tmp/diff" | head -40 >&2
		fi
	done
	if ! cmp -s "$deepcopy" "$tmp/object/zz_generated.deepcopy.go"; then
		stale+=("$deepcopy")
	fi
	if ((${#stale[@]} > 0)); then
		echo "gen-crds: out of date with the types in api/v1alpha1: ${stale[*]}" >&2
		echo "gen-crds: run 'bash hack/gen-crds.sh' (or 'make generate-crds') and commit the result" >&2
		exit 1
	fi
	echo "gen-crds: $crd_dir, $chart_dir and $deepcopy are up to date"
	exit 0
fi

cp "$tmp/object/zz_generated.deepcopy.go" "$deepcopy"
for dir in "$crd_dir" "$chart_dir"; do
	mkdir -p "$dir"
	rm -f "$dir"/corsgate.dev_*.yaml
	cp "$tmp/crd"/corsgate.dev_*.yaml "$dir"/
done
echo "gen-crds: wrote $deepcopy, $crd_dir and $chart_dir"
