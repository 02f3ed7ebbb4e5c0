#!/bin/sh
# install-deps.sh — installs what building Foundry needs on Debian/Ubuntu:
# a C compiler, make, CMake, and the static PCRE2, utf8proc and Jansson
# libraries (the -dev packages carry the shared ones libfoundry.so links too);
# civetweb (the server's HTTP library: Debian ships it shared, needing only
# libc); pkg-config and binutils (nm, readelf) for tools/check_install.sh, the
# CI step that builds examples/ against the installed library. Does nothing
# when all are present. Needs root or sudo.
set -e
need=""
command -v cc >/dev/null 2>&1 || need="$need build-essential"
command -v make >/dev/null 2>&1 || need="$need make"
command -v cmake >/dev/null 2>&1 || need="$need cmake"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v nm >/dev/null 2>&1 || need="$need binutils"
for p in libpcre2-dev libutf8proc-dev libjansson-dev libcivetweb-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-deps: installing$need"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need
