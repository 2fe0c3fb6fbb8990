/* Sv39: see paging.inc */
#define LEVELS 3
#include "paging.inc"
