/* ctype.h: ASCII character classes for guest code (no locales). */
#ifndef MF_CTYPE_H
#define MF_CTYPE_H

/* Each takes an unsigned char value or EOF (-1) and answers for ASCII only:
 * bytes >= 0x80 belong to no class. */
int isalnum(int c);
int isalpha(int c);
int isblank(int c);
int iscntrl(int c);
int isdigit(int c);
int isgraph(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int isspace(int c);
int isupper(int c);
int isxdigit(int c);
int tolower(int c);
int toupper(int c);

#endif /* MF_CTYPE_H */
