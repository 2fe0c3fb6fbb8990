#include "harness.h"
#include "cpu/cpu.h"
int main(void){ return t_finish(); }
