#ifndef PGSTEP_CLI_H
#define PGSTEP_CLI_H
#endif
