#!/usr/bin/env bash
# Installs the system packages the test suite needs when they are missing.
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

need=()
for tool in gcc git; do
  command -v "$tool" >/dev/null || need+=("$tool")
done
# test/e2e drives Debian's headless Chromium.
command -v chromium >/dev/null || need+=(chromium)
# test/e2e trusts its test CA through an NSS database made with certutil.
command -v certutil >/dev/null || need+=(libnss3-tools)
# test/kube puts its backends in a network namespace (ip netns, veth).
command -v ip >/dev/null || need+=(iproute2)

if [ ${#need[@]} -gt 0 ]; then
  echo "test-deps: installing ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}"
fi
