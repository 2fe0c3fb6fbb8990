/* Sv48: see paging.inc */
#define LEVELS 4
#include "paging.inc"
