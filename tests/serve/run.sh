#!/bin/sh
# run.sh FOUNDRY_BIN WORKDIR — foundry serve's API test with the official
# OpenAI client: installs the pinned client (package-lock.json) with `npm ci`
# into WORKDIR (a build folder, never the source tree) and runs
# serve_test.mjs there. Exit 77 (a skip, saying why) without node, npm or
# curl, or when npm cannot install (offline).
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
work=$2
for t in node npm curl; do
  command -v $t >/dev/null 2>&1 || { echo "SKIP: $t is not installed (tools/install-deps.sh; .ci/run installs it)"; exit 77; }
done
"$bin" serve --help >/dev/null 2>&1 || { echo "SKIP: this foundry has no serve command (built without civetweb)"; exit 77; }
mkdir -p "$work" || exit 1
cp "$here/package.json" "$here/package-lock.json" "$here/serve_test.mjs" "$work/" || exit 1
if ! [ -f "$work/node_modules/openai/package.json" ] || ! cmp -s "$here/package-lock.json" "$work/.installed-lock"; then
  if ! (cd "$work" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
    echo "SKIP: npm ci could not install the openai client (offline?): $(tail -n 3 "$work/npm.log")"
    exit 77
  fi
  cp "$here/package-lock.json" "$work/.installed-lock"
fi
cd "$work" && exec node serve_test.mjs "$bin"
