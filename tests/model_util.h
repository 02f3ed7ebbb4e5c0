/* model_util.h — helpers shared by the model tests: a byte builder for
 * hand-made (often broken) files, a temp folder, file writing, and a tiny
 * Qwen2-shaped Hugging Face folder written from C.
 *
 * Tests only; every function is static. */
#ifndef FD_TEST_MODEL_UTIL_H
#define FD_TEST_MODEL_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "foundry/dtype.h"
#include "fs_util.h"

typedef struct buf { uint8_t *p; size_t n, cap; } buf;

static inline void buf_put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
}
static inline void buf_u8(buf *b, uint8_t v) { buf_put(b, &v, 1); }
static inline void buf_u32(buf *b, uint32_t v) { for (int i = 0; i < 4; i++) buf_u8(b, (uint8_t)(v >> (8 * i))); }
static inline void buf_u64(buf *b, uint64_t v) { for (int i = 0; i < 8; i++) buf_u8(b, (uint8_t)(v >> (8 * i))); }
static inline void buf_str(buf *b, const char *s) { buf_u64(b, strlen(s)); buf_put(b, s, strlen(s)); }
static inline void buf_pad(buf *b, size_t a) { while (b->n % a) buf_u8(b, 0); }

static inline void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    if (n && fwrite(p, 1, n, f) != n) { perror(path); exit(1); }
    fclose(f);
}

static inline void *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long len;
    *n = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)len + 1);
    *n = fread(p, 1, (size_t)len, f);
    fclose(f);
    return p;
}

/* A fresh folder under /tmp; the caller removes it with rm_tree. */
static inline char *temp_dir(const char *tag)
{
    char *d = malloc(256);
    snprintf(d, 256, "/tmp/fd_%s_XXXXXX", tag);
    if (!mkdtemp(d)) { perror(d); exit(1); }
    return d;
}

/* Removes a folder from temp_dir with all it holds, and frees its name. */
static inline void rm_tree(char *d)
{
    fs_remove_tree(d);
    free(d);
}

static inline char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* ---- A tiny Qwen2 in a Hugging Face folder --------------------------------
 * L layers, D hidden, H heads, KV kv heads, F ffn, V vocab; BF16 weights
 * filled from a seeded generator. `tied`: no lm_head. `shards`: 1 writes
 * model.safetensors, 2 writes two shards + index. */
typedef struct tiny_cfg { int L, D, H, KV, F, V, tied, shards, new_style; } tiny_cfg;
static const tiny_cfg TINY = { 2, 64, 2, 1, 128, 320, 0, 1, 0 };   /* head_dim 32: the smallest the attention takes */

typedef struct st_entry { char name[96]; int nd; uint64_t dims[2]; } st_entry;

static inline int tiny_entries(const tiny_cfg *c, st_entry *e)
{
    int n = 0, hd = c->D / c->H;
#define ADD_(nm, d0, d1) do { snprintf(e[n].name, sizeof e[n].name, "%s", nm); e[n].nd = (d1) != 0 ? 2 : 1; \
        e[n].dims[0] = (d0); e[n].dims[1] = (d1); n++; } while (0)
    ADD_("model.embed_tokens.weight", c->V, c->D);
    for (int l = 0; l < c->L; l++) {
        char nm[96];
#define LAYER_(suffix, d0, d1) do { snprintf(nm, sizeof nm, "model.layers.%d.%s", l, suffix); ADD_(nm, d0, d1); } while (0)
        LAYER_("input_layernorm.weight", c->D, 0);
        LAYER_("self_attn.q_proj.weight", c->H * hd, c->D);
        LAYER_("self_attn.q_proj.bias", c->H * hd, 0);
        LAYER_("self_attn.k_proj.weight", c->KV * hd, c->D);
        LAYER_("self_attn.k_proj.bias", c->KV * hd, 0);
        LAYER_("self_attn.v_proj.weight", c->KV * hd, c->D);
        LAYER_("self_attn.v_proj.bias", c->KV * hd, 0);
        LAYER_("self_attn.o_proj.weight", c->D, c->H * hd);
        LAYER_("post_attention_layernorm.weight", c->D, 0);
        LAYER_("mlp.gate_proj.weight", c->F, c->D);
        LAYER_("mlp.up_proj.weight", c->F, c->D);
        LAYER_("mlp.down_proj.weight", c->D, c->F);
#undef LAYER_
    }
    ADD_("model.norm.weight", c->D, 0);
    if (!c->tied) ADD_("lm_head.weight", c->V, c->D);
