/* test_gguf.c — GGUF reader and writer: a round trip of every metadata type
 * and every tensor dtype, the shared vocabulary file, each kind of broken
 * file (with the message it must give), and allocation failures. */
#include "check.h"
#include "model_util.h"
#include "base/mem.h"
#include "foundry/gguf.h"

/* ---- Round trip ---------------------------------------------------------- */

static const fd_gguf_str STRS[3] = { {"alpha", 5}, {"", 0}, {"\xc3\xa9t\xc3\xa9", 5} };
static const int32_t I32S[4] = { -7, 0, 42, 2147483647 };
static const uint8_t U16S[6] = { 1, 0, 0xff, 0xff, 0x34, 0x12 };   /* 1, 65535, 0x1234 */
static const uint8_t F64S[16] = { 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0 }; /* 1.0, -2.0 */

static int quiet_adds;   /* set while allocations are made to fail */
#define ADDOK_(expr) do { if (quiet_adds) (void)(expr); else CHECK_OK(expr, err); } while (0)

static void add_all_types(fd_gguf_writer *w, fd_gguf_value *nested, fd_error *err)
{
    fd_gguf_value v;
#define SCALAR_(key, T, field, val) do { memset(&v, 0, sizeof v); v.type = FD_GGUF_##T; v.v.field = (val); \
        ADDOK_(fd_gguf_writer_add(w, key, &v, err)); } while (0)
    SCALAR_("t.u8", U8, u, 200);
    SCALAR_("t.i8", I8, i, -100);
    SCALAR_("t.u16", U16, u, 60000);
    SCALAR_("t.i16", I16, i, -30000);
    SCALAR_("t.u32", U32, u, 4000000000u);
    SCALAR_("t.i32", I32, i, -2000000000);
    SCALAR_("t.f32", F32, f, 0.25);
    SCALAR_("t.bool", BOOL, b, 1);
    SCALAR_("t.u64", U64, u, 0xfedcba9876543210ull);
    SCALAR_("t.i64", I64, i, -5000000000ll);
    SCALAR_("t.f64", F64, f, 3.141592653589793);
#undef SCALAR_
    ADDOK_(fd_gguf_writer_add_str(w, "t.str", "h\xc3\xa9llo", err));
    ADDOK_(fd_gguf_writer_add_str_array(w, "t.strs", STRS, 3, err));
    ADDOK_(fd_gguf_writer_add_i32_array(w, "t.i32s", I32S, 4, err));
    v = (fd_gguf_value){ .type = FD_GGUF_ARRAY, .v.arr = { FD_GGUF_U16, 3, U16S } };
    ADDOK_(fd_gguf_writer_add(w, "t.u16s", &v, err));
    v = (fd_gguf_value){ .type = FD_GGUF_ARRAY, .v.arr = { FD_GGUF_F64, 2, F64S } };
    ADDOK_(fd_gguf_writer_add(w, "t.f64s", &v, err));
    v = (fd_gguf_value){ .type = FD_GGUF_ARRAY, .v.arr = { FD_GGUF_BOOL, 0, NULL } };
    ADDOK_(fd_gguf_writer_add(w, "t.empty", &v, err));
    nested[0] = (fd_gguf_value){ .type = FD_GGUF_ARRAY, .v.arr = { FD_GGUF_I32, 4, I32S } };
    nested[1] = (fd_gguf_value){ .type = FD_GGUF_ARRAY, .v.arr = { FD_GGUF_STRING, 3, STRS } };
    nested[2] = (fd_gguf_value){ .type = FD_GGUF_ARRAY, .v.arr = { FD_GGUF_ARRAY, 2, nested } };
    v = (fd_gguf_value){ .type = FD_GGUF_ARRAY, .v.arr = { FD_GGUF_ARRAY, 3, nested } };
    ADDOK_(fd_gguf_writer_add(w, "t.nested", &v, err));
}

