/* sanitizer: what a sanitizer build of a pgstep program tells the
 * AddressSanitizer runtime. */
#ifndef PGSTEP_SANITIZER_H
#define PGSTEP_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define PGSTEP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PGSTEP_ASAN 1
#endif
#endif

/* LeakSanitizer's built-in suppressions, defined once per program (in the
 * file of its main). Only a library's own leak, never a frame of pgstep:
 * libpg_query 15-4.0.0 (Debian 12) loses the 1-byte stderr buffer of its
 * raw parse when pg_query_parse_plpgsql fails (a DO block or function body
 * that does not parse), though pgstep frees the result; later upstream
 * versions free it. The frame matches only that strdup: a parse result
 * pgstep forgets to free still leaks its tree, which is reported. The fuzz
 * targets say the same in tests/fuzz/lsan.supp. */
#ifdef PGSTEP_ASAN
#define PGSTEP_LSAN_SUPPRESSIONS                                                                   \
	const char *__lsan_default_suppressions(void);                                             \
	const char *__lsan_default_suppressions(void)                                              \
	{                                                                                          \
		return "leak:pg_query_raw_parse\n";                                                \
	}                                                                                          \
	const char *__lsan_default_options(void);                                                  \
	const char *__lsan_default_options(void)                                                   \
	{                                                                                          \
		return "print_suppressions=0";                                                     \
	}
#else
#define PGSTEP_LSAN_SUPPRESSIONS
#endif

#endif
