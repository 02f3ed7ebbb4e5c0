/* test_serve.c — the server (src/serve/): its request reader (every field's
 * check and the field an error names), prompt rendering with tools, the
 * tool-call parser for both formats; then the HTTP API end to end through
 * tests/serve/run.sh (the official OpenAI client, fetch and curl against
 * `foundry serve --synthetic tiny`: see serve_test.mjs for its checks). */
#include <sys/wait.h>
#include "check.h"
#include "base/mem.h"
#include "serve/request.h"

static fd_status parse(const char *body, int chat, srv_req *r, srv_fail *f)
{
    memset(f, 0, sizeof *f);
    return srv_req_parse(body, strlen(body), chat, NULL, r, f);
}

static void test_fields(void)
{
    srv_req r;
    srv_fail f;
    CHECK_OK(parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.5,"
                   "\"top_p\":0.9,\"top_k\":7,\"min_p\":0.1,\"max_tokens\":9,\"stop\":[\"a\",\"b\"],\"seed\":5,"
                   "\"presence_penalty\":1,\"frequency_penalty\":-1,\"ignore_eos\":true,\"min_tokens\":2,"
                   "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"n\":1,\"logprobs\":false}",
                   1, &r, &f), NULL);
    CHECK_STR(r.model, "m");
    CHECK_NEAR(r.samp.temperature, 0.5, 1e-6);
    CHECK_NEAR(r.samp.top_p, 0.9, 1e-6);
    CHECK_EQ(r.samp.top_k, 7);
    CHECK_NEAR(r.samp.min_p, 0.1, 1e-6);
    CHECK_EQ(r.max_tokens, 9);
    CHECK_EQ(r.min_tokens, 2);
    CHECK_EQ(r.samp.seed, 5);
    CHECK_EQ(r.seeded, 1);
    CHECK_NEAR(r.samp.presence_penalty, 1, 0);
    CHECK_NEAR(r.samp.frequency_penalty, -1, 0);
    CHECK(r.ignore_eos && r.stream && r.include_usage);
    CHECK_STR(r.stop[0], "a");
    CHECK_STR(r.stop[1], "b");
    CHECK(r.stop[2] == NULL);
    srv_req_free(&r);
    /* max_completion_tokens, a single stop string, completions' prompt */
    CHECK_OK(parse("{\"prompt\":\"p\",\"max_completion_tokens\":3,\"stop\":\"x\"}", 0, &r, &f), NULL);
    CHECK_EQ(r.max_tokens, 3);
    CHECK_STR(r.prompt, "p");
    CHECK_STR(r.stop[0], "x");
    CHECK_EQ(r.seeded, 0);
    srv_req_free(&r);
}

static void test_errors_name_the_field(void)
{
    static const struct { const char *body; int chat; const char *param; } cases[] = {
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", 1, "temperature" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":2}", 1, "top_p" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_k\":1.5}", 1, "top_k" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}", 1, "max_tokens" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}", 1, "n" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":true}", 1, "logprobs" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"json_object\"}}", 1, "response_format" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[1]}", 1, "stop" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{\"include_usage\":true}}", 1, "stream_options" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{}]}", 1, "tools" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":\"sometimes\"}", 1, "tool_choice" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"model\":3}", 1, "model" },
        { "{\"messages\":[]}", 1, "messages" },
        { "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", 1, "messages" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", 1, "messages" },
        { "{\"prompt\":[1,2,3]}", 0, "prompt" },
        { "{\"prompt\":\"x\",\"echo\":true}", 0, "echo" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srv_req r;
        srv_fail f;
        CHECK_EQ(parse(cases[i].body, cases[i].chat, &r, &f), FD_ERR_INVALID);
        CHECK_EQ(f.http, 400);
        CHECK_STR(f.param, cases[i].param);
        CHECK_STR(f.type, "invalid_request_error");
        if (strcmp(f.param, cases[i].param)) fprintf(stderr, "  case %zu: %s\n", i, f.msg);
        CHECK(strstr(f.msg, cases[i].param) != NULL || !strcmp(cases[i].param, "tool_choice"));
        CHECK(r.root == NULL);   /* freed on failure */
    }
    srv_req r;
    srv_fail f;
    CHECK_EQ(parse("{\"messages\": [", 1, &r, &f), FD_ERR_INVALID);
    CHECK_CONTAINS(f.msg, "not JSON");
    CHECK_EQ(parse("[1]", 1, &r, &f), FD_ERR_INVALID);
    CHECK_CONTAINS(f.msg, "JSON object");
}

