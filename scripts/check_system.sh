#!/usr/bin/env bash
# Installs (as root, or with passwordless sudo, on Debian) or says exactly how to install the system
# tools a command needs. Usage: check_system.sh [cov]. Every target needs Python 3.11 with venv,
# Icarus, g++, make and the FST libraries of Verilator's wave dump (the toggle counts); `cov` also
# needs lcov (genhtml). ccache is optional: Verilator builds use it when it is there.
missing=()
pkgs=()
need() {  # need <description> <Debian package> <check command...>
  local what=$1 pkg=$2
  shift 2
  "$@" >/dev/null 2>&1 || { missing+=("$what"); pkgs+=("$pkg"); }
}
need python3 python3 command -v python3
need "python3 (3.11 or newer)" python3 python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'
need python3-venv python3-venv python3 -c 'import venv, ensurepip'
need iverilog iverilog command -v iverilog
need g++ g++ command -v g++
need make make command -v make
need liblz4-dev liblz4-dev test -e /usr/include/lz4.h
need zlib1g-dev zlib1g-dev test -e /usr/include/zlib.h
if [ "${1:-}" = cov ]; then
  need lcov lcov command -v genhtml
fi
[ ${#missing[@]} -eq 0 ] && exit 0

apt_cmd="apt-get update && apt-get install -y $(printf '%s\n' "${pkgs[@]}" | sort -u | tr '\n' ' ')"
if command -v apt-get >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    sudo=none
  fi
  if [ "$sudo" != none ]; then
    echo "[setup] installing missing system tools: ${missing[*]}" >&2
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
      $(printf '%s\n' "${pkgs[@]}" | sort -u) >&2 && exit 0
  fi
fi
echo "Missing system tools: ${missing[*]}" >&2
echo "Install them with: $apt_cmd" >&2
exit 1
