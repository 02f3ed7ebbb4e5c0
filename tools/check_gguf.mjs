// check_gguf.mjs — reads a GGUF file with another implementation (npm's
// @huggingface/gguf) and prints its metadata and tensor infos, so a file
// written by Foundry's writer can be checked against an independent reader.
// Not part of CI.
//
//   cd /tmp/gg && npm install @huggingface/gguf
//   HF_GGUF=/tmp/gg/node_modules/@huggingface/gguf/dist/index.mjs node tools/check_gguf.mjs FILE.gguf
//
// Exits 1 if the file does not parse or a tensor lies outside the file or
// off the alignment.
import { statSync } from "node:fs";
import { resolve } from "node:path";

const file = process.argv[2];
if (!file) {
  console.error("usage: node tools/check_gguf.mjs FILE.gguf");
  process.exit(2);
}
const mod = await import(process.env.HF_GGUF ?? "@huggingface/gguf");
const GGML = mod.GGMLQuantizationType;
const VT = mod.GGUFValueType;

function show(v) {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 60) + "..." : v);
  if (Array.isArray(v)) return `[${v.length} items: ${v.slice(0, 4).map(show).join(", ")}${v.length > 4 ? ", ..." : ""}]`;
  return String(v);
}

let out;
try {
  out = await mod.gguf(resolve(file), { allowLocalFile: true, typedMetadata: true });
} catch (e) {
  console.error(`${file}: @huggingface/gguf could not parse it: ${e.message}`);
  process.exit(1);
}
const { metadata, typedMetadata, tensorInfos, tensorDataOffset } = out;
const size = BigInt(statSync(file).size);
const align = BigInt(metadata["general.alignment"] ?? 32);
console.log(`${file}: GGUF v${metadata.version}, ${metadata.tensor_count} tensors, ${metadata.kv_count} keys, ` +
            `data at ${tensorDataOffset}, ${size} bytes, little-endian ${out.littleEndian}`);
for (const [k, tv] of Object.entries(typedMetadata)) {
  if (["version", "tensor_count", "kv_count"].includes(k)) continue;
  const t = VT[tv.type] + (tv.subType !== undefined ? `<${VT[tv.subType]}>` : "");
  console.log(`  ${k.padEnd(42)} ${t.padEnd(14)} ${show(tv.value)}`);
}
let bad = 0;
for (const t of tensorInfos) {
  const start = tensorDataOffset + t.offset;
  const ok = start <= size && t.offset % align === 0n;
  if (!ok) bad++;
  console.log(`  tensor ${t.name.padEnd(30)} ${String(GGML[t.dtype]).padEnd(5)} ne=[${t.shape.join(", ")}] ` +
              `offset ${t.offset}${ok ? "" : "  <-- outside the file or misaligned"}`);
}
if (tensorDataOffset % align !== 0n) { console.log("data section misaligned"); bad++; }
console.log(bad ? `${bad} problem(s)` : "ok: parsed by @huggingface/gguf, all tensors aligned and inside the file");
process.exit(bad ? 1 : 0);
