/*
 * String literals with their lengths counted by the compiler, never by hand. Each macro takes a
 * literal only (the "" on both sides refuses anything else at compile time).
 */
#ifndef PSD_LIT_H
#define PSD_LIT_H

/* the length of a literal, without its NUL */
#define PSD_LIT_LEN(s) (sizeof("" s "") - 1)
/* a literal and its length, as two arguments: f(PSD_LIT("portsyncd")) is f("portsyncd", 9) */
#define PSD_LIT(s) ("" s ""), PSD_LIT_LEN(s)

#endif
