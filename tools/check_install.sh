#!/bin/sh
# check_install.sh [BUILD] — the library as a library (CI step): installs the
# build into a temporary prefix (with DESTDIR, as a package would), checks
# that libfoundry.so has a SONAME, exports only fd_* and needs the shared
# PCRE2 / utf8proc / Jansson, builds examples/ against the installed copy
# with `pkg-config --cflags --libs foundry` and with its CMake package, and
# runs both on the CPU (the tiny random-weight model, the CPU backend).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=/opt/foundry
DESTDIR="$tmp/dest" cmake --install "$BUILD" --prefix "$prefix" >/dev/null
root="$tmp/dest$prefix"
lib=$(ls -d "$root"/lib*/ | head -1)
lib=${lib%/}
so="$lib/libfoundry.so"
for f in "$lib/libfoundry.a" "$so" "$root/bin/foundry" "$root/include/foundry/generate.h" \
         "$lib/pkgconfig/foundry.pc" "$lib/cmake/foundry/foundryConfig.cmake"; do
  [ -e "$f" ] || { echo "check_install: $f was not installed" >&2; exit 1; }
done
readelf -d "$so" | grep -q 'SONAME.*libfoundry\.so\.[0-9]' || { echo "check_install: libfoundry.so has no SONAME" >&2; exit 1; }
leaks=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBRVWiu]/ && $3 !~ /^fd_/ { print $3 }')
[ -z "$leaks" ] || { echo "check_install: libfoundry.so exports symbols outside fd_*:" $leaks >&2; exit 1; }
for dep in libpcre2-8 libutf8proc libjansson; do
  readelf -d "$so" | grep -q "NEEDED.*$dep\.so" || { echo "check_install: libfoundry.so does not link the shared $dep" >&2; exit 1; }
done
echo "check_install: libfoundry.so: $(nm -D --defined-only "$so" | wc -l) symbols, all fd_*; SONAME $(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')"

# foundry.pc finds its prefix from its own folder: the DESTDIR copy works as installed
export PKG_CONFIG_PATH="$lib/pkgconfig"
case "$(pkg-config --cflags foundry)" in
  *"$root/include"*|*"$lib/pkgconfig/../../include"*) ;;
  *) echo "check_install: foundry.pc does not point at the installed headers: $(pkg-config --cflags foundry)" >&2; exit 1 ;;
esac
for ex in generate kernel; do
  cc -std=c11 -Wall -Wextra -Werror examples/$ex.c $(pkg-config --cflags --libs foundry) -lm -o "$tmp/$ex"
done
cmake -S examples -B "$tmp/cmake-ex" -DCMAKE_PREFIX_PATH="$root" >/dev/null
cmake --build "$tmp/cmake-ex" >/dev/null
export LD_LIBRARY_PATH="$lib"
"$tmp/kernel" cpu
"$tmp/cmake-ex/kernel" cpu >/dev/null
"$tmp/generate" --tiny tests/data/tokenizer/ggml-vocab-qwen2.gguf "Once upon a time" 8 > "$tmp/gen.txt"
grep -q "generated in" "$tmp/gen.txt" || { echo "check_install: the generate example did not finish:" >&2; cat "$tmp/gen.txt" >&2; exit 1; }
echo "check_install: examples built with pkg-config and CMake against the installed library, and ran: ok"