static void test_prompt_with_tools(void)
{
    fd_template *t = NULL;
    char *vars = NULL;
    fd_error err = { 0 };
    CHECK_OK(fd_template_load(FD_TEST_DATA "/tokenizer/ggml-vocab-qwen2.gguf", &t, &vars, &err), &err);
    if (!t) return;
    srv_req r;
    srv_fail f;
    CHECK_OK(parse("{\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Be \"},"
                   "{\"type\":\"text\",\"text\":\"brief.\"}]},{\"role\":\"user\",\"content\":\"Weather?\"},"
                   "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                   "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},"
                   "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"22C\"}],"
                   "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{}}}]}",
                   1, &r, &f), NULL);
    char *text = NULL;
    size_t n = 0;
    CHECK_OK(srv_req_prompt(&r, t, vars, &text, &n, &f), NULL);
    if (text) {
        CHECK_CONTAINS(text, "<|im_start|>system\nBe brief.");               /* parts joined, developer = system */
        CHECK_CONTAINS(text, "\"name\": \"get_weather\"");                    /* the tool schema */
        CHECK_CONTAINS(text, "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}");   /* arguments as an object */
        CHECK_CONTAINS(text, "<tool_response>\n22C\n</tool_response>");
        CHECK(n > 0 && !strcmp(text + n - 22, "<|im_start|>assistant\n"));
    }
    fd_template_free(text);
    srv_req_free(&r);
    /* tool_choice "none": no tools in the prompt */
    CHECK_OK(parse("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":\"none\","
                   "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}", 1, &r, &f), NULL);
    CHECK(r.tools_json == NULL);
    srv_req_free(&r);
    fd_template_destroy(t);
    fd_template_free(vars);
}

static void test_tool_calls(void)
{
    char *content = NULL;
    const char *hermes = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                         "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";
    json_t *c = srv_tool_calls(hermes, strlen(hermes), &content);
    CHECK(c && json_array_size(c) == 2);
    if (c && json_array_size(c) == 2) {
        json_t *f0 = json_object_get(json_array_get(c, 0), "function");
        CHECK_STR(json_string_value(json_object_get(f0, "name")), "get_weather");
        CHECK_STR(json_string_value(json_object_get(f0, "arguments")), "{\"city\":\"Paris\"}");
        CHECK_STR(json_string_value(json_object_get(json_array_get(c, 1), "id")), "call_1");
        CHECK_STR(json_string_value(json_object_get(json_array_get(c, 1), "type")), "function");
        CHECK_STR(content, "Let me check.");
    }
    json_decref(c);
    fd_free(content);
    const char *llama = "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}";
    c = srv_tool_calls(llama, strlen(llama), &content);
    CHECK(c && json_array_size(c) == 1);
    if (c && json_array_size(c) == 1)
        CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(c, 0), "function"), "arguments")),
                  "{\"city\":\"Oslo\"}");
    json_decref(c);
    fd_free(content);
    /* not calls: plain text, a broken block, JSON that names no function */
    const char *plain[] = { "Sunny, 22 C.", "<tool_call>{\"name\": </tool_call>", "{\"city\": \"Paris\"}", "<tool_call>" };
    for (size_t i = 0; i < 4; i++) {
        c = srv_tool_calls(plain[i], strlen(plain[i]), &content);
        CHECK(c == NULL && content == NULL);
        json_decref(c);
    }
}

/* The HTTP API end to end (tests/serve/run.sh): skips without node, npm or curl. */
static void test_http_api(void)
{
    char cmd[4096], dir[2048];
    snprintf(dir, sizeof dir, "%s", FD_FOUNDRY_BIN);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
#if defined(__SANITIZE_ADDRESS__)
    const char *env = "SERVE_TEST_CLIENTS=4 SERVE_TEST_LIMIT_S=900";   /* the sanitized CPU kernels are slower */
#else
    const char *env = "";
#endif
    snprintf(cmd, sizeof cmd, "%s sh '%s/tests/serve/run.sh' '%s' '%s/serve-node'", env, FD_SOURCE_DIR, FD_FOUNDRY_BIN,
             dir);
    int rc = system(cmd);
    rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
    if (rc == 77) {
        SKIP("node, npm or curl is missing, or npm cannot install the openai client (printed above)");
        return;
    }
    CHECK_EQ(rc, 0);
}

TEST_MAIN(test_fields, test_errors_name_the_field, test_prompt_with_tools, test_tool_calls, test_http_api)
