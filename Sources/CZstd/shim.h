// The Zstandard decoder of the Parquet reader in OpenEnvTasks (Debian package libzstd-dev).
#include <zstd.h>
