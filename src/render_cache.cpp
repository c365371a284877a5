// The render cache: rendered files under a key made of everything they were
// rendered from. The key holds the account's password, as the device cache
// does; neither ever leaves the process's memory.

#include "provgate/render_cache.hpp"

#include <cstdint>

namespace provgate {

namespace {

// What an entry costs beyond its strings: list node, map node, control
// block. An estimate; it only has to keep the budget honest.
constexpr std::size_t entry_overhead = 160;


void append_field(std::string& key, const std::string& value) {
    key += std::to_string(value.size());
    key += ':';
    key += value;
}

} // namespace


render_cache::render_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}


std::shared_ptr<const rendered_file>
render_cache::find(const std::string& key) {
    if (max_bytes_ == 0) {
        return nullptr;
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto found = by_key_.find(key);
    if (found == by_key_.end()) {
        return nullptr;
    }
    entries_.splice(entries_.begin(), entries_, found->second);
    return found->second->file;
}


void render_cache::put(const std::string& key,
                       std::shared_ptr<const rendered_file> file) {
    const std::size_t cost =
        key.size() + file->body.size() + file->etag.size() + entry_overhead;
    if (max_bytes_ == 0 || cost > max_bytes_ / 4) {
        return;
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    if (by_key_.count(key) != 0) {
        return; // another thread rendered the same file meanwhile
    }
    while (!entries_.empty() && bytes_ + cost > max_bytes_) {
        const entry& oldest = entries_.back();
        bytes_ -= oldest.bytes;
        by_key_.erase(oldest.key);
        entries_.pop_back();
    }

    entries_.push_front(entry{key, std::move(file), cost});
    // The map's key views the string held by the list node, which stays
    // put until the entry is erased.
    by_key_.emplace(entries_.front().key, entries_.begin());
    bytes_ += cost;
}


std::size_t render_cache::size() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}


std::size_t render_cache::bytes() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return bytes_;
}


std::string render_key(const file_rule& rule, const render_input& in) {
    std::string key;
    key.reserve(256);
    // The rules are static tables: a rule's address is its identity.
    key += std::to_string(reinterpret_cast<std::uintptr_t>(&rule));
    key += '|';
    append_field(key, in.mac);
    append_field(key, in.model);
    append_field(key, in.provisioning_url);
    if (in.account == nullptr) {
        key += '-';
        return key;
    }

    const sip_account& a = *in.account;
    key += '+';
    append_field(key, a.extension);
    append_field(key, a.auth_user);
    append_field(key, a.password);
    append_field(key, a.display_name);
    append_field(key, a.sip_server);
    append_field(key, std::to_string(a.sip_port));
    append_field(key, a.transport);
    key += a.enabled ? '1' : '0';
    return key;
}

} // namespace provgate
