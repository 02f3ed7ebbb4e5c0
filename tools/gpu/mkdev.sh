#!/bin/bash
# mkdev.sh — lays out .dev/ (ignored by git), what a GPU call carries beside the tree (device tool's
# `carry: [".dev"]`), on a developer's machine after tools/install-deps.sh:
#   .dev/deps    Debian's static PCRE2 / utf8proc / Jansson and shared civetweb (+ the shared .so's that
#                libfoundry.so links), headers beside them: the GPU host has none of these packages
#   .dev/shared  ../shared's tools/ and models/ (../shared itself does not travel)
#   .dev/peer    llama.cpp's source (../shared/tools/peer/fetch_llama.sh; needs npm)
#   .dev/old     this repository at OLD (default 18359b8), for old-tree / new-tree figures in one call
# Usage (repository root): tools/gpu/mkdev.sh [OLD]
set -eu
OLD=${1:-18359b8}
D=.dev; L=/usr/lib/$(gcc -print-multiarch)
mkdir -p $D/deps/lib $D/deps/include $D/shared $D/peer
for f in pcre2.h utf8proc.h jansson.h jansson_config.h civetweb.h; do cp /usr/include/$f $D/deps/include/; done
cp $L/libpcre2-8.a $L/libutf8proc.a $L/libjansson.a $D/deps/lib/
for n in pcre2-8 utf8proc jansson civetweb; do     # the real file, its soname link and the dev link
  real=$(readlink -f $L/lib$n.so); cp "$real" $D/deps/lib/
  so=$(objdump -p "$real" | awk '/SONAME/ {print $2}')
  ln -sf "$(basename "$real")" $D/deps/lib/"$so"; ln -sf "$so" $D/deps/lib/lib$n.so
done
cp -r ../shared/tools ../shared/models $D/shared/
[ -f $D/peer/llama-src.tar.xz ] || bash ../shared/tools/peer/fetch_llama.sh $D/peer
rm -rf $D/old; mkdir -p $D/old; git archive "$OLD" | tar x -C $D/old
rm -rf $D/old/tests/data   # 14 MB of test data the old tree's benchmarks do not read (the carry holds 64 MiB)
du -sh $D $D/*
