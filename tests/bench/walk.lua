-- wrk script for the provgate benchmark: each thread walks its own slice
-- of a list of request paths (one per line in $BENCH_PATHS), so that the
-- load looks like a fleet of distinct phones, and counts non-200 answers.

local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function init(args)
    paths = {}
    for line in io.lines(os.getenv("BENCH_PATHS")) do
        paths[#paths + 1] = line
    end
    local slice = math.floor(#paths / tonumber(os.getenv("BENCH_THREADS")))
    position = (id or 0) * slice
    bad = 0
end

function request()
    position = position % #paths + 1
    return wrk.format("GET", paths[position])
end

function response(status, headers, body)
    if status ~= 200 then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local total_bad = 0
    for _, thread in ipairs(threads) do
        total_bad = total_bad + thread:get("bad")
    end
    io.write(string.format("non200 %d\n", total_bad))
    io.write(string.format("p50_us %d\np99_us %d\n",
        latency:percentile(50), latency:percentile(99)))
end
