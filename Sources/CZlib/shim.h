// The gzip decoder of the Parquet reader in OpenEnvTasks (Debian package zlib1g-dev).
#include <zlib.h>
