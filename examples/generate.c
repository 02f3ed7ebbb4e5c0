/* generate.c — the smallest program on libfoundry: load a model, generate
 * from a prompt with generate.h, stream the text as it comes.
 *
 *   generate MODEL "prompt" [N]          a Hugging Face folder or a GGUF file
 *   generate --tiny VOCAB.gguf "prompt"  a tiny random-weight Qwen2 (no download)
 *
 * Built against the installed library:
 *   cc generate.c $(pkg-config --cflags --libs foundry) -o generate */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "foundry/foundry.h"
#include "foundry/generate.h"
#include "foundry/model.h"

static int on_text(void *user, const char *text, size_t len)
{
    (void)user;
    fwrite(text, 1, len, stdout);
    return fflush(stdout) != 0;   /* non-zero stops the generation */
}

int main(int argc, char **argv)
{
    int tiny = argc > 1 && !strcmp(argv[1], "--tiny"), a = 1 + tiny;
    if (argc < a + 2) {
        fprintf(stderr, "usage: generate MODEL PROMPT [N] | generate --tiny VOCAB.gguf PROMPT [N]\n");
        return 2;
    }
    const char *prompt = argv[a + 1];
    size_t n = argc > a + 2 ? strtoul(argv[a + 2], NULL, 10) : 32;
    fd_error err = { 0 };
    fd_foundry *fd = NULL;
    fd_model *model = NULL;
    fd_weights *w = NULL;
    fd_session *s = NULL;
    fd_gen_stats stats = { 0 };

    /* the foundry: CUDA when there is a GPU, else the CPU */
    fd_status st = fd_foundry_create(&(fd_options){ .backend = FD_BACKEND_AUTO }, &fd, &err);
    if (st == FD_OK && tiny) {
        fd_random_options ro = { .dtype = FD_F16, .seed = 1, .vocab_gguf = argv[a] };
        st = fd_model_preset("tiny", &ro.hp);
        if (st == FD_OK) st = fd_model_random(&ro, &model, &err);
    } else if (st == FD_OK) {
        st = fd_model_open(argv[a], &(fd_model_options){ 0 }, &model, &err);
    }
    /* the weights on the device, a session (its KV cache) over them */
    if (st == FD_OK) st = fd_model_upload(fd, model, &(fd_upload_options){ .ctx = 512 }, &w);
    if (st == FD_OK) st = fd_session_create(fd, model, w, NULL, &s);
    if (st == FD_OK) st = fd_session_feed_text(s, prompt, strlen(prompt), &stats);
    if (st == FD_OK) {
        fputs(prompt, stdout);
        st = fd_session_generate(s, &(fd_gen_options){ .max_tokens = n }, on_text, NULL, &stats);
    }
    if (st == FD_OK)
        printf("\n[%zu prompt tokens, %zu generated in %.2f s]\n", stats.prompt_tokens, stats.gen_tokens,
               stats.gen_seconds);
    else
        fprintf(stderr, "generate: %s: %s\n", fd_status_name(st), err.msg[0] ? err.msg : fd ? fd_foundry_error(fd) : "");
    fd_session_destroy(s);
    if (w) fd_weights_release(fd);
    fd_foundry_destroy(fd);
    fd_model_close(model);
    return st == FD_OK ? 0 : 1;
}
