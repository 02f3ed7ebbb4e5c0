/* fuzz_config.c — libFuzzer target: a Hugging Face config.json read as
 * config.json (its architecture names, and the hyper-parameters by a
 * descriptor's key table), generation_config.json and tokenizer_config.json
 * (chat template). */
#include "base/mem.h"
#include "format/hf_config.h"
#include "model/arch/arch.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    fd_model_hparams hp = { 0 };
    char type[64], cls[64];
    fd_generation_defaults g = { .temperature = 1, .top_p = 1, .repetition_penalty = 1, .bos_id = -1, .pad_id = -1 };
    fd_dtype hint = FD_F32;
    char *tmpl = NULL;
    fd_error err = { 0 };
    (void)fd_hf_read_arch(path, type, cls, sizeof type, &err);
    (void)fd_hf_read_config(path, FD_ARCH_QWEN3.keys, FD_ARCH_QWEN3.n_keys, &hp, &hint, &err);   /* the descriptor's keys */
    (void)fd_hf_read_generation(path, &g, &err);
    if (fd_hf_read_chat_template(path, &tmpl, &err) == FD_OK) fd_free(tmpl);
    return 0;
}
