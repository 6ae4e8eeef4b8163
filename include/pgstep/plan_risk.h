/* plan_risk: what `up` would do to one tenant, before it runs: each pending
 * migration analysed by the risk engine with the tenant's catalogue (sizes
 * and row estimates scale rewrite and scan findings), the live facts of
 * every relation it locks (sessions holding or waiting for locks, INVALID
 * indexes), the database's long-running and idle-in-transaction sessions,
 * and optionally the preflight data checks, run read-only. When the tenant
 * cannot be reached the same analysis runs offline and says why. The
 * engine never prints: front ends render struct plan_risk. */
#ifndef PGSTEP_PLAN_RISK_H
#define PGSTEP_PLAN_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgstep/activity.h"
#include "pgstep/ops.h"
#include "pgstep/preflight.h"
#include "pgstep/risk.h"

/* The preflight statement_timeout when the configuration sets none. */
#define PLAN_RISK_DEFAULT_TIMEOUT_MS 30000

struct plan_risk_options {
	const char *to; /* plan up to this version; NULL: all */
	bool resume;    /* as `up --resume` would run */
	bool preflight; /* generate and run the data checks */
};

struct plan_risk_item {
	struct migration *m;          /* not owned */
	struct risk_file_report rep;  /* owned: its analysis */
	struct preflight_list checks; /* owned: with results once run */
};

struct plan_risk {
	struct tenant *tenant; /* not owned */
	/* Connected: the catalogue and live facts came from the database. */
	bool connected;
	/* Offline: why (the connection error), and its exit code. When the
	 * tenant's state could not be read either, every migration of the set
	 * is analysed, applied or not (state_known false). */
	char *offline_reason;
	enum pgstep_exit offline_code;
	bool state_known;
	struct plan_risk_item *items; /* owned, in apply order */
	size_t n;
	struct activity_facts facts; /* connected only */
	/* The first catalogue or facts query that failed; the analysis went on
	 * without that answer. Owned, NULL when none. */
	char *facts_error;
	int64_t preflight_timeout_ms; /* the statement_timeout the checks ran under */
	/* Relations an earlier migration of the plan creates that a later one
	 * uses: analysed as new and empty there (said once by front ends). */
	struct strvec plan_new;
};

/* The preflight checks of one analysed section (rep), generated and run
 * over s, each read-only under timeout_ms (s NULL: generated only), into
 * out: the interface's checks of the migration it opens. */
struct catalog;
struct session;
void plan_risk_preflight_section(struct session *s, struct catalog *cat, const char *schema,
                                 const char *label, const struct risk_report *rep,
                                 int64_t timeout_ms, struct preflight_list *out);

/* Analyse the plan of one tenant (ts from status_collect). False only for
 * what makes a plan impossible (an unknown --to, a dirty migration without
 * --resume, a set that does not split); an unreachable tenant is analysed
 * offline and returns true with offline_reason set. */
bool plan_risk_tenant(struct engine *e, const struct tenant_status *ts,
                      const struct plan_risk_options *o, struct plan_risk *out,
                      struct pgstep_error *err);
void plan_risk_clear(struct plan_risk *r);

struct session;
struct catalog;
/* A read-only session on t for looking, never changing: its schema on the
 * search_path, and lock_timeout/statement_timeout so a glance at a busy
 * server never queues behind a lock for long. */
struct session *plan_risk_session(const struct tenant *t, int64_t lock_timeout_ms,
                                  int64_t statement_timeout_ms, struct pgstep_error *err);
/* The live facts of every relation rep's statements lock (except those the
 * section creates), added to out; relations already in out are kept, so one
 * out serves several reports. cat resolves names and gives sizes (a catalog
 * over s). False, with err set, when a facts query failed; the other
 * relations are still filled. The interface can call this again to refresh
 * what it shows. */
bool plan_risk_facts(struct session *s, struct catalog *cat, const struct risk_report *rep,
                     struct activity_facts *out, struct pgstep_error *err);

/* The risk options plan_risk_tenant analyses t's migrations with: the
 * runner's timeouts, t's schema for unqualified names, and with a session
 * (may be NULL) and its catalog, the server's facts. */
void plan_risk_options(const struct engine *e, const struct tenant *t, struct session *s,
                       struct catalog *cat, struct risk_options *ro);

/* Worst severity over the items' findings (not allowed ones), problems and
 * checks that found rows; -1 when there is none. */
int plan_risk_worst(const struct plan_risk *r);

#endif
