/* test_model.c — the model description from both formats: a tiny Qwen2 in a
 * Hugging Face folder (written here), opened as stored and converted to each
 * dtype, written as GGUF and reopened to identical tensors; sharded weights,
 * both config.json styles, tied embeddings, and refusals by name. */
#include "check.h"
#include "model_util.h"
#include "gguf_util.h"
#include "base/mem.h"
#include "foundry/gguf.h"
#include "foundry/model.h"
#include "foundry/tokenizer.h"

static fd_model *open_ok(const char *path, const fd_model_options *o)
{
    fd_error err = {0};
    fd_model *m = NULL;
    CHECK_OK(fd_model_open(path, o, &m, &err), &err);
    return m;
}

static void check_tiny(const fd_model *m, const tiny_cfg *c)
{
    const fd_model_info *in = fd_model_describe(m);
    const fd_model_tensor *t;
    CHECK_STR(in->hp.arch, "qwen2");
    CHECK_EQ(in->hp.n_layers, c->L);
    CHECK_EQ(in->hp.hidden, c->D);
    CHECK_EQ(in->hp.n_heads, c->H);
    CHECK_EQ(in->hp.n_kv_heads, c->KV);
    CHECK_EQ(in->hp.head_dim, c->D / c->H);
    CHECK_EQ(in->hp.ffn, c->F);
    CHECK_EQ(in->hp.vocab, c->V);
    CHECK_EQ(in->hp.max_pos, 4096);
    CHECK_NEAR(in->hp.rope_theta, c->new_style ? 500000.0 : 1000000.0, 1e-3);
    CHECK_NEAR(in->hp.rms_eps, 1e-6, 1e-12);
    CHECK_EQ(in->hp.tie_embeddings, c->tied);
    CHECK_EQ(fd_model_tensor_count(m), 12 * c->L + 2 + !c->tied);
    CHECK_NEAR(in->gen.temperature, 0.7, 1e-6);
    CHECK_EQ(in->gen.top_k, 20);
    CHECK_NEAR(in->gen.top_p, 0.8, 1e-6);
    CHECK_NEAR(in->gen.repetition_penalty, 1.1, 1e-6);
    CHECK_EQ(in->gen.n_eos, 2);
    CHECK_EQ(in->gen.eos_ids[0], c->V - 1);
    CHECK_EQ(in->gen.eos_ids[1], c->V - 2);
    CHECK_EQ(in->gen.bos_id, c->V - 2);
    CHECK_EQ(in->gen.pad_id, c->V - 2);
    CHECK_CONTAINS(in->chat_template, "<|im_start|>");
    t = fd_model_tensor_find(m, "blk.1.attn_k.weight");
    CHECK(t && t->n_dims == 2 && t->dims[0] == (uint64_t)(c->KV * c->D / c->H) && t->dims[1] == (uint64_t)c->D);
    t = fd_model_tensor_find(m, "blk.0.attn_q.bias");
    CHECK(t && t->n_dims == 1 && t->dims[0] == (uint64_t)c->D && t->dtype == FD_F32);
    t = fd_model_tensor_find(m, "token_embd.weight");
    CHECK(t && t->dims[0] == (uint64_t)c->V && t->dims[1] == (uint64_t)c->D);
    CHECK((fd_model_tensor_find(m, "output.weight") == NULL) == c->tied);
    CHECK(in->load_seconds >= 0 && in->open_seconds >= 0);
}

/* Every tensor of a and b: same names, shapes, dtypes and bytes. */
static void check_same(const fd_model *a, const fd_model *b)
{
    CHECK_EQ(fd_model_tensor_count(a), fd_model_tensor_count(b));
    for (uint64_t i = 0; i < fd_model_tensor_count(a); i++) {
        const fd_model_tensor *x = fd_model_tensor_at(a, i), *y = fd_model_tensor_find(b, x->name);
        CHECK(y != NULL);
        if (!y) continue;
        CHECK_EQ(x->dtype, y->dtype);
        CHECK_EQ(x->n_dims, y->n_dims);
        CHECK_EQ(x->dims[0], y->dims[0]);
        CHECK_EQ(x->dims[1], y->dims[1]);
        CHECK_EQ(x->bytes, y->bytes);
        if (x->bytes == y->bytes && memcmp(x->data, y->data, x->bytes)) {
            fprintf(stderr, "tensor %s differs\n", x->name);
            CHECK(0);
        }
    }
}

static void test_hf_as_stored(void)
{
    char *dir = temp_dir("model");
    fd_model_options o = { 0 };
    fd_model *m;
    write_tiny_hf(dir, &TINY, 1);
    m = open_ok(dir, &o);
    if (m) {
        const fd_model_tensor *t = fd_model_tensor_find(m, "blk.0.ffn_down.weight");
        check_tiny(m, &TINY);
        CHECK_STR(fd_model_describe(m)->format, "safetensors");
        CHECK_EQ(fd_model_describe(m)->file_dtype, FD_BF16);
        CHECK(t && t->dtype == FD_BF16 && t->bytes == (uint64_t)TINY.D * TINY.F * 2);
        CHECK(fd_model_describe(m)->tokenizer == NULL);
        CHECK_CONTAINS(fd_model_describe(m)->tokenizer_note, "");
        fd_model_close(m);
    }
    rm_tree(dir);
}

