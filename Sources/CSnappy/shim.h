// The Snappy decoder of the Parquet reader in OpenEnvTasks (Debian package libsnappy-dev).
#include <snappy-c.h>
