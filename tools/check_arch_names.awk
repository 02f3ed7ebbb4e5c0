# check_arch_names.awk — the rules of tools/check_arch_names.sh, which runs
# it over the descriptor files (src/model/arch/, first) and then the files to
# check. Reads C as tokens: string literals outside comments and #include
# lines, escapes kept as written.
#
# From the descriptors it derives what names an architecture or a tensor:
#   words   each fd_arch's GGUF name, model_type and class stem ("Qwen3" of
#           "Qwen3ForCausalLM"), matched case-blind as a word: between
#           characters other than letters and digits ("qwen3_moe" names qwen3);
#   names   each tensor name, GGUF and Hugging Face (the literals ending in
#           .weight or .bias), with its layer %u as any %-format or number;
#           each pair of adjacent dotted parts ("model.norm", "blk.%u");
#           each class name and its suffix ("ForCausalLM"): as substrings;
#   parts   each dotted part of a tensor name holding "_" ("q_proj",
#           "rope_freqs"), matched as an identifier: between characters other
#           than letters, digits and "_" ("attn_qkv" is not attn_q).
# Not forbidden: preset names and tokenizer_pre (their own namespaces), keys.
#
# A checked literal is a hit when it holds a name or a part; or a word, unless
# it is prose (holds a space: help and messages may name a model family, code
# selecting by architecture compares one token), or is exactly a preset name
# (the shapes a user types, looked up by fd_arch_preset_find), or its file is
# under src/text/ (tokenizer.ggml.model and .pre name tokenizers, a namespace
# of their own). `allow` (from the script): lines "PATH|TEXT|reason"; TEXT is
# blanked in the literals of files at PATH (a file, or a folder ending in /).
# Exit: 0 clean; 1 with one line per hit; 2 if the descriptors did not read.

function lex(s,    i, n, c, j, lit) {
    nl = 0
    if (!incomment && (s ~ /^[ \t]*#[ \t]*include/ || (index(s, "\"") == 0 && index(s, "/*") == 0))) return
    n = length(s)
    for (i = 1; i <= n; ) {
        c = substr(s, i, 1)
        if (incomment) { if (substr(s, i, 2) == "*/") { incomment = 0; i += 2 } else i++; continue }
        if (substr(s, i, 2) == "/*") { incomment = 1; i += 2; continue }
        if (substr(s, i, 2) == "//") return
        if (c == "'") {   # a character constant, '"' among them
            for (i++; i <= n; ) { c = substr(s, i, 1); if (c == "\\") i += 2; else { i++; if (c == "'") break } }
            continue
        }
        if (c != "\"") { i++; continue }
        lit = ""
        for (j = i + 1; j <= n; ) {
            c = substr(s, j, 1)
            if (c == "\\") { lit = lit substr(s, j, 2); j += 2 }
            else if (c == "\"") break
            else { lit = lit c; j++ }
        }
        L[++nl] = lit
        i = j + 1
    }
}

# A tensor name as an ERE: dots literal, the layer %u any %-format or number.
function ere(s) { gsub(/\./, "[.]", s); gsub(/%u/, "(%[0-9a-z]*|[0-9]+)", s); return s }
function add_name(p, why) { if (!(p in NAME)) NAME[p] = why }
function add_word(w, why) { w = tolower(w); if (w != "" && !(w in WORD)) WORD[w] = why }
function add_tensor(t,    np, P, q) {
    ntensors++
    add_name(ere(t), "the tensor " t)
    np = split(t, P, ".")
    for (q = 1; q <= np; q++) {
        if (P[q] ~ /_/ && !(P[q] in PART)) PART[P[q]] = "part of the tensor " t
        if (q < np) add_name(ere(P[q] "." P[q + 1]), "the tensor " t)
    }
}

BEGIN {
    na = split(allow, A, "\n")
    for (i = 1; i <= na; i++) if (split(A[i], F, "|") >= 2) { nallow++; AP[nallow] = F[1]; AT[nallow] = F[2] }
}

FNR == 1 { incomment = 0 }

FILENAME ~ /^src\/model\/arch\// {
    if ($0 ~ /^const fd_arch FD_ARCH_/) { ndefs++; want = 3 }   # name, hf_type, hf_class
    preset_row = $0 ~ /\{ *"[^"]*", *\{/
    lex($0)
    for (k = 1; k <= nl; k++) {
        lit = L[k]
        if (k == 1 && preset_row) PRESET[lit] = 1
        if (want > 0) {
            want--
            nwords++
            if (want == 2) add_word(lit, "the architecture " lit)
            if (want == 1) add_word(lit, "the model_type " lit)
            if (want == 0) {
                add_name(lit, "the class " lit)
                if (match(lit, /For[A-Z]/)) {
                    add_word(substr(lit, 1, RSTART - 1), "the class " lit)
                    add_name(substr(lit, RSTART), "the class " lit)
                }
            }
        }
        if (lit ~ /[.](weight|bias)$/) add_tensor(lit)
    }
    next
}

!checked++ {
    if (!ndefs || nwords != 3 * ndefs || !ntensors) {
        printf "check_arch_names: src/model/arch/ did not read as descriptors (%d fd_arch, %d names, %d tensors)\n",
               ndefs, nwords, ntensors
        status = 2
        exit 2
    }
    # one alternation per rule, so that a clean literal costs three matches
    for (p in NAME) names_re = names_re (names_re == "" ? "" : "|") p
    for (t in PART) parts_re = parts_re (parts_re == "" ? "" : "|") t
    for (w in WORD) words_re = words_re (words_re == "" ? "" : "|") w
    parts_re = "(^|[^A-Za-z0-9_])(" parts_re ")([^A-Za-z0-9_]|$)"
    words_re = "(^|[^a-z0-9])(" words_re ")([^a-z0-9]|$)"
}

{
    lex($0)
    for (k = 1; k <= nl; k++) {
        lit = L[k]
        for (a = 1; a <= nallow; a++)
            if (FILENAME == AP[a] || (AP[a] ~ /\/$/ && index(FILENAME, AP[a]) == 1))
                while ((at = index(lit, AT[a])) > 0) lit = substr(lit, 1, at - 1) " " substr(lit, at + length(AT[a]))
        why = ""
        if (lit ~ names_re)
            for (p in NAME) if (lit ~ p) { why = NAME[p]; break }
        if (why == "" && lit ~ parts_re)
            for (t in PART) if (lit ~ ("(^|[^A-Za-z0-9_])" t "([^A-Za-z0-9_]|$)")) { why = "the " PART[t]; break }
        if (why == "" && lit !~ / / && !(lit in PRESET) && FILENAME !~ /^src\/text\// && tolower(lit) ~ words_re)
            for (w in WORD) if (tolower(lit) ~ ("(^|[^a-z0-9])" w "([^a-z0-9]|$)")) { why = WORD[w]; break }
        if (why != "") { printf "%s:%d: \"%s\" names %s\n", FILENAME, FNR, L[k], why; status = 1 }
    }
}

END { exit status }