/* HF -> (convert to dt) -> GGUF -> reopen: identical tensors, same description. */
static void convert_and_compare(fd_dtype dt)
{
    char *dir = temp_dir("model_cv"), *out = path_in(dir, "out.gguf");
    fd_model_options o = { .convert = 1, .dtype = dt, .n_threads = 2 };
    fd_model_options as = { 0 };
    fd_error err = {0};
    fd_model *a, *b;
    write_tiny_hf(dir, &TINY, 7);
    write_tiny_tokenizer(dir, TINY.V);
    a = open_ok(dir, &o);
    if (!a) goto done;
    CHECK_EQ(fd_model_tensor_find(a, "blk.1.ffn_up.weight")->dtype, dt);
    CHECK_EQ(fd_model_tensor_find(a, "blk.1.ffn_norm.weight")->dtype, FD_F32);
    CHECK(fd_model_describe(a)->tokenizer != NULL);
    CHECK_EQ(fd_tokenizer_vocab_size(fd_model_describe(a)->tokenizer), TINY.V);
    CHECK_OK(fd_model_write_gguf(a, out, &err), &err);
    b = open_ok(out, &as);
    if (b) {
        const fd_gguf *g = fd_model_gguf(b);
        const fd_gguf_str *toks;
        const int32_t *types;
        uint64_t n = 0;
        fd_gguf_str s;
        check_tiny(b, &TINY);
        CHECK_STR(fd_model_describe(b)->format, "gguf");
        CHECK(fd_model_describe(b)->tokenizer != NULL);
        if (fd_model_describe(b)->tokenizer) {
            const fd_tokenizer *tk = fd_model_describe(b)->tokenizer;
            CHECK_EQ(fd_tokenizer_vocab_size(tk), TINY.V);
            CHECK_EQ(fd_tokenizer_find(tk, "<|im_end|>"), TINY.V - 1);
            CHECK(fd_tokenizer_is_special(tk, TINY.V - 1));
        }
        check_same(a, b);
        CHECK_OK(fd_gguf_get_str_array(g, "tokenizer.ggml.tokens", &toks, &n, &err), &err);
        CHECK_EQ(n, TINY.V);
        if (n == (uint64_t)TINY.V) {
            CHECK(toks[256].len == 2 && !memcmp(toks[256].ptr, "he", 2));
            CHECK(toks[TINY.V - 1].len == 10 && !memcmp(toks[TINY.V - 1].ptr, "<|im_end|>", 10));
            CHECK(toks[300].len == 8 && !memcmp(toks[300].ptr, "[PAD300]", 8));
        }
        CHECK_OK(fd_gguf_get_int_array(g, "tokenizer.ggml.token_type", &types, &n, &err), &err);
        if (n == (uint64_t)TINY.V) CHECK(types[0] == 1 && types[300] == 5 && types[TINY.V - 1] == 3);
        CHECK_OK(fd_gguf_get_str_array(g, "tokenizer.ggml.merges", &toks, &n, &err), &err);
        CHECK(n == 2 && toks[1].len == 3 && !memcmp(toks[1].ptr, "l l", 3));
        CHECK_OK(fd_gguf_get_str(g, "tokenizer.ggml.pre", &s, &err), &err);
        CHECK(s.len == 5 && !memcmp(s.ptr, "qwen2", 5));
        /* GGUF -> GGUF keeps everything too. */
        {
            char *out2 = path_in(dir, "out2.gguf");
            fd_model *c;
            CHECK_OK(fd_model_write_gguf(b, out2, &err), &err);
            c = open_ok(out2, &as);
            if (c) {
                check_tiny(c, &TINY);
                check_same(b, c);
                CHECK(fd_gguf_has(fd_model_gguf(c), "tokenizer.ggml.merges"));
                fd_model_close(c);
            }
            free(out2);
        }
        fd_model_close(b);
    }
    fd_model_close(a);
done:
    free(out);
    rm_tree(dir);
}

static void test_convert_f32(void) { convert_and_compare(FD_F32); }
static void test_convert_f16(void) { convert_and_compare(FD_F16); }
static void test_convert_bf16(void) { convert_and_compare(FD_BF16); }
static void test_convert_q8_0(void) { convert_and_compare(FD_Q8_0); }
static void test_convert_q4_0(void) { convert_and_compare(FD_Q4_0); }

