#!/bin/sh
# check_layers.sh — checks every #include of the tree against the layer
# order of docs/DESIGN.md: a file may include only its own layer or those
# below it. A file's layer is its folder under src/ (src/<layer>/...); a
# public header's is the word after "Layer:" in its opening comment. Files
# under src/backend/cuda/ are private to that folder.
#   tools/check_layers.sh [ROOT]     exit 0 if clean, 1 with one line per violation
set -eu
root=${1:-$(dirname "$0")/..}
cd "$root"
order="base backend profile core kernel ops format text model generate serve cli"

# public header name -> its declared layer, as "name layer" lines
pub=$(for h in include/foundry/*.h; do
  l=$(sed -n '1,15s/.*Layer: \([a-z]*\).*/\1/p' "$h" | head -n 1)
  echo "$(basename "$h") ${l:-?}"
done)

find src include -name '*.c' -o -name '*.h' -o -name '*.cuh' | sort | awk -v order="$order" -v pub="$pub" '
BEGIN {
  n = split(order, o, " "); for (i = 1; i <= n; i++) rank[o[i]] = i
  m = split(pub, p, "\n"); for (i = 1; i <= m; i++) { split(p[i], kv, " "); publayer[kv[1]] = kv[2] }
  bad = 0
}
function layer_of_path(path,   a, k) {
  if (path ~ /^include\/foundry\//) { k = split(path, a, "/"); return publayer[a[k]] }
  split(path, a, "/"); return a[2]
}
function layer_of_inc(inc, self,   a) {
  if (inc ~ /^foundry\//) { split(inc, a, "/"); return (a[2] in publayer) ? publayer[a[2]] : "?" }
  if (index(inc, "/") == 0) return self            # same folder
  split(inc, a, "/"); return a[1]
}
{
  file = $0; self = layer_of_path(file)
  if (!(self in rank)) { printf "%s: layer \"%s\" is not in the order\n", file, self; bad = 1; next }
  ln = 0
  while ((getline line < file) > 0) {
    ln++
    if (line !~ /^[ \t]*#[ \t]*include[ \t]*"/) continue
    inc = line; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
    tl = layer_of_inc(inc, self)
    if (!(tl in rank)) { printf "%s:%d: includes \"%s\" of unknown layer\n", file, ln, inc; bad = 1; continue }
    if (rank[tl] > rank[self]) {
      printf "%s:%d: %s includes \"%s\" from the %s layer above it\n", file, ln, self, inc, tl; bad = 1
    }
    if (inc ~ /^backend\/cuda\// && file !~ /^src\/backend\/cuda\//) {
      printf "%s:%d: \"%s\" is private to src/backend/cuda/\n", file, ln, inc; bad = 1
    }
  }
  close(file)
}
END { exit bad }'
