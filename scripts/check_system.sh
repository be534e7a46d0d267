#!/usr/bin/env bash
# Says exactly what to install when a system tool the project needs is missing.
missing=()
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || missing+=("python3 (3.11 or newer)")
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v iverilog >/dev/null || missing+=(iverilog)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v genhtml >/dev/null || missing+=(lcov)
[ -e /usr/include/lz4.h ] || missing+=(liblz4-dev)
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
PKGS="iverilog g++ make lcov liblz4-dev zlib1g-dev python3-venv"
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  # root on Debian: install what is missing instead of stopping
  echo "Installing missing system tools: ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PKGS >&2 && exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Missing system tools: ${missing[*]}" >&2
  echo "Install them with: apt-get update && apt-get install -y $PKGS" >&2
  exit 1
fi