/* Converted values agree with the stored BF16 ones within the dtype's error. */
static void test_conversion_accuracy(void)
{
    static const struct { fd_dtype dt; double tol; } cases[] = {
        {FD_F32, 0}, {FD_F16, 1e-3}, {FD_BF16, 0}, {FD_Q8_0, 1e-2}, {FD_Q4_0, 0.2} };
    char *dir = temp_dir("model_acc");
    fd_model_options as = { 0 };
    fd_model *ref;
    write_tiny_hf(dir, &TINY, 3);
    ref = open_ok(dir, &as);
    for (size_t c = 0; ref && c < sizeof cases / sizeof cases[0]; c++) {
        fd_model_options o = { .convert = 1, .dtype = cases[c].dt };
        fd_model *m = open_ok(dir, &o);
        const fd_model_tensor *x, *y;
        float *a, *b;
        if (!m) continue;
        x = fd_model_tensor_find(ref, "blk.0.ffn_gate.weight");
        y = fd_model_tensor_find(m, "blk.0.ffn_gate.weight");
        a = malloc(x->n_elems * 4);
        b = malloc(x->n_elems * 4);
        fd_dequantize_row(x->dtype, x->data, a, x->n_elems);
        fd_dequantize_row(y->dtype, y->data, b, y->n_elems);
        CHECK_NEAR(rel_err(b, a, x->n_elems), 0, cases[c].tol);
        free(a);
        free(b);
        fd_model_close(m);
    }
    fd_model_close(ref);
    rm_tree(dir);
}

static void test_sharded_new_style_tied(void)
{
    char *dir = temp_dir("model_sh");
    tiny_cfg c = TINY;
    fd_model *m;
    c.shards = 2;
    c.new_style = 1;
    c.tied = 1;
    write_tiny_hf(dir, &c, 5);
    m = open_ok(dir, NULL);
    if (m) {
        check_tiny(m, &c);
        fd_model_close(m);
    }
    /* a template in chat_template.jinja when tokenizer_config.json has none */
    write_text(dir, "tokenizer_config.json", "{\"eos_token\":\"<|im_end|>\"}");
    write_text(dir, "chat_template.jinja", "{{ '<|im_start|>' }}jinja");
    m = open_ok(dir, NULL);
    if (m) {
        CHECK_STR(fd_model_describe(m)->chat_template, "{{ '<|im_start|>' }}jinja");
        fd_model_close(m);
    }
    rm_tree(dir);
}

static void expect_fail(const char *path, fd_status want, const char *msg)
{
    fd_model_options o = { 0 };
    fd_error err = {0};
    fd_model *m = (fd_model *)1;
    CHECK_EQ(fd_model_open(path, &o, &m, &err), want);
    CHECK(m == NULL);
    CHECK_CONTAINS(err.msg, msg);
}

/* cmd's stderr (2>&1) into a fresh string, or NULL. */
static char *run_capture(const char *dir, const char *cmd)
{
    char full[1200], *p = path_in(dir, "out.txt"), *txt;
    size_t n = 0;
    snprintf(full, sizeof full, "%s > '%s' 2>&1", cmd, p);
    if (system(full) == -1) CHECK(0);
    txt = read_all(p, &n);
    if (txt) txt[n] = 0;
    remove(p);
    free(p);
    return txt;
}

/* How many times `needle` occurs in s. */
static int count_of(const char *s, const char *needle)
{
    int n = 0;
    for (const char *at = s; at && (at = strstr(at, needle)); at += strlen(needle)) n++;
    return n;
}

/* config.json says tied, the file holds lm_head.weight anyway: transformers
 * ties (the head reads the embedding), so the model has no output.weight,
 * says it is tied and names the tensor it ignored; sharded or not. The
 * converse (untied, no lm_head: transformers would start it from random
 * values) is refused in test_refusals. */
static void test_tied_config_with_head(void)
{
    for (int shards = 1; shards <= 2; shards++) {
        char *dir = temp_dir("model_tie");
        tiny_cfg c = TINY;
        c.shards = shards;
        write_tiny_hf(dir, &c, 6);   /* untied: holds lm_head.weight */
        edit_file(dir, "config.json", "\"tie_word_embeddings\":false", "\"tie_word_embeddings\":true");
        fd_model *m = open_ok(dir, NULL);
        if (m) {
            const fd_model_info *in = fd_model_describe(m);
            CHECK(fd_model_tensor_find(m, "output.weight") == NULL);   /* what the upload reads: absent -> the embedding */
            CHECK_EQ(in->hp.tie_embeddings, 1);
            CHECK_STR(in->ignored_tensor ? in->ignored_tensor : "(null)", "lm_head.weight");
            CHECK_EQ(fd_model_tensor_count(m), 12 * c.L + 2);
            fd_model_close(m);
        }
        /* the file as it is (untied): nothing ignored */
        edit_file(dir, "config.json", "\"tie_word_embeddings\":true", "\"tie_word_embeddings\":false");
        if ((m = open_ok(dir, NULL))) {
            CHECK(fd_model_tensor_find(m, "output.weight") != NULL);
            CHECK(fd_model_describe(m)->ignored_tensor == NULL);
            CHECK_EQ(fd_model_describe(m)->hp.tie_embeddings, 0);
            fd_model_close(m);
        }
        /* the CLI: info says what runs; a run says it once on stderr */
        edit_file(dir, "config.json", "\"tie_word_embeddings\":false", "\"tie_word_embeddings\":true");
        if (shards == 1 && !access(FD_FOUNDRY_BIN, X_OK)) {
            char cmd[1024], *txt;
            snprintf(cmd, sizeof cmd, "'%s' info '%s'", FD_FOUNDRY_BIN, dir);
            if ((txt = run_capture(dir, cmd))) {
                CHECK_CONTAINS(txt, "tied embeddings: yes (lm_head.weight in the file is not used: config.json says "
                                    "\"tie_word_embeddings\": true)");
                CHECK(!strstr(txt, "\n  output.weight"));   /* the tensor list holds no head */
            }
            CHECK(txt != NULL);
            free(txt);
            snprintf(cmd, sizeof cmd, "'%s' eval -m '%s' --tokens 1,2 --backend cpu", FD_FOUNDRY_BIN, dir);
            if ((txt = run_capture(dir, cmd))) {
                CHECK_EQ(count_of(txt, "lm_head.weight"), 1);
                CHECK_CONTAINS(txt, "foundry eval: note: ");
                CHECK_CONTAINS(txt, "so the head uses the embedding, as transformers does");
            }
            CHECK(txt != NULL);
            free(txt);
        }
        rm_tree(dir);
    }
}

