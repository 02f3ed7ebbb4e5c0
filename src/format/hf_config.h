/* hf_config.h — the JSON files of a Hugging Face model folder:
 * config.json (both styles), generation_config.json, and the chat template
 * in tokenizer_config.json or chat_template.json.
 *
 * Layer: format (internal). */
#ifndef FD_FORMAT_HF_CONFIG_H
#define FD_FORMAT_HF_CONFIG_H

#include <jansson.h>
#include "foundry/dtype.h"
#include "foundry/hparams.h"

/* config.json's model_type and architectures[0] ("" when absent), each at most cap - 1 bytes. */
fd_status fd_hf_read_arch(const char *path, char *model_type, char *hf_class, size_t cap, fd_error *err);
/* The hyper-parameters named by `keys` (fields of hp not named keep their
 * values), llama3 RoPE scaling, SmolLM3's no_rope_layers (as nope_period;
 * absent: hp's value stays), tie_word_embeddings and the dtype hint;
 * refuses by key what is not implemented (other RoPE scaling, an active
 * sliding window, experts, an activation other than SiLU). */
fd_status fd_hf_read_config(const char *path, const fd_hparam_key *keys, size_t n_keys, fd_model_hparams *hp,
                            fd_dtype *dtype_hint, fd_error *err);
fd_status fd_hf_read_generation(const char *path, fd_generation_defaults *g, fd_error *err);
/* Reads chat_template (a string, or a list of {name, template}: "default" or
 * the first); *tmpl is NULL when absent, else freed with fd_free. */
fd_status fd_hf_read_chat_template(const char *path, char **tmpl, fd_error *err);
/* Loads a JSON file with a message naming file, line and column. */
fd_status fd_json_load(const char *path, json_t **out, fd_error *err);

#endif
