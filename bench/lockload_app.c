/* lockload_app: the application of bench/lockload.sh, compiled by it.
 *
 *   lockload_app CONNINFO INTERVAL_MS QUERY
 *
 * One libpq session (as an application's pooled connection would be) runs
 * QUERY, sleeps INTERVAL_MS, and again, until SIGTERM or SIGINT. Each query
 * prints one line: when it started (ms since the epoch, to compare with the
 * script's clock) and its latency in ms, timed on the monotonic clock.
 * A query that fails ends the program with exit 1: a bench whose
 * application errs measures nothing. */
#define _POSIX_C_SOURCE 200809L
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double ms_of(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: lockload_app CONNINFO INTERVAL_MS QUERY\n");
		return 2;
	}
	long interval = strtol(argv[2], NULL, 10);
	PGconn *conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "lockload_app: %s", PQerrorMessage(conn));
		return 1;
	}
	/* No SA_RESTART: a signal cuts the sleep short, so stopping is prompt;
	 * a query under way is let finish, its latency is part of the run. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	while (!stop) {
		double wall = ms_of(CLOCK_REALTIME);
		double t0 = ms_of(CLOCK_MONOTONIC);
		PGresult *res = PQexec(conn, argv[3]);
		double t1 = ms_of(CLOCK_MONOTONIC);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "lockload_app: %s", PQerrorMessage(conn));
			PQclear(res);
			PQfinish(conn);
			return 1;
		}
		PQclear(res);
		printf("%.0f %.1f\n", wall, t1 - t0);
		struct timespec nap = {interval / 1000, (interval % 1000) * 1000000L};
		nanosleep(&nap, NULL);
	}
	PQfinish(conn);
	return 0;
}
