/* fuzz_config: the pgstep.conf reader (src/model/ini.c, src/model/config.c).
 * The input is a whole config file, read as config_load reads it after its
 * UTF-8 check; then the bare INI reader runs over it with handlers that
 * accept every section and key, so the syntax paths behind the first
 * unknown key are reached too. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "fuzz.h"
#include "pgstep/conf.h"
#include "pgstep/error.h"
#include "pgstep/ini.h"

static bool any_section(void *ctx, const char *section, int line, struct pgstep_error *err)
{
	(*(size_t *)ctx)++;
	return section[0] != '\0' && line > 0;
}

static bool any_key(void *ctx, const char *section, const char *key, const char *value, int line,
                    struct pgstep_error *err)
{
	(*(size_t *)ctx)++;
	return section[0] != '\0' && key[0] != '\0' && value != NULL && line > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct pgstep_error err = {0};
	struct config *cfg = config_parse("fuzz.conf", text, "/base", &err);
	/* a config is either read or refused with a message */
	if (!cfg == !error_isset(&err))
		abort();
	config_free(&cfg);
	error_clear(&err);

	size_t calls = 0;
	ini_parse("fuzz.conf", text, any_section, any_key, &calls, &err);
	error_clear(&err);
	free(text);
	return 0;
}