/* Shapes the kernels would refuse on the first long prompt are refused at
 * load, naming the key and what the kernels take (their own rules,
 * include/foundry/ops.h). */
static void test_kernel_shapes(void)
{
    char *dir = temp_dir("model_shape"), cfg[1024];
    tiny_cfg c = TINY;
    c.tied = 1;
    write_tiny_hf(dir, &c, 9);
    static const struct { const char *type, *keys, *msg; } cases[] = {
        { "qwen2", "\"hidden_size\":64,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"intermediate_size\":128",
          "head_dim = 16 is not supported: the attention kernels take a multiple of 32 up to 256" },
        { "qwen2", "\"hidden_size\":64,\"num_attention_heads\":1,\"num_key_value_heads\":1,\"head_dim\":512,"
          "\"intermediate_size\":128", "head_dim = 512 is not supported: the attention kernels take a multiple of 32 up to 256" },
        { "qwen2", "\"hidden_size\":64,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"intermediate_size\":100",
          "intermediate_size = 100 is not supported: the matrix products (the prefill GEMM's k-tile) take a multiple of 32" },
        { "qwen2", "\"hidden_size\":80,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"head_dim\":32,"
          "\"intermediate_size\":128", "hidden_size = 80 is not supported: the matrix products (the prefill GEMM's k-tile) "
          "take a multiple of 32" },
        { "qwen3", "\"hidden_size\":64,\"num_attention_heads\":256,\"num_key_value_heads\":8,\"head_dim\":32,"
          "\"intermediate_size\":128", "num_attention_heads + num_key_value_heads = 264 is not supported: the q/k norm "
          "kernels take at most 256" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cfg, sizeof cfg, "{\"model_type\":\"%s\",%s,\"num_hidden_layers\":2,\"vocab_size\":320,"
                 "\"max_position_embeddings\":64,\"tie_word_embeddings\":true}", cases[i].type, cases[i].keys);
        write_text(dir, "config.json", cfg);
        expect_fail(dir, FD_ERR_UNSUPPORTED, cases[i].msg);
    }
    /* a weight the descriptor does not list is refused, not skipped: Qwen2's q/k/v biases under a Llama config */
    snprintf(cfg, sizeof cfg, "{\"model_type\":\"llama\",\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":%d,"
             "\"num_attention_heads\":%d,\"num_key_value_heads\":%d,\"intermediate_size\":%d,\"num_hidden_layers\":%d,"
             "\"vocab_size\":%d,\"max_position_embeddings\":64,\"tie_word_embeddings\":true}", c.D, c.H,
             c.KV, c.F, c.L, c.V);
    write_text(dir, "config.json", cfg);
    expect_fail(dir, FD_ERR_UNSUPPORTED, "tensor model.layers.0.self_attn.q_proj.bias is not one architecture llama uses");
    snprintf(cfg, sizeof cfg, "{\"model_type\":\"qwen2\",\"hidden_size\":64,\"num_attention_heads\":2,"
             "\"num_key_value_heads\":1,\"intermediate_size\":128,\"num_hidden_layers\":2,\"vocab_size\":16777216,"
             "\"max_position_embeddings\":64,\"tie_word_embeddings\":true}");
    write_text(dir, "config.json", cfg);
    expect_fail(dir, FD_ERR_UNSUPPORTED, "vocab_size = 16777216 is not supported: the sampler's kernels take 1 to 16777215");
    /* the same rules for a synthetic model (bench --synthetic) */
    fd_random_options ro = { .dtype = FD_F16, .seed = 1 };
    fd_error err = { 0 };
    fd_model *m = (fd_model *)1;
    CHECK_OK(fd_model_preset("tiny", &ro.hp), NULL);
    ro.hp.ffn = 700;
    CHECK_EQ(fd_model_random(&ro, &m, &err), FD_ERR_UNSUPPORTED);
    CHECK(m == NULL);
    CHECK_CONTAINS(err.msg, "intermediate_size = 700 is not supported");
    rm_tree(dir);
}