#undef ADD_
    return n;
}

/* Writes entries [from, to) as one safetensors file of BF16 values. */
static inline void write_st(const char *path, const st_entry *e, int from, int to, uint64_t *seed)
{
    buf h = {0}, d = {0};
    uint64_t off = 0, hl;
    buf_put(&h, "{\"__metadata__\":{\"format\":\"pt\"}", 31);
    for (int i = from; i < to; i++) {
        char s[256];
        uint64_t n = e[i].dims[0] * (e[i].nd == 2 ? e[i].dims[1] : 1);
        int k = e[i].nd == 2
            ? snprintf(s, sizeof s, ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%llu,%llu],\"data_offsets\":[%llu,%llu]}",
                       e[i].name, (unsigned long long)e[i].dims[0], (unsigned long long)e[i].dims[1],
                       (unsigned long long)off, (unsigned long long)(off + 2 * n))
            : snprintf(s, sizeof s, ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%llu],\"data_offsets\":[%llu,%llu]}",
                       e[i].name, (unsigned long long)e[i].dims[0], (unsigned long long)off,
                       (unsigned long long)(off + 2 * n));
        buf_put(&h, s, (size_t)k);
        for (uint64_t j = 0; j < n; j++) {
            uint64_t r = rng_next(seed);
            float x = (float)((r >> 11) * (1.0 / 9007199254740992.0)) - 0.5f;
            uint16_t b = fd_f32_to_bf16(x * (e[i].nd == 2 ? 0.2f : 1.0f) + (e[i].nd == 1 ? 1.0f : 0.0f));
            buf_put(&d, &b, 2);
        }
        off += 2 * n;
    }
    buf_u8(&h, '}');
    while (h.n % 8) buf_u8(&h, ' ');
    hl = h.n;
    {
        buf f = {0};
        buf_u64(&f, hl);
        buf_put(&f, h.p, h.n);
        buf_put(&f, d.p, d.n);
        write_file(path, f.p, f.n);
        free(f.p);
    }
    free(h.p);
    free(d.p);
}

static inline void write_text(const char *dir, const char *name, const char *text)
{
    char *p = path_in(dir, name);
    write_file(p, text, strlen(text));
    free(p);
}

/* Replaces the first `from` in dir/name by `to` (nothing when absent). */
static inline void edit_file(const char *d, const char *name, const char *from, const char *to)
{
    char *p = path_in(d, name);
    size_t n = 0;
    char *s = read_all(p, &n), *at;
    if (!s) return free(p);
    s[n] = 0;
    at = strstr(s, from);
    if (at) {
        buf b = { 0 };
        buf_put(&b, s, (size_t)(at - s));
        buf_put(&b, to, strlen(to));
        buf_put(&b, at + strlen(from), strlen(at + strlen(from)));
        write_file(p, b.p, b.n);
        free(b.p);
    }
    free(s);
    free(p);
}

/* A tiny byte-level tokenizer.json: the 256 byte symbols, a few merges, two
 * special tokens. */
