// The device cache's rules: what it keeps, for how long, and what drops it.

#include "provgate/device_cache.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using provgate::device_cache;
using provgate::device_record;
using provgate::token_digest;

namespace {

token_digest digest_of(std::uint8_t seed) {
    token_digest d{};
    for (std::size_t i = 0; i < d.size(); ++i) {
        d[i] = static_cast<std::uint8_t>(seed * 31 + i);
    }
    return d;
}


device_record device(std::int64_t id, const std::string& mac) {
    device_record d;
    d.id = id;
    d.mac = mac;
    return d;
}


const device_cache::clock::time_point t0{};

} // namespace


TEST_CASE("device_cache keeps nothing until it is live") {
    device_cache cache(10, 10s);
    cache.put(digest_of(1), device(1, "001565000001"), cache.generation(), t0);
    CHECK_FALSE(cache.find(digest_of(1), t0));

    cache.set_live(true);
    cache.put(digest_of(1), device(1, "001565000001"), cache.generation(), t0);
    const auto found = cache.find(digest_of(1), t0 + 1s);
    REQUIRE(found);
    CHECK(found->mac == "001565000001");
    CHECK_FALSE(cache.find(digest_of(2), t0 + 1s));

    // Deaf again: everything goes, as changes may now be missed.
    cache.set_live(false);
    CHECK_FALSE(cache.find(digest_of(1), t0 + 1s));
    cache.set_live(true);
    CHECK_FALSE(cache.find(digest_of(1), t0 + 1s));
}


TEST_CASE("device_cache entries end after the ttl, or sooner at the "
          "device's expiry") {
    device_cache cache(10, 10s);
    cache.set_live(true);
    cache.put(digest_of(1), device(1, "001565000001"), cache.generation(), t0);
    device_record expiring = device(2, "001565000002");
    expiring.state_changes_in = 2.5; // expires, or its grace ends, then
    cache.put(digest_of(2), expiring, cache.generation(), t0);

    device_record far = device(3, "001565000003");
    far.state_changes_in = 1e12; // expires in 30,000 years
    cache.put(digest_of(3), far, cache.generation(), t0);

    CHECK(cache.find(digest_of(1), t0 + 9s));
    CHECK(cache.find(digest_of(3), t0 + 9s));
    CHECK(cache.find(digest_of(2), t0 + 2s));
    CHECK_FALSE(cache.find(digest_of(2), t0 + 2500ms));
    CHECK_FALSE(cache.find(digest_of(1), t0 + 10s));
    CHECK_FALSE(cache.find(digest_of(3), t0 + 10s));
    CHECK(cache.size() == 0);
}


TEST_CASE("device_cache drops a device's entries on its notification") {
    device_cache cache(10, 10s);
    cache.set_live(true);
    // A device in its rotation grace period is found by both tokens.
    cache.put(digest_of(1), device(7, "001565000007"), cache.generation(), t0);
    cache.put(digest_of(2), device(7, "001565000007"), cache.generation(), t0);
    cache.put(digest_of(3), device(8, "001565000008"), cache.generation(), t0);

    cache.invalidate_device(7);
    CHECK_FALSE(cache.find(digest_of(1), t0));
    CHECK_FALSE(cache.find(digest_of(2), t0));
    CHECK(cache.find(digest_of(3), t0));

    cache.clear();
    CHECK_FALSE(cache.find(digest_of(3), t0));
}


TEST_CASE("device_cache refuses a lookup that an invalidation overtook") {
    device_cache cache(10, 10s);
    cache.set_live(true);
    // A miss reads the generation, then queries; meanwhile the device is
    // revoked and its notification arrives. The row read may predate the
    // revocation, so it must not be cached.
    const std::uint64_t before_query = cache.generation();
    cache.invalidate_device(1);
    cache.put(digest_of(1), device(1, "001565000001"), before_query, t0);
    CHECK_FALSE(cache.find(digest_of(1), t0));

    cache.put(digest_of(1), device(1, "001565000001"), cache.generation(), t0);
    CHECK(cache.find(digest_of(1), t0));
}


TEST_CASE("device_cache evicts the oldest entry when full") {
    device_cache cache(2, 10s);
    cache.set_live(true);
    for (std::uint8_t i = 1; i <= 3; ++i) {
        cache.put(digest_of(i), device(i, "00156500000" + std::to_string(i)),
                  cache.generation(), t0);
    }
    CHECK(cache.size() == 2);
    CHECK_FALSE(cache.find(digest_of(1), t0));
    CHECK(cache.find(digest_of(2), t0));
    CHECK(cache.find(digest_of(3), t0));

    device_cache off(0, 10s);
    off.set_live(true);
    off.put(digest_of(1), device(1, "001565000001"), off.generation(), t0);
    CHECK_FALSE(off.find(digest_of(1), t0));
}


TEST_CASE("notification payloads name devices, or everything") {
    using provgate::devices_to_invalidate;
    const auto some = devices_to_invalidate("device 12,15,7");
    REQUIRE(some);
    CHECK(*some == std::vector<std::int64_t>{12, 15, 7});
    CHECK(*devices_to_invalidate("device 3") == std::vector<std::int64_t>{3});

    // Anything not understood drops everything: never too little.
    CHECK_FALSE(devices_to_invalidate("all"));
    CHECK_FALSE(devices_to_invalidate("accounts"));
    CHECK_FALSE(devices_to_invalidate("device "));
    CHECK_FALSE(devices_to_invalidate("device 12,x"));
    CHECK_FALSE(devices_to_invalidate("device 12;15"));
    CHECK_FALSE(devices_to_invalidate(""));
}