static void test_refusals(void)
{
    char *dir = temp_dir("model_bad"), *p;
    tiny_cfg c = TINY;
    write_tiny_hf(dir, &c, 9);
    /* another architecture */
    write_text(dir, "config.json", "{\"architectures\":[\"GemmaForCausalLM\"],\"model_type\":\"gemma\"}");
    expect_fail(dir, FD_ERR_UNSUPPORTED, "model_type gemma / architecture GemmaForCausalLM is not supported");
    /* invalid JSON */
    write_text(dir, "config.json", "{\"model_type\": \"qwen2\",");
    expect_fail(dir, FD_ERR_FORMAT, "config.json: invalid JSON at line 1");
    /* hyper-parameters that disagree with the tensors */
    c.F = 96;
    write_tiny_hf(dir, &c, 9);
    c = TINY;
    p = path_in(dir, "model.safetensors");
    {
        char *d2 = temp_dir("model_bad2");
        write_tiny_hf(d2, &TINY, 9);
        char *cfg = path_in(d2, "config.json"), *dst = path_in(dir, "config.json");
        size_t n = 0;
        void *txt = read_all(cfg, &n);
        write_file(dst, txt, n);
        free(txt);
        free(cfg);
        free(dst);
        rm_tree(d2);
    }
    expect_fail(dir, FD_ERR_FORMAT, "tensor blk.0.ffn_gate.weight has shape (96, 64), expected (128, 64)");
    /* a missing tensor: lm_head absent while not tied */
    c.tied = 1;
    write_tiny_hf(dir, &c, 9);
    write_text(dir, "config.json", "{\"model_type\":\"qwen2\",\"hidden_size\":64,\"intermediate_size\":128,"
               "\"num_attention_heads\":2,\"num_hidden_layers\":2,\"num_key_value_heads\":1,\"vocab_size\":320,"
               "\"max_position_embeddings\":64,\"tie_word_embeddings\":false}");
    expect_fail(dir, FD_ERR_FORMAT, "tensor lm_head.weight is missing and config.json does not say \"tie_word_embeddings\": true");
    /* three layers promised, two present */
    write_text(dir, "config.json", "{\"model_type\":\"qwen2\",\"hidden_size\":64,\"intermediate_size\":128,"
               "\"num_attention_heads\":2,\"num_hidden_layers\":3,\"num_key_value_heads\":1,\"vocab_size\":320,"
               "\"max_position_embeddings\":64,\"tie_word_embeddings\":true}");
    expect_fail(dir, FD_ERR_FORMAT, "tensor blk.2.attn_norm.weight is missing");
    remove(p);
    /* a shard index that points outside the folder */
    write_text(dir, "model.safetensors.index.json", "{\"weight_map\":{\"model.norm.weight\":\"../x.safetensors\"}}");
    expect_fail(dir, FD_ERR_FORMAT, "weight_map entry for model.norm.weight is not a file name in the folder");
    write_text(dir, "model.safetensors.index.json", "{\"weight_map\":{\"model.norm.weight\":\"missing.safetensors\"}}");
    expect_fail(dir, FD_ERR_IO, "missing.safetensors: cannot open");
    {
        char *ix = path_in(dir, "model.safetensors.index.json");
        remove(ix);
        free(ix);
    }
    expect_fail(dir, FD_ERR_IO, "neither model.safetensors nor model.safetensors.index.json");
    expect_fail("/nonexistent/model.gguf", FD_ERR_IO, "cannot open");
    /* vocabulary-only GGUF: a tokenizer, no weights */
    {
        const char *voc = FD_SOURCE_DIR "/../shared/models/ggml-vocab-qwen2.gguf";
        if (!access(voc, R_OK)) expect_fail(voc, FD_ERR_FORMAT, "token_embd.weight is missing (a vocabulary-only file");
    }
    free(p);
    rm_tree(dir);
}

/* Refused before any allocation, naming the key: an active sliding window,
 * experts, RoPE scaling, an architecture without a descriptor; an inactive
 * window (off, or not shorter than the context) loads. */
