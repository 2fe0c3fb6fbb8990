/* Sv57: see paging.inc */
#define LEVELS 5
#include "paging.inc"
