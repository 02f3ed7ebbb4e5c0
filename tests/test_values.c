/* test_values.c — values (issue 22, class 5): non-finite or absurd
 * hyper-parameters are refused with the key named (config.json and GGUF);
 * NaN and Inf weights are counted and `convert` reports the count and the
 * first tensor. */
#include <math.h>
#include <sys/stat.h>
#include "check.h"
#include "cli_util.h"
#include "foundry/gguf.h"
#include "foundry/model.h"
#include "model_util.h"
#include "gguf_util.h"

static char *dir;

static void setup(void) { dir = temp_dir("values"); }

static fd_status open_err(const char *path, fd_error *err)
{
    fd_model *m = NULL;
    fd_model_options o = { .no_tokenizer = 1 };
    fd_status st = fd_model_open(path, &o, &m, err);
    fd_model_close(m);
    return st;
}

/* The tiny folder with `from` replaced by `to` in config.json: refused with `want`, naming `needle`. */
static void config_case_st(const char *from, const char *to, fd_status want, const char *needle)
{
    char *d = path_in(dir, "cfg");
    fd_error err = { 0 };
    mkdir(d, 0755);
    write_tiny_hf(d, &TINY, 11);
    edit_file(d, "config.json", from, to);
    CHECK_EQ(open_err(d, &err), want);
    CHECK_CONTAINS(err.msg, needle);
    rm_tree(d);
}

static void config_case(const char *from, const char *to, const char *needle)
{
    config_case_st(from, to, FD_ERR_FORMAT, needle);
}

/* Configurations this code does not implement are refused by name, never ignored. */
static void test_unimplemented_configs(void)
{
    const char *eps = "\"rms_norm_eps\":1e-06";
    config_case_st(eps, "\"rms_norm_eps\":1e-06,\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4.0}",
                   FD_ERR_UNSUPPORTED, "\"rope_scaling\" (yarn) is not implemented");
    config_case_st(eps, "\"rms_norm_eps\":1e-06,\"rope_parameters\":{\"rope_type\":\"linear\",\"rope_theta\":10000}",
                   FD_ERR_UNSUPPORTED, "\"rope_parameters.rope_type\" \"linear\"");
    config_case_st(eps, "\"rms_norm_eps\":1e-06,\"use_sliding_window\":true", FD_ERR_UNSUPPORTED,
                   "sliding-window attention");
    config_case_st(eps, "\"rms_norm_eps\":1e-06,\"hidden_act\":\"gelu\"", FD_ERR_UNSUPPORTED,
                   "\"hidden_act\" \"gelu\" is not implemented");
    /* the neutral spellings still load */
    char *d = path_in(dir, "cfg_ok");
    fd_error err = { 0 };
    mkdir(d, 0755);
    write_tiny_hf(d, &TINY, 11);
    edit_file(d, "config.json", eps, "\"rms_norm_eps\":1e-06,\"rope_scaling\":null,\"use_sliding_window\":false,"
              "\"hidden_act\":\"silu\",\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":1000000.0}");
    CHECK_EQ(open_err(d, &err), FD_OK);
    rm_tree(d);
}

static void test_config_values(void)
{
    config_case("\"rope_theta\":1000000.0", "\"rope_theta\":0", "rope_theta = 0 is out of range");
    config_case("\"rope_theta\":1000000.0", "\"rope_theta\":-5", "rope_theta = -5 is out of range");
    config_case("\"rope_theta\":1000000.0", "\"rope_theta\":1e300", "rope_theta = 1e+300 is out of range");
    config_case("\"rms_norm_eps\":1e-06", "\"rms_norm_eps\":0", "rms_norm_eps = 0 is out of range");
    config_case("\"rms_norm_eps\":1e-06", "\"rms_norm_eps\":-1e-6", "rms_norm_eps = -1e-06 is out of range");
    config_case("\"num_attention_heads\":2,\"num_hidden_layers\":2,\"num_key_value_heads\":1",
                "\"num_attention_heads\":3,\"num_hidden_layers\":2,\"num_key_value_heads\":2,\"head_dim\":32",
                "num_attention_heads = 3 is not a multiple of num_key_value_heads = 2");
    config_case("\"num_key_value_heads\":1", "\"num_key_value_heads\":8", "num_key_value_heads = 8 is out of range");
    config_case("\"num_attention_heads\":2", "\"num_attention_heads\":3",
                "\"hidden_size\" 64 is not a multiple of \"num_attention_heads\" 3 (and \"head_dim\" is not given)");
    config_case("\"num_hidden_layers\":2", "\"num_hidden_layers\":100000", "num_hidden_layers = 100000 is out of range");
    config_case("\"rms_norm_eps\":1e-06", "\"rms_norm_eps\":1e-06,\"temperature\":1e300", "sampling values out of range");
    config_case("\"max_position_embeddings\":4096", "\"max_position_embeddings\":0",
                "max_position_embeddings = 0 is out of range");
}

