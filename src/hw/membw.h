/*
 * The CPU's memory read bandwidth: what bounds decode speed on the CPU.
 */
#ifndef GP_HW_MEMBW_H
#define GP_HW_MEMBW_H

#include <stdint.h>

#include "memory/device.h"

/* Streams 256 MiB with `threads` threads a few times; the best pass in GB/s
 * (10^9 bytes/s), 0 when it could not run. About a tenth of a second. */
double gp_membw_measure(uint32_t threads);

/* Fills the CPU entry's bandwidth: GGPLACE_MEMBW (GB/s; 0 = leave unknown),
 * else this machine's cached figure, else a measurement that is then cached
 * ($XDG_CACHE_HOME/ggplace/membw). */
void gp_membw_detect(gp_devices *d);

#endif
