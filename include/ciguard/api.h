/*
 * ciguard/api.h: CG_API marks the functions that libciguard.so exports.
 *
 * The shared library is compiled with -fvisibility=hidden, so everything
 * else (the parts' internal functions under src/) stays inside it: only
 * declarations in include/ciguard/ carry CG_API. The static library and
 * the programs linked with it are not affected.
 */
#ifndef CIGUARD_API_H
#define CIGUARD_API_H

#if defined(__GNUC__) || defined(__clang__)
#define CG_API __attribute__((visibility("default")))
#else
#define CG_API
#endif

#endif