static inline void write_tiny_tokenizer(const char *dir, int vocab)
{
    buf b = {0};
    char s[128];
    const char *head = "{\"version\":\"1.0\",\"added_tokens\":[";
    buf_put(&b, head, strlen(head));
    snprintf(s, sizeof s, "{\"id\":%d,\"content\":\"<|endoftext|>\",\"special\":true},", vocab - 2);
    buf_put(&b, s, strlen(s));
    snprintf(s, sizeof s, "{\"id\":%d,\"content\":\"<|im_end|>\",\"special\":true}],", vocab - 1);
    buf_put(&b, s, strlen(s));
    const char *mid = "\"normalizer\":{\"type\":\"NFC\"},\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":["
                      "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\p{L}+| ?\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+|\\\\s+\"},"
                      "\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
                      "\"trim_offsets\":false,\"use_regex\":false}]},\"decoder\":{\"type\":\"ByteLevel\"},"
                      "\"model\":{\"type\":\"BPE\",\"vocab\":{";
    buf_put(&b, mid, strlen(mid));
    /* GPT-2 byte -> unicode: printable bytes map to themselves, the others to 256+ */
    int n = 0;
    for (int c = 0; c < 256; c++) {
        int printable = (c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174);
        unsigned cp = printable ? (unsigned)c : 256u + (unsigned)n++;
        char u[8];
        int k = 0;
        if (cp < 0x80) u[k++] = (char)cp;
        else { u[k++] = (char)(0xC0 | (cp >> 6)); u[k++] = (char)(0x80 | (cp & 0x3F)); }
        u[k] = 0;
        if (cp == '"' || cp == '\\') snprintf(s, sizeof s, "%s\"\\%s\":%d", c ? "," : "", u, c);
        else snprintf(s, sizeof s, "%s\"%s\":%d", c ? "," : "", u, c);
        buf_put(&b, s, strlen(s));
    }
    (void)vocab;
    const char *tail = ",\"he\":256,\"ll\":257},\"merges\":[\"h e\",[\"l\",\"l\"]]}}";
    buf_put(&b, tail, strlen(tail));
    buf_u8(&b, 0);
    write_text(dir, "tokenizer.json", (const char *)b.p);
    free(b.p);
}

/* Writes config.json, generation_config.json, tokenizer_config.json and the
 * weights of `c` into dir. */
static inline void write_tiny_hf(const char *dir, const tiny_cfg *c, uint64_t seed)
{
    static st_entry e[4 + 12 * 16];
    char cfg[1024];
    int n = tiny_entries(c, e);
    snprintf(cfg, sizeof cfg,
             "{\"architectures\":[\"Qwen2ForCausalLM\"],\"model_type\":\"qwen2\",\"hidden_size\":%d,"
             "\"intermediate_size\":%d,\"num_attention_heads\":%d,\"num_hidden_layers\":%d,"
             "\"num_key_value_heads\":%d,\"vocab_size\":%d,\"max_position_embeddings\":4096,"
             "\"rms_norm_eps\":1e-06,%s,\"tie_word_embeddings\":%s,\"bos_token_id\":%d,\"eos_token_id\":%d}",
             c->D, c->F, c->H, c->L, c->KV, c->V,
             c->new_style ? "\"rope_parameters\":{\"rope_theta\":500000.0,\"rope_type\":\"default\"},\"dtype\":\"bfloat16\""
                          : "\"rope_theta\":1000000.0,\"torch_dtype\":\"bfloat16\"",
             c->tied ? "true" : "false", c->V - 2, c->V - 1);
    write_text(dir, "config.json", cfg);
    snprintf(cfg, sizeof cfg, "{\"bos_token_id\":%d,\"eos_token_id\":[%d,%d],\"pad_token_id\":%d,\"do_sample\":true,"
             "\"repetition_penalty\":1.1,\"temperature\":0.7,\"top_k\":20,\"top_p\":0.8}", c->V - 2, c->V - 1, c->V - 2,
             c->V - 2);
    write_text(dir, "generation_config.json", cfg);
    write_text(dir, "tokenizer_config.json",
               "{\"eos_token\":\"<|im_end|>\",\"bos_token\":null,\"chat_template\":\"{% for m in messages %}"
               "<|im_start|>{{ m.role }}\\n{{ m.content }}<|im_end|>\\n{% endfor %}\"}");
    if (c->shards <= 1) {
        char *p = path_in(dir, "model.safetensors");
        write_st(p, e, 0, n, &seed);
        free(p);
    } else {
        char *p1 = path_in(dir, "model-00001-of-00002.safetensors"), *p2 = path_in(dir, "model-00002-of-00002.safetensors");
        buf idx = {0};
        const char *h = "{\"metadata\":{\"total_size\":0},\"weight_map\":{";
        write_st(p1, e, 0, n / 2, &seed);
        write_st(p2, e, n / 2, n, &seed);
        buf_put(&idx, h, strlen(h));
        for (int i = 0; i < n; i++) {
            char s[200];
            snprintf(s, sizeof s, "%s\"%.95s\":\"model-0000%d-of-00002.safetensors\"", i ? "," : "", e[i].name, i < n / 2 ? 1 : 2);
            buf_put(&idx, s, strlen(s));
        }
        buf_put(&idx, "}}", 3);
        write_text(dir, "model.safetensors.index.json", (const char *)idx.p);
        free(idx.p);
        free(p1);
        free(p2);
    }
}

#endif
