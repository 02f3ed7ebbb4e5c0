/* The control for bad_param.c: the same declaration with a valid type compiles. */
#include "foundry/kernel.h"
#define GOOD_ARGS(IN, OUT, PARAM) IN(x, FD_ACT) OUT(y, FD_ACT) PARAM(float, scale)
FD_KERNEL_ARGS(good_args, GOOD_ARGS)
int main(void) { return (int)good_args_table(NULL).n - 3; }
