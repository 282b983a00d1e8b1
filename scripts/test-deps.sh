#!/usr/bin/env bash
# Makes sure the Debian packages the test suite uses are present: prometheus (and
# promtool), chromium, jq, kubectl, faketime, libusb, systemd (systemd-analyze, for deploy/systemd).
# Installs the missing ones with apt-get when
# running as root; otherwise says what to install and fails.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have prometheus || need+=(prometheus)
have promtool || need+=(prometheus)
have chromium || need+=(chromium)
have jq || need+=(jq)
have kubectl || need+=(kubectl)
have systemd-analyze || need+=(systemd)
have faketime || need+=(faketime)
# VictoriaMetrics single node and vmalert (same package): the second real backend.
have victoria-metrics || need+=(victoria-metrics)
have vmalert || need+=(victoria-metrics)
ls /usr/lib/*/libusb-1.0.so.0 /lib/*/libusb-1.0.so.0 >/dev/null 2>&1 || need+=(libusb-1.0-0)
[ ${#need[@]} -eq 0 ] && exit 0

pkgs=$(printf '%s\n' "${need[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "test-deps: installing from Debian: $pkgs"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $pkgs
else
  echo "test-deps: missing Debian packages: $pkgs (install them: sudo apt-get install $pkgs)" >&2
  exit 1
fi
