#pragma once

#include <functional>

#include "provgate/config.hpp"
#include "provgate/device_cache.hpp"
#include "provgate/fcgi_server.hpp"
#include "provgate/lockout.hpp"

namespace provgate {

// The device cache's ears: keeps a connection to the primary that LISTENs
// on provgate_cache (sql/007_cache.sql), drops the cache entries each
// notification names, and reads the list of locked-out addresses again
// when a lockout starts or ends. Both are live only while that connection
// is: on any failure the cache is emptied and bypassed, the lockout list
// is marked unknown, and the thread reconnects every second until stop
// fires. Each reconnection starts from an empty cache and a fresh list, as
// notifications sent meanwhile were missed.
//
// With a read_dsn the cache stays off: a lookup on a standby that lags
// behind the primary could bring back a row that a notification had just
// dropped. database() is called on every reconnection and every few
// seconds, so that a reload's new settings are followed.
void run_cache_listener(device_cache& cache, lockout_list& lockouts,
                        const std::function<database_settings()>& database,
                        const wakeup_latch& stop);

} // namespace provgate
