// Rotation with overlap: the old URL keeps working for a grace period and
// points the phone to the new one; the new URL's first use, or the end of
// the grace period, retires the old; the database never holds the new
// token in clear.

#include "stack.hpp"

#include <doctest/doctest.h>

using provgate::testing::stack;

namespace {

// The provisioning URL a Yealink file sets.
std::string provisioning_url(const std::string& body) {
    const std::string marker = "auto_provision.server.url = ";
    const std::size_t at = body.find(marker);
    REQUIRE(at != std::string::npos);
    return body.substr(at + marker.size(),
                       body.find('\n', at) - at - marker.size());
}

} // namespace


TEST_CASE("during the grace period the old URL points to the new one") {
    stack& s = stack::get();
    const std::string old_folder = s.add_device("001565000b01");
    const auto rotated = s.ctl("rotate --mac 001565000b01 --grace-hours 24");
    REQUIRE(rotated.status == 0);
    const std::string new_folder = s.path_of(rotated.out);
    const std::string token = new_folder.substr(6, 43);

    // A dump holds the new token's hash and its sealed form, never the
    // token.
    const auto dump = s.run("pg_dump -U postgres -d provgate --data-only "
                            "--table=provgate.devices");
    REQUIRE(dump.status == 0);
    CHECK(dump.out.find(token.substr(0, 12)) == std::string::npos);
    CHECK(s.sql("SELECT count(*) FROM provgate.devices "
                "WHERE pending_token_hash = sha256(convert_to('" +
                token + "', 'UTF8'))") == "1\n");

    const auto via_old = s.fetch(old_folder + "001565000b01.cfg");
    REQUIRE(via_old.status == 200);
    CHECK(s.path_of(provisioning_url(via_old.body)) == new_folder);
    CHECK(s.fetch(old_folder + "001565000b01.cfg").status == 200);

    // The phone follows: its first fetch through the new URL retires the
    // old one.
    const auto via_new = s.fetch(new_folder + "001565000b01.cfg");
    REQUIRE(via_new.status == 200);
    CHECK(s.path_of(provisioning_url(via_new.body)) == new_folder);
    CHECK(s.fetch_until(404, old_folder + "001565000b01.cfg").status == 404);
    CHECK(s.fetch(new_folder + "001565000b01.cfg").status == 200);
    CHECK(s.sql("SELECT count(*) FROM provgate.devices WHERE mac = "
                "'001565000b01' AND pending_token_hash IS NULL") == "1\n");
}


TEST_CASE("after the grace period the old URL stops, the new one works") {
    stack& s = stack::get();
    const std::string old_folder = s.add_device("001565000b02");
    const auto rotated = s.ctl("rotate --mac 001565000b02 --grace-hours 1");
    REQUIRE(rotated.status == 0);
    const std::string new_folder = s.path_of(rotated.out);

    s.sql("UPDATE provgate.devices SET grace_until = now() - interval '1 s' "
          "WHERE mac = '001565000b02'");
    CHECK(s.fetch_until(404, old_folder + "001565000b02.cfg").status == 404);
    CHECK(s.fetch(new_folder + "001565000b02.cfg").status == 200);

    // A plain rotation drops any pending token.
    REQUIRE(s.ctl("rotate --mac 001565000b02 --grace-hours 1").status == 0);
    const auto plain = s.ctl("rotate --mac 001565000b02");
    REQUIRE(plain.status == 0);
    CHECK(s.sql("SELECT count(*) FROM provgate.devices WHERE mac = "
                "'001565000b02' AND pending_token_hash IS NULL") == "1\n");
    CHECK(s.fetch(s.path_of(plain.out) + "001565000b02.cfg").status == 200);
    CHECK(s.fetch_until(404, new_folder + "001565000b02.cfg").status == 404);
}
