/* fuzz_chat_template.c — libFuzzer target: the chat-template interpreter.
 * The input is a template, rendered over a fixed two-turn conversation
 * with and without the generation prompt, under tight limits on steps,
 * depth and output so a hostile template ends quickly either way. */
#include "foundry/template.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char conv[] = "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                               "{\"role\":\"user\",\"content\":\"Hi <|im_end|> {{ x }}\"},"
                               "{\"role\":\"assistant\",\"content\":\"<think>a</think>Hello\"}]";
    fd_template *t = NULL;
    fd_error err = { 0 };
    if (fd_template_create((const char *)data, size, &t, &err) != FD_OK) return 0;
    fd_template_options o;
    fd_template_options_init(&o);
    o.limits.max_steps = 20000;
    o.limits.max_depth = 64;
    o.limits.max_output = 1 << 16;
    o.limits.max_memory = 8 << 20;
    o.vars_json = "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}";
    o.now = 1700000000;
    for (int g = 0; g < 2; g++) {
        char *text = NULL;
        size_t n = 0;
        fd_error e = { 0 };
        o.add_generation_prompt = g;
        if (fd_template_render(t, conv, sizeof conv - 1, &o, &text, &n, &e) == FD_OK) fd_template_free(text);
    }
    fd_template_destroy(t);
    return 0;
}
