/* test_safetensors.c — the safetensors reader: a valid file read in place
 * (not copied), and each broken header refused with a message naming the
 * file and the defect. */
#include "check.h"
#include "model_util.h"
#include "base/mem.h"
#include "format/safetensors.h"

/* 8-byte length + header text + data bytes. */
static void write_st_raw(const char *path, const char *header, uint64_t claimed_len, size_t data_bytes)
{
    buf b = {0};
    buf_u64(&b, claimed_len ? claimed_len : strlen(header));
    buf_put(&b, header, strlen(header));
    for (size_t i = 0; i < data_bytes; i++) buf_u8(&b, (uint8_t)i);
    write_file(path, b.p, b.n);
    free(b.p);
}

static void test_valid(void)
{
    char *dir = temp_dir("st"), *p = path_in(dir, "m.safetensors");
    fd_error err = {0};
    fd_st_file *f = NULL;
    const char *h = "{\"__metadata__\":{\"format\":\"pt\"},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                    "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]},"
                    "\"c\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[32,34]}}";
    write_st_raw(p, h, 0, 34);
    CHECK_OK(fd_st_open(p, &f, &err), &err);
    if (f) {
        CHECK_EQ(f->n, 3);
        for (uint64_t i = 0; i < f->n; i++) {
            const fd_st_tensor *t = &f->t[i];
            CHECK((const uint8_t *)t->data >= f->map.data && (const uint8_t *)t->data + t->bytes <= f->map.data + f->map.size);
            if (!strcmp(t->name, "a")) {
                CHECK(t->dtype == FD_F32 && t->n_dims == 2 && t->dims[0] == 2 && t->dims[1] == 3 && t->bytes == 24);
                CHECK_EQ(((const uint8_t *)t->data)[1], 1);
            } else if (!strcmp(t->name, "b")) {
                CHECK(t->dtype == FD_BF16 && t->n_elems == 4 && ((const uint8_t *)t->data)[0] == 24);
            } else {
                CHECK(t->dtype == FD_F16 && t->n_dims == 0 && t->n_elems == 1);
            }
        }
        fd_st_close(f);
    }
    free(p);
    rm_tree(dir);
}

static void expect_bad(const char *dir, const char *header, uint64_t claimed, size_t data, fd_status want, const char *msg)
{
    char *p = path_in(dir, "bad.safetensors");
    fd_error err = {0};
    fd_st_file *f = (fd_st_file *)1;
    write_st_raw(p, header, claimed, data);
    CHECK_EQ(fd_st_open(p, &f, &err), want);
    CHECK(f == NULL);
    CHECK_CONTAINS(err.msg, msg);
    CHECK_CONTAINS(err.msg, p);
    free(p);
}

static void test_bad(void)
{
    char *dir = temp_dir("st_bad"), *p = path_in(dir, "short.safetensors");
    fd_error err = {0};
    fd_st_file *f;
    expect_bad(dir, "{}", 1ull << 40, 0, FD_ERR_FORMAT, "header length 1099511627776 runs past the end");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",", 0, 0, FD_ERR_FORMAT, "header is not valid JSON");
    expect_bad(dir, "[1,2]", 0, 0, FD_ERR_FORMAT, "not a JSON object");
    expect_bad(dir, "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 0, 8, FD_ERR_UNSUPPORTED,
               "tensor a has dtype I64, not supported");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 0, 8, FD_ERR_FORMAT,
               "tensor a: data_offsets [0, 16) lie outside the 8-byte data section");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 0, 16, FD_ERR_FORMAT,
               "16 bytes of data but its shape needs 12");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 0, 12, FD_ERR_FORMAT, "overlap");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 0, 8,
               FD_ERR_FORMAT, "shape overflows");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 0, 8, FD_ERR_FORMAT,
               "shape[0] is not a non-negative integer");
    expect_bad(dir, "{\"a\":{\"dtype\":\"F32\"}}", 0, 0, FD_ERR_FORMAT, "lacks dtype, shape or data_offsets");
    expect_bad(dir, "{\"a\":1,\"a\":2}", 0, 0, FD_ERR_FORMAT, "not valid JSON");
    expect_bad(dir, "{\"\xff\":1}", 0, 0, FD_ERR_FORMAT, "not valid JSON");
    write_file(p, "abc", 3);
    CHECK_EQ(fd_st_open(p, &f, &err), FD_ERR_FORMAT);
    CHECK_CONTAINS(err.msg, "too short for a safetensors header");
    free(p);
    rm_tree(dir);
}

TEST_MAIN(test_valid, test_bad)