static void test_arch_refusals(void)
{
    char *dir = temp_dir("model_arch"), cfg[1024];
    tiny_cfg c = TINY;
    c.tied = 1;
    write_tiny_hf(dir, &c, 9);
    const char *base = "{\"model_type\":\"qwen2\",\"hidden_size\":64,\"intermediate_size\":128,\"num_attention_heads\":2,"
                       "\"num_hidden_layers\":2,\"num_key_value_heads\":1,\"vocab_size\":320,"
                       "\"max_position_embeddings\":64,\"tie_word_embeddings\":true";
    static const struct { const char *extra, *msg; } cases[] = {
        { ",\"use_sliding_window\":true,\"sliding_window\":32}", "\"use_sliding_window\": true with \"sliding_window\" 32" },
        { ",\"num_experts\":8}", "\"num_experts\" 8: mixture-of-experts" },
        { ",\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4}}", "\"rope_scaling\" (yarn) is not implemented" },
        { ",\"rope_parameters\":{\"rope_type\":\"linear\",\"rope_theta\":10000}}", "\"rope_parameters.rope_type\" \"linear\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cfg, sizeof cfg, "%s%s", base, cases[i].extra);
        write_text(dir, "config.json", cfg);
        expect_fail(dir, FD_ERR_UNSUPPORTED, cases[i].msg);
    }
    write_text(dir, "config.json", "{\"model_type\":\"qwen3_moe\",\"architectures\":[\"Qwen3MoeForCausalLM\"]}");
    expect_fail(dir, FD_ERR_UNSUPPORTED, "model_type qwen3_moe / architecture Qwen3MoeForCausalLM is not supported "
                "(only qwen2 (Qwen2ForCausalLM), qwen3 (Qwen3ForCausalLM), llama (LlamaForCausalLM), smollm3 "
                "(SmolLM3ForCausalLM), mistral (MistralForCausalLM))");
    write_text(dir, "config.json", "{\"model_type\":\"qwen2\",\"architectures\":[\"Qwen3ForCausalLM\"]}");
    expect_fail(dir, FD_ERR_UNSUPPORTED, "model_type qwen2 / architecture Qwen3ForCausalLM is not supported");
    /* inactive windows load */
    const char *ok[] = { ",\"use_sliding_window\":false,\"sliding_window\":32}", ",\"use_sliding_window\":true,\"sliding_window\":64}" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(cfg, sizeof cfg, "%s%s", base, ok[i]);
        write_text(dir, "config.json", cfg);
        fd_model *m = open_ok(dir, &(fd_model_options){ 0 });
        if (m) CHECK_CONTAINS(fd_model_describe(m)->features, "qkv-bias");
        fd_model_close(m);
    }
    rm_tree(dir);
}

#define GV_U32_(x) { .type = FD_GGUF_U32, .v.u = (x) }
#define GV_F32_(x) { .type = FD_GGUF_F32, .v.f = (x) }
#define GV_STR_(x) { .type = FD_GGUF_STRING, .v.s = { x, sizeof x - 1 } }

/* Each GGUF key of a feature we do not implement is refused by name (the
 * tiny Qwen2's context is 4096); its inactive values load. */
static void test_gguf_refusals(void)
{
    char *dir = temp_dir("model_ggref"), *good = path_in(dir, "good.gguf"), *bad = path_in(dir, "bad.gguf");
    fd_model *m = NULL;
    fd_error err = { 0 };
    tiny_cfg c = TINY;
    c.tied = 1;
    write_tiny_hf(dir, &c, 5);
    CHECK_OK(fd_model_open(dir, &(fd_model_options){ .no_tokenizer = 1 }, &m, &err), &err);
    if (m) CHECK_OK(fd_model_write_gguf(m, good, &err), &err);
    fd_model_close(m);
    static const struct { const char *key; fd_gguf_value v; const char *msg; } bad_cases[] = {
        { "qwen2.expert_count", GV_U32_(8), "qwen2.expert_count = 8: mixture-of-experts layers are not implemented" },
        { "qwen2.attention.sliding_window", GV_U32_(32), "qwen2.attention.sliding_window = 32: a sliding window shorter" },
        { "qwen2.rope.scaling.type", GV_STR_("yarn"), "qwen2.rope.scaling.type \"yarn\" (RoPE scaling) is not implemented" },
        { "qwen2.rope.scaling.type", GV_STR_("linear"), "qwen2.rope.scaling.type \"linear\" (RoPE scaling)" },
        { "qwen2.rope.scaling.factor", GV_F32_(4), "qwen2.rope.scaling.factor = 4 without qwen2.rope.scaling.type: linear" },
        { "qwen2.rope.scale_linear", GV_F32_(2), "qwen2.rope.scale_linear = 2 without qwen2.rope.scaling.type: linear" },
        { "general.architecture", GV_STR_("qwen2moe"), "general.architecture 'qwen2moe' is not supported (only qwen2," },
    };
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        gguf_with(good, bad, bad_cases[i].key, &bad_cases[i].v);
        expect_fail(bad, FD_ERR_UNSUPPORTED, bad_cases[i].msg);
    }
    /* inactive: no experts, a window as long as the context, no scaling */
    static const struct { const char *key; fd_gguf_value v; } ok_cases[] = {
        { "qwen2.expert_count", GV_U32_(0) },          { "qwen2.attention.sliding_window", GV_U32_(4096) },
        { "qwen2.rope.scaling.type", GV_STR_("none") }, { "qwen2.rope.scaling.factor", GV_F32_(1) },
        { "qwen2.rope.scaling.factor", GV_F32_(0) },   { "qwen2.rope.scale_linear", GV_F32_(1) },
    };
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        gguf_with(good, bad, ok_cases[i].key, &ok_cases[i].v);
        fd_model_close(open_ok(bad, &(fd_model_options){ 0 }));
    }
    /* a window that is not an integer is refused, not skipped */
    gguf_with(good, bad, "qwen2.attention.sliding_window", &(fd_gguf_value)GV_F32_(32));
    expect_fail(bad, FD_ERR_FORMAT, "key 'qwen2.attention.sliding_window' is f32, not an integer");
    /* type "none" turns a factor off, as in llama.cpp */
    char *both = path_in(dir, "both.gguf");
    gguf_with(good, bad, "qwen2.rope.scaling.type", &(fd_gguf_value)GV_STR_("none"));
    gguf_with(bad, both, "qwen2.rope.scaling.factor", &(fd_gguf_value)GV_F32_(4));
    fd_model_close(open_ok(both, &(fd_model_options){ 0 }));
    /* llama.cpp's end-of-generation keys, eom (Llama 3.1's <|eom_id|>) included, where our own list is absent */
    static const char *const ends[] = { "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                                        "tokenizer.ggml.eom_token_id" };
    gguf_with(good, both, "foundry.eos_token_ids", NULL);
    for (int i = 0; i < 3; i++) {
        gguf_with(both, bad, ends[i], &(fd_gguf_value)GV_U32_(5u + (uint32_t)i));
        gguf_with(bad, both, "general.name", &(fd_gguf_value)GV_STR_("ends"));
    }
    m = open_ok(both, &(fd_model_options){ .no_tokenizer = 1 });
    if (m) {
        const fd_generation_defaults *g = &fd_model_describe(m)->gen;
        CHECK_EQ(g->n_eos, 3u);
        for (uint32_t i = 0; i < 3 && i < g->n_eos; i++) CHECK_EQ(g->eos_ids[i], (int32_t)(5 + i));
    }
    fd_model_close(m);
    free(good), free(bad), free(both);
    rm_tree(dir);
}

