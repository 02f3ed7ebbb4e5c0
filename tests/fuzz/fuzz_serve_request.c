/* fuzz_serve_request.c — libFuzzer target: the server's request path after
 * HTTP (src/serve/request.c): a body parsed as a chat request (first byte
 * even) or a completions one, its messages rendered through the Qwen2.5 chat
 * template of tests/data (tools included) under small limits, and the body
 * itself scanned for tool calls as if it were a reply. */
#include "serve/request.h"
#include "base/mem.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fd_template *tmpl;
static char *vars;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int loaded;
    if (!loaded) {   /* once per process; a missing file fuzzes without the template */
        fd_error err = { 0 };
        loaded = 1;
        if (fd_template_load(FD_TEST_DATA "/tokenizer/ggml-vocab-qwen2.gguf", &tmpl, &vars, &err) != FD_OK) tmpl = NULL;
    }
    if (!size) return 0;
    int chat = !(data[0] & 1);
    srv_req r;
    srv_fail f = { 0 };
    if (srv_req_parse((const char *)data + 1, size - 1, chat, NULL, &r, &f) == FD_OK) {
        char *text = NULL;
        size_t n = 0;
        if (srv_req_prompt(&r, tmpl, vars, &text, &n, &f) == FD_OK) fd_template_free(text);
        srv_req_free(&r);
    }
    char *content = NULL;
    json_t *calls = srv_tool_calls((const char *)data, size, &content);
    json_decref(calls);
    fd_free(content);
    return 0;
}
