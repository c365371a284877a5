#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "provgate/render.hpp"

namespace provgate {

// A file as rendered for one request, with the ETag of its bytes.
struct rendered_file {
    std::string body;
    std::string etag;
};

// Files recently rendered, so that a phone fetching the same file again,
// or its second request after a 401 or a 304, costs no template render and
// no hash. An entry is keyed by every input of the render (render_key), so
// it can never answer for another device or an older account row: a
// change of any input is a different key, and the entry it replaced ages
// out. The cache belongs to one template_set: a reload that loads new
// templates starts an empty cache with them.
//
// Bounded by the bytes its keys and bodies hold; when full, the least
// recently used entries go. Thread-safe.
class render_cache {
public:
    // max_bytes 0 turns the cache off: find() misses and put() drops.
    explicit render_cache(std::size_t max_bytes);

    // The file rendered for key, if cached.
    std::shared_ptr<const rendered_file> find(const std::string& key);

    // Caches file under key, unless it alone exceeds a quarter of the
    // budget.
    void put(const std::string& key, std::shared_ptr<const rendered_file> file);

    std::size_t size() const;
    std::size_t bytes() const;

private:
    struct entry {
        std::string key;
        std::shared_ptr<const rendered_file> file;
        std::size_t bytes;
    };
    using entry_list = std::list<entry>;

    const std::size_t max_bytes_;

    mutable std::mutex mutex_; // guards everything below
    std::size_t bytes_ = 0;
    entry_list entries_; // most recently used first
    std::unordered_map<std::string_view, entry_list::iterator> by_key_;
};

// The key of a render of rule from in: the rule's identity and every
// field the templates can read, each length-prefixed so that no two
// different inputs share a key.
std::string render_key(const file_rule& rule, const render_input& in);

} // namespace provgate
