/* model_args.h — the options every model command shares (-m, --synthetic,
 * --backend, --dtype, -c, --vocab, --threads) and opening a
 * model with its foundry and device weights in one call.
 *
 * Layer: cli. */
#ifndef FD_CLI_MODEL_ARGS_H
#define FD_CLI_MODEL_ARGS_H

#include <stdint.h>
#include "foundry/forward.h"

typedef struct cli_model_args {
    const char *model;          /* -m: a Hugging Face folder or a GGUF */
    const char *synthetic;      /* --synthetic NAME: random weights of that shape, built in memory */
    /* with neither -m nor --synthetic: the shape to build on a GPU, or on the
     * CPU, chosen once the foundry exists (demo); NULL: a model is required */
    const char *synthetic_gpu, *synthetic_cpu;
    const char *vocab;          /* --vocab GGUF for a synthetic model (default: the repository's Qwen2.5 one) */
    fd_backend_kind backend;    /* --backend auto|cpu|cuda */
    int convert;                /* --dtype given */
    fd_dtype dtype;
    uint32_t ctx;               /* -c; 0: default */
    int threads;                /* --threads: CPU worker threads; 0: every processor */
    uint64_t seed;              /* for --synthetic */
} cli_model_args;

/* What cli_model_open made; cli_model_close frees it. */
typedef struct cli_model {
    fd_foundry *fd;
    fd_model *model;
    fd_weights *weights;
    const char *shape;          /* the synthetic shape built, or NULL */
    int gpu;                    /* the foundry runs on CUDA */
    double load_seconds;
} cli_model;

/* If argv[*i] is a shared model option, consumes it (and its value) and
 * returns 1; 0 if it is not one; 2 on a bad or missing value (printed). */
int cli_model_arg(const char *cmd, cli_model_args *a, int argc, char **argv, int *i);
/* The help lines of those options. */
const char *cli_model_help(void);

/* Creates the foundry, opens the model (or builds the synthetic one, its
 * shape chosen by where the foundry runs when the args say so) and uploads
 * the weights. 0 or an exit status (message printed). */
int cli_model_open(const char *cmd, const cli_model_args *a, cli_model *m);
void cli_model_close(cli_model *m);
/* fd_model_options.progress for a conversion: a bar on stderr when it is a
 * terminal; user is the target dtype's name. */
void cli_convert_bar(void *user, uint64_t done, uint64_t total);
/* An output file named by option `opt` (--trace), checked before the work:
 * not a FIFO, device, link or folder, not one of the model's files (-m, a
 * file of its folder, --vocab), and writable. 0, or an exit status (printed). */
int cli_output_check(const char *cmd, const char *opt, const char *path, const cli_model_args *a);
/* What the user should know about a model that opened: NaN weights
 * (`consequence` says what follows from them) and a tensor the file holds
 * that is not used (fd_model_info.ignored_tensor), one line each on stderr. */
void cli_model_notes(const char *cmd, const char *path, const fd_model *m, const char *consequence);
/* Where the chat template comes from: the model, or a synthetic model's vocabulary GGUF. */
const char *cli_model_template_path(const cli_model_args *a);


#endif