static void copy_file(const char *from, const char *to_dir, const char *name)
{
    size_t n = 0;
    void *p = read_all(from, &n);
    if (p) {
        char *dst = path_in(to_dir, name);
        write_file(dst, p, n);
        free(dst);
        free(p);
    }
}

static int same_strs(const fd_gguf *a, const fd_gguf *b, const char *key)
{
    const fd_gguf_str *x, *y;
    uint64_t n, m;
    if (fd_gguf_get_str_array(a, key, &x, &n, NULL) || fd_gguf_get_str_array(b, key, &y, &m, NULL) || n != m) return 0;
    for (uint64_t i = 0; i < n; i++)
        if (x[i].len != y[i].len || memcmp(x[i].ptr, y[i].ptr, x[i].len)) return 0;
    return 1;
}

/* The real Qwen2.5 tokenizer.json exported as llama.cpp does: tokens, token
 * types and merges equal those of llama.cpp's own ggml-vocab-qwen2.gguf. */
static void test_tokenizer_export_matches_llama_cpp(void)
{
    const char *shape = FD_SOURCE_DIR "/../shared/models/qwen2.5-0.5b-instruct-shape";
    const char *voc = FD_SOURCE_DIR "/../shared/models/ggml-vocab-qwen2.gguf";
    char *dir, *out;
    tiny_cfg c = { 1, 32, 1, 1, 32, 151936, 1, 1, 0 };
    fd_model_options o = { .no_tokenizer = 1 };
    fd_error err = {0};
    fd_model *m;
    fd_gguf *a = NULL, *b = NULL;
    if (access(voc, R_OK) || access(shape, R_OK)) SKIP("%s or %s is absent", voc, shape);
    dir = temp_dir("model_tok");
    out = path_in(dir, "out.gguf");
    write_tiny_hf(dir, &c, 1);
    copy_file(FD_SOURCE_DIR "/../shared/models/qwen2.5-0.5b-instruct-shape/tokenizer.json", dir, "tokenizer.json");
    copy_file(FD_SOURCE_DIR "/../shared/models/qwen2.5-0.5b-instruct-shape/tokenizer_config.json", dir, "tokenizer_config.json");
    m = open_ok(dir, &o);
    if (m) {
        CHECK_OK(fd_model_write_gguf(m, out, &err), &err);
        fd_model_close(m);
        CHECK_OK(fd_gguf_open(out, &a, &err), &err);
        CHECK_OK(fd_gguf_open(voc, &b, &err), &err);
        if (a && b) {
            const int32_t *x, *y;
            uint64_t n = 0, k = 1;
            fd_gguf_str s1, s2;
            CHECK(same_strs(a, b, "tokenizer.ggml.tokens"));
            CHECK(same_strs(a, b, "tokenizer.ggml.merges"));
            CHECK_OK(fd_gguf_get_int_array(a, "tokenizer.ggml.token_type", &x, &n, &err), &err);
            CHECK_OK(fd_gguf_get_int_array(b, "tokenizer.ggml.token_type", &y, &k, &err), &err);
            CHECK(n == k && !memcmp(x, y, n * sizeof *x));
            CHECK_OK(fd_gguf_get_str(a, "tokenizer.chat_template", &s1, &err), &err);
            CHECK_OK(fd_gguf_get_str(b, "tokenizer.chat_template", &s2, &err), &err);
            CHECK(s1.len == s2.len && !memcmp(s1.ptr, s2.ptr, s1.len));
        }
        fd_gguf_close(a);
        fd_gguf_close(b);
    }
    free(out);
    rm_tree(dir);
}

