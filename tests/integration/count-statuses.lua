-- wrk script for the operations tests: counts the responses of every
-- status over all threads and prints one "status N COUNT" line each, then
-- the socket errors and the total, for tests/integration/test_operations.cpp.

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    counts = {}
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        for status, n in pairs(thread:get("counts")) do
            total[status] = (total[status] or 0) + n
        end
    end
    for status, n in pairs(total) do
        io.write(string.format("status %d %d\n", status, n))
    end
    local e = summary.errors
    io.write(string.format("socket_errors %d\n",
                           e.connect + e.read + e.write + e.timeout))
    io.write(string.format("requests %d\n", summary.requests))
    io.write(string.format("latency_p99_ms %.3f\n",
                           latency:percentile(99) / 1000))
end
