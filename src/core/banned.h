/* Functions that are too easy to misuse; use cg_buf / strtol instead [git]. */
#ifndef CG_BANNED_H
#define CG_BANNED_H

#define CG_BANNED(f) sorry_##f##_is_banned_in_ciguard

#undef strcpy
#define strcpy(x, y) CG_BANNED(strcpy)
#undef strcat
#define strcat(x, y) CG_BANNED(strcat)
#undef sprintf
#define sprintf(...) CG_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CG_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) CG_BANNED(strtok)
#undef atoi
#define atoi(x) CG_BANNED(atoi)
#undef gets
#define gets(x) CG_BANNED(gets)

#endif
