#!/bin/sh
# install-deps.sh — installs what building Foundry needs on Debian/Ubuntu:
# a C compiler, make, CMake, the static PCRE2, utf8proc and Jansson
# libraries, and civetweb (the server's HTTP library: Debian ships it shared,
# needing only libc). Does nothing when all are present. Needs root or sudo.
set -e
need=""
command -v cc >/dev/null 2>&1 || need="$need build-essential"
command -v make >/dev/null 2>&1 || need="$need make"
command -v cmake >/dev/null 2>&1 || need="$need cmake"
for p in libpcre2-dev libutf8proc-dev libjansson-dev libcivetweb-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-deps: installing$need"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need