static void test_gguf_values(void)
{
    char *d = path_in(dir, "g"), *good = path_in(dir, "good.gguf"), *bad = path_in(dir, "bad.gguf");
    fd_model *m = NULL;
    fd_error err = { 0 };
    mkdir(d, 0755);
    write_tiny_hf(d, &TINY, 12);
    CHECK_OK(fd_model_open(d, &(fd_model_options){ .no_tokenizer = 1 }, &m, &err), &err);
    CHECK_OK(fd_model_write_gguf(m, good, &err), &err);
    fd_model_close(m);
    static const struct { const char *key; float x; const char *needle; } cases[] = {
        { "qwen2.rope.freq_base", INFINITY, "qwen2.rope.freq_base = inf is out of range" },
        { "qwen2.rope.freq_base", NAN, "qwen2.rope.freq_base = nan is out of range" },
        { "qwen2.attention.layer_norm_rms_epsilon", 0.0f, "qwen2.attention.layer_norm_rms_epsilon = 0 is out of range" },
        { "qwen2.attention.layer_norm_rms_epsilon", -INFINITY, "layer_norm_rms_epsilon = -inf is out of range" },
        { "general.sampling.temp", NAN, "general.sampling.temp = nan is out of range" },
        { "general.sampling.top_p", 1.5f, "general.sampling.top_p = 1.5 is out of range" },
        { "general.sampling.penalty_repeat", 0.0f, "general.sampling.penalty_repeat = 0 is out of range" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gguf_with(good, bad, cases[i].key, &(fd_gguf_value){ .type = FD_GGUF_F32, .v.f = cases[i].x });
        fd_error_clear(&err);
        CHECK_EQ(open_err(bad, &err), FD_ERR_FORMAT);
        CHECK_CONTAINS(err.msg, cases[i].needle);
    }
    rm_tree(d);
    free(good), free(bad);
}

/* Overwrites the last bf16 of model.safetensors (the last tensor's last value). */
static void poison_last(const char *d, uint16_t bits)
{
    char *p = path_in(d, "model.safetensors");
    FILE *f = fopen(p, "r+b");
    CHECK(f && fseek(f, -2, SEEK_END) == 0 && fwrite(&bits, 2, 1, f) == 1);
    if (f) fclose(f);
    free(p);
}

static void test_nonfinite_weights(void)
{
    char *d = path_in(dir, "nan"), *out = path_in(dir, "nan.gguf");
    fd_model *m = NULL;
    fd_error err = { 0 };
    mkdir(d, 0755);
    write_tiny_hf(d, &TINY, 13);
    CHECK_OK(fd_model_open(d, &(fd_model_options){ .no_tokenizer = 1, .check_values = 1 }, &m, &err),
             &err);
    CHECK_EQ(fd_model_describe(m)->n_nonfinite, 0);
    fd_model_close(m);
    poison_last(d, 0x7fc0);   /* NaN */
    CHECK_OK(fd_model_open(d, &(fd_model_options){ .no_tokenizer = 1, .check_values = 1, .convert = 1,
                                                  .dtype = FD_Q8_0 }, &m, &err), &err);
    CHECK_EQ(fd_model_describe(m)->n_nonfinite, 1);
    CHECK(fd_model_describe(m)->first_nonfinite != NULL);
    fd_model_close(m);
    cli_io io = { 0 };
    CHECK_EQ(cli_run(&io, "convert", d, out, "--quiet", "--dtype", "q4_0", (char *)NULL), 0);
    CHECK_CONTAINS(io.err, "holds 1 NaN or Inf weights, the first in tensor ");
    poison_last(d, 0xff80);   /* -Inf */
    CHECK_EQ(cli_run(&io, "convert", d, out, "--quiet", (char *)NULL), 0);
    CHECK_CONTAINS(io.err, "holds 1 NaN or Inf weights");
    CHECK_EQ(cli_run(&io, "convert", d, out, "--quiet", "--dtype", "q8_0", (char *)NULL), 0);
    CHECK_CONTAINS(io.err, "holds 1 NaN or Inf weights");
    /* quantizing them is defined: NaN becomes 0, an infinity the end of the range (no int conversion of NaN) */
    float x[FD_QK];
    uint8_t q[64];
    for (int i = 0; i < FD_QK; i++) x[i] = i == 3 ? NAN : i == 5 ? INFINITY : 0.5f;
    fd_quantize_row(FD_Q4_0, x, q, FD_QK);
    fd_quantize_row(FD_Q8_0, x, q, FD_QK);
    x[5] = 1.0f;
    fd_quantize_row(FD_Q4_0, x, q, FD_QK);
    CHECK_EQ(q[2 + 3] & 0x0f, 8);   /* the NaN: level 8, the zero of q4_0 */
    rm_tree(d);
    free(out);
}

static void teardown(void) { rm_tree(dir); }

TEST_MAIN(setup, test_config_values, test_gguf_values, test_nonfinite_weights, test_unimplemented_configs, teardown)
