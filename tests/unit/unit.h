/*
 * Unit-test conveniences over sim/world.h: short database names and link flag sets.
 */
#ifndef PSD_UNIT_H
#define PSD_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "world.h"

#define APPL PSD_WORLD_APPL
#define CONFIG PSD_WORLD_CONFIG
#define STATE PSD_WORLD_STATE

#define UP (IFF_UP | 0x1000u | 0x2u)
#define UP_RUNNING (IFF_UP | IFF_RUNNING | IFF_LOWER_UP | 0x1000u | 0x2u)
#define DOWN (0x1000u | 0x2u)

#endif
