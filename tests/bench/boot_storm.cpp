// The boot-storm client: every phone of a building fetches its common file
// and then its own config at once. It walks a list of URLs with a fixed
// number of parallel keep-alive connections (libcurl's multi interface)
// and prints how long it took until every URL was answered, and how many
// answers were not 200.
//
//   boot_storm URL_FILE CONNECTIONS CA_FILE

#include <curl/curl.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
    return size * n;
}


// Starts the next URL on a handle.
void start(CURLM* multi, CURL* handle, const std::string& url,
           const std::string& ca) {
    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_CAINFO, ca.c_str());
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(handle, CURLOPT_USERAGENT, "provgate-boot-storm");
    curl_multi_add_handle(multi, handle);
}

} // namespace


int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: boot_storm URL_FILE CONNECTIONS CA_FILE\n";
        return 2;
    }
    std::vector<std::string> urls;
    std::ifstream in(argv[1]);
    for (std::string line; std::getline(in, line);) {
        urls.push_back(line);
    }
    const std::size_t connections = std::stoul(argv[2]);
    const std::string ca = argv[3];

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM* multi = curl_multi_init();
    std::vector<CURL*> handles;
    std::size_t next = 0;
    const auto begin = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < connections && next < urls.size(); ++i) {
        handles.push_back(curl_easy_init());
        start(multi, handles.back(), urls[next++], ca);
    }

    std::size_t done = 0;
    std::size_t failed = 0;
    int running = 1;
    while (done < urls.size()) {
        curl_multi_perform(multi, &running);
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            long status = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                              &status);
            failed += msg->data.result != CURLE_OK || status != 200 ? 1 : 0;
            ++done;
            curl_multi_remove_handle(multi, msg->easy_handle);
            if (next < urls.size()) {
                start(multi, msg->easy_handle, urls[next++], ca);
            }
        }
        curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
    const std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - begin;

    std::cout << "requests " << done << " failed " << failed << " seconds "
              << took.count() << '\n';
    for (CURL* h : handles) {
        curl_easy_cleanup(h);
    }
    curl_multi_cleanup(multi);
    return failed == 0 ? 0 : 1;
}