static void check_all_types(const fd_gguf *g)
{
    fd_error err = {0};
    uint64_t u, n;
    double f;
    int b;
    fd_gguf_str s;
    const fd_gguf_str *ss;
    const int32_t *is;
    const fd_gguf_value *v;
    CHECK_OK(fd_gguf_get_uint(g, "t.u8", &u, &err), &err);   CHECK_EQ(u, 200);
    CHECK_EQ(fd_gguf_find(g, "t.i8")->v.i, -100);
    CHECK_EQ(fd_gguf_find(g, "t.i8")->type, FD_GGUF_I8);
    CHECK_OK(fd_gguf_get_uint(g, "t.u16", &u, &err), &err);  CHECK_EQ(u, 60000);
    CHECK_EQ(fd_gguf_find(g, "t.i16")->v.i, -30000);
    CHECK_OK(fd_gguf_get_uint(g, "t.u32", &u, &err), &err);  CHECK_EQ(u, 4000000000u);
    CHECK_EQ(fd_gguf_find(g, "t.i32")->v.i, -2000000000);
    CHECK_OK(fd_gguf_get_float(g, "t.f32", &f, &err), &err); CHECK_NEAR(f, 0.25, 0);
    CHECK_OK(fd_gguf_get_bool(g, "t.bool", &b, &err), &err); CHECK_EQ(b, 1);
    CHECK_OK(fd_gguf_get_uint(g, "t.u64", &u, &err), &err);  CHECK(u == 0xfedcba9876543210ull);
    CHECK_EQ(fd_gguf_find(g, "t.i64")->v.i, -5000000000ll);
    CHECK_OK(fd_gguf_get_float(g, "t.f64", &f, &err), &err); CHECK(f == 3.141592653589793);
    CHECK_OK(fd_gguf_get_str(g, "t.str", &s, &err), &err);
    CHECK(s.len == 6 && !memcmp(s.ptr, "h\xc3\xa9llo", 6));
    CHECK_OK(fd_gguf_get_str_array(g, "t.strs", &ss, &n, &err), &err);
    CHECK_EQ(n, 3);
    for (int i = 0; i < 3 && n == 3; i++) CHECK(ss[i].len == STRS[i].len && !memcmp(ss[i].ptr, STRS[i].ptr, ss[i].len));
    CHECK_OK(fd_gguf_get_int_array(g, "t.i32s", &is, &n, &err), &err);
    CHECK(n == 4 && !memcmp(is, I32S, sizeof I32S));
    CHECK_OK(fd_gguf_get_int_array(g, "t.u16s", &is, &n, &err), &err);
    CHECK(n == 3 && is[0] == 1 && is[1] == 65535 && is[2] == 0x1234);
    v = fd_gguf_find(g, "t.f64s");
    CHECK(v && v->v.arr.n == 2 && fd_gguf_array_item(v, 1).v.f == -2.0);
    v = fd_gguf_find(g, "t.empty");
    CHECK(v && v->type == FD_GGUF_ARRAY && v->v.arr.type == FD_GGUF_BOOL && v->v.arr.n == 0);
    v = fd_gguf_find(g, "t.nested");
    CHECK(v && v->v.arr.type == FD_GGUF_ARRAY && v->v.arr.n == 3);
    if (v && v->v.arr.n == 3) {
        fd_gguf_value a = fd_gguf_array_item(v, 0), c = fd_gguf_array_item(v, 2), cs;
        CHECK(a.v.arr.type == FD_GGUF_I32 && a.v.arr.n == 4 && fd_gguf_array_item(&a, 3).v.i == 2147483647);
        CHECK(c.v.arr.type == FD_GGUF_ARRAY && c.v.arr.n == 2);
        cs = fd_gguf_array_item(&c, 1);
        CHECK(cs.v.arr.type == FD_GGUF_STRING && fd_gguf_array_item(&cs, 2).v.s.len == 5);
    }
    /* Type mismatches and missing keys say what is wrong. */
    fd_error_clear(&err);
    CHECK_EQ(fd_gguf_get_str(g, "t.u32", &s, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "key 't.u32' is u32, not a string");
    fd_error_clear(&err);
    CHECK_EQ(fd_gguf_get_uint(g, "t.i64", &u, &err), FD_ERR_RANGE);
    fd_error_clear(&err);
    CHECK_EQ(fd_gguf_get_uint(g, "nope", &u, &err), FD_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "key 'nope' not found");
    fd_error_clear(&err);
    CHECK_EQ(fd_gguf_get_int_array(g, "t.strs", &is, &n, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "array of string");
}

/* Tensors of every dtype: name, dtype, ne, filled with a pattern. */
static const struct { const char *name; fd_dtype dt; uint32_t nd; uint64_t ne[3]; } TENSORS[] = {
    {"a.f32", FD_F32, 1, {7, 1, 1}},    {"b.f16", FD_F16, 2, {5, 3, 1}},    {"c.bf16", FD_BF16, 2, {64, 2, 1}},
    {"d.q8_0", FD_Q8_0, 2, {64, 3, 1}}, {"e.q4_0", FD_Q4_0, 3, {32, 2, 2}}, {"f.f32", FD_F32, 2, {1, 1, 1}},
};
#define NT (sizeof TENSORS / sizeof TENSORS[0])

static uint64_t tensor_bytes(int i)
{
    uint64_t rb = 0, rows = TENSORS[i].ne[1] * TENSORS[i].ne[2];
    fd_dtype_row_bytes(TENSORS[i].dt, TENSORS[i].ne[0], &rb, NULL);
    return rb * rows;
}

static void round_trip(uint32_t alignment)
{
    char *dir = temp_dir("gguf"), *path = path_in(dir, "rt.gguf");
    fd_error err = {0};
    fd_gguf_writer *w;
    fd_gguf *g = NULL;
    fd_gguf_value nested[3];
    uint8_t *data[NT];
    CHECK_OK(fd_gguf_writer_create(&w, &err), &err);
    add_all_types(w, nested, &err);
    CHECK_OK(fd_gguf_writer_set_alignment(w, alignment, &err), &err);
    for (size_t i = 0; i < NT; i++) {
        uint64_t n = tensor_bytes((int)i);
        data[i] = malloc(n);
        for (uint64_t k = 0; k < n; k++) data[i][k] = (uint8_t)(k * 31 + i);
        CHECK_OK(fd_gguf_writer_add_tensor(w, TENSORS[i].name, TENSORS[i].dt, TENSORS[i].nd, TENSORS[i].ne, data[i], n,
                                           &err), &err);
    }
    CHECK_EQ(fd_gguf_writer_add_tensor(w, "a.f32", FD_F32, 1, TENSORS[0].ne, data[0], 28, &err), FD_ERR_INVALID);
    fd_error_clear(&err);
    CHECK_EQ(fd_gguf_writer_add_tensor(w, "bad", FD_F32, 1, TENSORS[0].ne, data[0], 27, &err), FD_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "27 bytes given");
    fd_error_clear(&err);
    CHECK_OK(fd_gguf_writer_write(w, path, &err), &err);
    fd_gguf_writer_destroy(w);
    CHECK_OK(fd_gguf_open(path, &g, &err), &err);
    if (g) {
        CHECK_EQ(fd_gguf_version(g), 3);
        CHECK_EQ(fd_gguf_alignment(g), alignment);
        CHECK_EQ(fd_gguf_data_offset(g) % alignment, 0);
        CHECK_EQ(fd_gguf_kv_count(g), 18 + (alignment != 32));
        CHECK_STR(fd_gguf_kv_at(g, 0)->key, "t.u8");
        check_all_types(g);
        CHECK_EQ(fd_gguf_tensor_count(g), NT);
        for (size_t i = 0; i < NT; i++) {
            const fd_gguf_tensor *t = fd_gguf_tensor_at(g, i);
            CHECK_STR(t->name, TENSORS[i].name);
            CHECK(fd_gguf_tensor_find(g, TENSORS[i].name) == t);
            CHECK_EQ(t->dtype, TENSORS[i].dt);
            CHECK_EQ(t->n_dims, TENSORS[i].nd);
            for (uint32_t d = 0; d < TENSORS[i].nd; d++) CHECK_EQ(t->ne[d], TENSORS[i].ne[d]);
            CHECK_EQ(t->bytes, tensor_bytes((int)i));
            CHECK_EQ(t->offset % alignment, 0);
            CHECK(!memcmp(t->data, data[i], t->bytes));
        }
        fd_gguf_close(g);
    }
    for (size_t i = 0; i < NT; i++) free(data[i]);
    free(path);
    rm_tree(dir);
}

static void test_round_trip(void) { round_trip(32); }
static void test_round_trip_align64(void) { round_trip(64); }

/* Writes a tiny file and shows it to another reader when asked:
 * FD_GGUF_KEEP=path keeps a copy for tools/check_gguf.mjs. */
static void test_keep_for_js(void)
{
    const char *keep = getenv("FD_GGUF_KEEP");
    fd_error err = {0};
    fd_gguf_writer *w;
    fd_gguf_value nested[3];
    float x[64];
    if (!keep) SKIP("set FD_GGUF_KEEP=/path/file.gguf to write a sample for tools/check_gguf.mjs");
    for (int i = 0; i < 64; i++) x[i] = (float)i;
    CHECK_OK(fd_gguf_writer_create(&w, &err), &err);
    CHECK_OK(fd_gguf_writer_add_str(w, "general.architecture", "qwen2", &err), &err);
    add_all_types(w, nested, &err);
    CHECK_OK(fd_gguf_writer_add_tensor(w, "x", FD_F32, 2, (uint64_t[]){16, 4}, x, sizeof x, &err), &err);
    CHECK_OK(fd_gguf_writer_write(w, keep, &err), &err);
    fd_gguf_writer_destroy(w);
}

/* ---- The shared vocabulary file ----------------------------------------- */

static void test_vocab_file(void)
{
    const char *path = FD_SOURCE_DIR "/../shared/models/ggml-vocab-qwen2.gguf";
    fd_error err = {0};
    fd_gguf *g = NULL;
    fd_gguf_str s;
    const fd_gguf_str *toks;
    const int32_t *types;
    uint64_t n, nt;
    if (access(path, R_OK)) SKIP("%s is absent", path);
    CHECK_OK(fd_gguf_open(path, &g, &err), &err);
    if (!g) return;
    CHECK_OK(fd_gguf_get_str(g, "tokenizer.ggml.model", &s, &err), &err);
    CHECK(s.len == 4 && !memcmp(s.ptr, "gpt2", 4));
    CHECK_OK(fd_gguf_get_str_array(g, "tokenizer.ggml.tokens", &toks, &n, &err), &err);
    CHECK(n > 150000);
    CHECK(toks[0].len == 1 && toks[0].ptr[0] == '!');
    CHECK_OK(fd_gguf_get_int_array(g, "tokenizer.ggml.token_type", &types, &nt, &err), &err);
    CHECK_EQ(nt, n);
    CHECK_OK(fd_gguf_get_str_array(g, "tokenizer.ggml.merges", &toks, &n, &err), &err);
    CHECK(n > 100000);
    CHECK_EQ(fd_gguf_tensor_count(g), 0);
    fd_gguf_close(g);
}

/* ---- Broken files ------------------------------------------------------- */

/* A valid two-tensor file built by hand; `mut` selects one defect. */
enum { OK_, MAGIC, VERSION, KV_HUGE, STR_PAST, KEY_UTF8, T_PAST, T_DIMS_OVF, T_Q4K, T_IQ2, T_MXFP4, T_MISALIGN, T_OVERLAP,
       DUP_KEY, T_NDIMS, BAD_VTYPE, ALIGN_BAD, T_COUNT_HUGE, ARR_HUGE, DEEP };

static buf make_gguf(int mut)
{
    buf b = {0};
    buf_u32(&b, mut == MAGIC ? 0x46554746u : FD_GGUF_MAGIC);
    buf_u32(&b, mut == VERSION ? 4 : 3);
    buf_u64(&b, mut == T_COUNT_HUGE ? (1ull << 40) : 2);
    buf_u64(&b, mut == KV_HUGE ? (1ull << 60) : 3);
    buf_str(&b, mut == KEY_UTF8 ? "bad\xc3(" : "general.architecture");
    buf_u32(&b, mut == BAD_VTYPE ? 77 : FD_GGUF_STRING);
    if (mut == STR_PAST) buf_u64(&b, 1ull << 30); else buf_str(&b, "qwen2");
    buf_str(&b, mut == DUP_KEY ? "general.architecture" : "general.alignment");
    buf_u32(&b, FD_GGUF_U32);
    buf_u32(&b, mut == ALIGN_BAD ? 48 : 32);
    buf_str(&b, "nested");
    buf_u32(&b, FD_GGUF_ARRAY);
    if (mut == DEEP) {
        for (int i = 0; i < 20; i++) { buf_u32(&b, FD_GGUF_ARRAY); buf_u64(&b, 1); }
        buf_u32(&b, FD_GGUF_U8); buf_u64(&b, 0);
    } else {
        buf_u32(&b, FD_GGUF_U8);
        buf_u64(&b, mut == ARR_HUGE ? (1ull << 62) : 2);
        buf_u8(&b, 1); buf_u8(&b, 2);
    }
    /* tensor a: f32 (8, 2) at 0; tensor b: f16 (16) at 64 */
    buf_str(&b, "a");
    buf_u32(&b, mut == T_NDIMS ? 5 : 2);
    buf_u64(&b, mut == T_DIMS_OVF ? (1ull << 40) : 8);
    buf_u64(&b, mut == T_DIMS_OVF ? (1ull << 40) : 2);
    buf_u32(&b, mut == T_Q4K ? 12 : mut == T_IQ2 ? 16 : mut == T_MXFP4 ? 39 : 0);
    buf_u64(&b, 0);
    buf_str(&b, "b");
    buf_u32(&b, 1);
    buf_u64(&b, 16);
    buf_u32(&b, 1);
    buf_u64(&b, mut == T_PAST ? 4096 : mut == T_MISALIGN ? 66 : mut == T_OVERLAP ? 32 : 64);
    buf_pad(&b, 32);
    for (int i = 0; i < 96; i++) buf_u8(&b, (uint8_t)i);
    return b;
}

static void expect_bad(const char *dir, int mut, fd_status want, const char *msg)
{
    char *path = path_in(dir, "bad.gguf");
    buf b = make_gguf(mut);
    fd_error err = {0};
    fd_gguf *g = (fd_gguf *)1;
    write_file(path, b.p, b.n);
    CHECK_EQ(fd_gguf_open(path, &g, &err), want);
    CHECK(g == NULL);
    CHECK_CONTAINS(err.msg, msg);
    CHECK_CONTAINS(err.msg, path);
    free(b.p);
    free(path);
}

static void test_bad_files(void)
{
    char *dir = temp_dir("gguf_bad"), *path = path_in(dir, "bad.gguf");
    fd_error err = {0};
    fd_gguf *g = NULL;
    buf b = make_gguf(OK_);
    write_file(path, b.p, b.n);
    CHECK_OK(fd_gguf_open(path, &g, &err), &err);
    if (g) {
        CHECK_EQ(fd_gguf_tensor_count(g), 2);
        CHECK_EQ(fd_gguf_tensor_find(g, "b")->offset, 64);
        fd_gguf_close(g);
    }
    /* Every truncation fails cleanly and says so. */
    for (size_t n = 0; n < b.n - 1; n++) {
        fd_error e = {0};
        write_file(path, b.p, n);
        CHECK(fd_gguf_open(path, &g, &e) != FD_OK);
        if (e.msg[0] == 0) fprintf(stderr, "truncation at %zu gave no message\n", n);
        CHECK(e.msg[0] != 0);
    }
    free(b.p);
    expect_bad(dir, MAGIC, FD_ERR_FORMAT, "not a GGUF file");
    expect_bad(dir, VERSION, FD_ERR_UNSUPPORTED, "GGUF version 4 is not supported");
    expect_bad(dir, KV_HUGE, FD_ERR_FORMAT, "claims 1152921504606846976 metadata keys");
    expect_bad(dir, T_COUNT_HUGE, FD_ERR_FORMAT, "tensors, more than");
    expect_bad(dir, STR_PAST, FD_ERR_FORMAT, "claims 1073741824 bytes, past the end");
    expect_bad(dir, KEY_UTF8, FD_ERR_FORMAT, "key is not valid UTF-8");
    expect_bad(dir, T_PAST, FD_ERR_FORMAT, "tensor b: data [4096, +32)");
    expect_bad(dir, T_DIMS_OVF, FD_ERR_FORMAT, "tensor a");
    /* Q4_K is read: a row of 8 values is not whole 256-value blocks. Types
     * Foundry does not read are refused by name, whatever the row. */
    expect_bad(dir, T_Q4K, FD_ERR_FORMAT, "tensor a: row of 8 values is not a whole number of Q4_K blocks of 256");
    expect_bad(dir, T_IQ2, FD_ERR_UNSUPPORTED, "tensor a has type IQ2_XXS (16), not supported");
    expect_bad(dir, T_MXFP4, FD_ERR_UNSUPPORTED, "tensor a has type MXFP4 (39), not supported (Foundry reads F32, "
               "F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS)");
    expect_bad(dir, T_MISALIGN, FD_ERR_FORMAT, "not a multiple of the alignment");
    expect_bad(dir, T_OVERLAP, FD_ERR_FORMAT, "tensors a and b overlap");
    expect_bad(dir, DUP_KEY, FD_ERR_FORMAT, "key 'general.architecture' appears twice");
    expect_bad(dir, T_NDIMS, FD_ERR_FORMAT, "tensor a has 5 dimensions");
    expect_bad(dir, BAD_VTYPE, FD_ERR_FORMAT, "unknown value type 77");
    expect_bad(dir, ALIGN_BAD, FD_ERR_FORMAT, "general.alignment 48 is not a power of two");
    expect_bad(dir, ARR_HUGE, FD_ERR_FORMAT, "claims an array of 4611686018427387904 u8 items");
    expect_bad(dir, DEEP, FD_ERR_FORMAT, "nests arrays deeper");
    /* IQ2_XXS is described, not refused, when asked. */
    {
        buf q = make_gguf(T_IQ2);
        write_file(path, q.p, q.n);
        /* (8 x 2) values are not whole 256-value blocks: still refused, by name. */
        CHECK_EQ(fd_gguf_open_ex(path, FD_GGUF_ANY_TENSOR_TYPE, &g, &err), FD_ERR_FORMAT);
        CHECK_CONTAINS(err.msg, "IQ2_XXS blocks");
        free(q.p);
    }
    fd_error_clear(&err);
    CHECK_EQ(fd_gguf_open(dir, &g, &err), FD_ERR_IO);
    fd_error_clear(&err);
    CHECK_EQ(fd_gguf_open("/nonexistent/x.gguf", &g, &err), FD_ERR_IO);
    CHECK_CONTAINS(err.msg, "/nonexistent/x.gguf: cannot open");
    free(path);
    rm_tree(dir);
}

/* ---- Allocation failures ------------------------------------------------- */

static void test_alloc_failures(void)
{
    char *dir = temp_dir("gguf_mem"), *path = path_in(dir, "m.gguf");
    buf b = make_gguf(OK_);
    int ok_at = 0;
    write_file(path, b.p, b.n);
    for (long n = 1; n < 200 && !ok_at; n++) {
        fd_error err = {0};
        fd_gguf *g = NULL;
        fd_status st;
        fd_mem_fail_after(n, 1);
        st = fd_gguf_open(path, &g, &err);
        fd_mem_fail_after(0, 0);
        if (st == FD_OK) {
            ok_at = (int)n;
            fd_gguf_close(g);
        } else {
            CHECK_EQ(st, FD_ERR_NOMEM);
            CHECK(g == NULL);
            CHECK(err.msg[0] != 0);
        }
    }
    CHECK(ok_at > 1);
    /* The writer too. */
    for (long n = 1; n < 50; n++) {
        fd_error err = {0};
        fd_gguf_writer *w = NULL;
        fd_gguf_value nested[3];
        quiet_adds = 1;
        fd_mem_fail_after(n, 1);
        if (fd_gguf_writer_create(&w, &err) == FD_OK) {
            add_all_types(w, nested, &err);
            fd_gguf_writer_write(w, path, &err);
        }
        fd_mem_fail_after(0, 0);
        quiet_adds = 0;
        fd_gguf_writer_destroy(w);   /* failures above are expected: only leaks matter */
    }
    free(b.p);
    free(path);
    rm_tree(dir);
}

TEST_MAIN(test_round_trip, test_round_trip_align64, test_vocab_file, test_bad_files, test_alloc_failures,
          test_keep_for_js)