/* The two commands end to end on a tiny folder. */
static void test_cli(void)
{
    char *dir, cmd[1024];
    if (access(FD_FOUNDRY_BIN, X_OK)) SKIP("%s is not built", FD_FOUNDRY_BIN);
    dir = temp_dir("model_cli");
    write_tiny_hf(dir, &TINY, 4);
    write_tiny_tokenizer(dir, TINY.V);
    snprintf(cmd, sizeof cmd, "'%s' convert '%s' '%s/o.gguf' --dtype q8_0 --quiet && '%s' info '%s/o.gguf' > '%s/info.txt'",
             FD_FOUNDRY_BIN, dir, dir, FD_FOUNDRY_BIN, dir, dir);
    CHECK_EQ(system(cmd), 0);
    {
        char *p = path_in(dir, "info.txt");
        size_t n = 0;
        char *txt = read_all(p, &n);
        if (txt) {
            txt[n] = 0;
            CHECK_CONTAINS(txt, "architecture: qwen2 (qkv-bias, rope-neox, tied-optional, swiglu)");
            CHECK_CONTAINS(txt, "layers 2, hidden 64, heads 2 (kv 1, head_dim 32), ffn 128, vocab 320");
            CHECK_CONTAINS(txt, "blk.1.ffn_down.weight");
            CHECK_CONTAINS(txt, "q8_0  (64, 128)");
            CHECK_CONTAINS(txt, "tokenizer:    byte-level BPE, 320 tokens");
        }
        CHECK(txt != NULL);
        free(txt);
        free(p);
    }
    snprintf(cmd, sizeof cmd, "'%s' convert '%s' '%s/o.gguf' --dtype q5_k 2>/dev/null", FD_FOUNDRY_BIN, dir, dir);
    CHECK(system(cmd) != 0);
    snprintf(cmd, sizeof cmd, "'%s' info /nonexistent 2>/dev/null", FD_FOUNDRY_BIN);
    CHECK(system(cmd) != 0);
    rm_tree(dir);
}

static void test_alloc_failures(void)
{
    char *dir = temp_dir("model_mem");
    fd_model_options o = { .convert = 1, .dtype = FD_Q8_0, .n_threads = 1 };
    int ok = 0;
    write_tiny_hf(dir, &TINY, 2);
    for (long n = 1; n < 400 && !ok; n++) {
        fd_error err = {0};
        fd_model *m = NULL;
        fd_status st;
        fd_mem_fail_after(n, 1);
        st = fd_model_open(dir, &o, &m, &err);
        fd_mem_fail_after(0, 0);
        if (st == FD_OK) {
            ok = 1;
            fd_model_close(m);
        } else {
            CHECK(m == NULL);
            CHECK(err.msg[0] != 0);
        }
    }
    CHECK(ok);
    /* writing, and reopening the GGUF */
    {
        char *out = path_in(dir, "o.gguf");
        fd_model *m = open_ok(dir, &o);
        ok = 0;
        for (long n = 1; m && n < 400 && !ok; n++) {
            fd_error err = {0};
            fd_mem_fail_after(n, 1);
            ok = fd_model_write_gguf(m, out, &err) == FD_OK;
            fd_mem_fail_after(0, 0);
            if (!ok) CHECK(err.msg[0] != 0);
        }
        CHECK(ok);
        fd_model_close(m);
        ok = 0;
        for (long n = 1; n < 400 && !ok; n++) {
            fd_error err = {0};
            fd_model *g = NULL;
            fd_mem_fail_after(n, 1);
            ok = fd_model_open(out, &o, &g, &err) == FD_OK;
            fd_mem_fail_after(0, 0);
            if (!ok) CHECK(err.msg[0] != 0 && g == NULL);
            fd_model_close(g);
        }
        CHECK(ok);
        free(out);
    }
    rm_tree(dir);
}

TEST_MAIN(test_hf_as_stored, test_arch_refusals, test_gguf_refusals, test_convert_f32, test_convert_f16, test_convert_bf16, test_convert_q8_0,
          test_convert_q4_0, test_conversion_accuracy, test_sharded_new_style_tied, test_refusals, test_alloc_failures,
          test_tokenizer_export_matches_llama_cpp, test_cli, test_tied_config_with_head, test_kernel_shapes)
