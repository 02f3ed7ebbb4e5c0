/* Must NOT compile: `double` is not a kernel parameter type, so the
 * descriptor names FD_PT_double, which does not exist. CTest runs the
 * compiler on this file and expects it to fail. */
#include "foundry/kernel.h"
#define BAD_ARGS(IN, OUT, PARAM) IN(x, FD_ACT) OUT(y, FD_ACT) PARAM(double, scale)
FD_KERNEL_ARGS(bad_args, BAD_ARGS)
int main(void) { return (int)bad_args_table(NULL).n; }
