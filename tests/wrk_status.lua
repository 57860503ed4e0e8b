-- wrk_status.lua: counts responses by status across wrk's threads and
-- prints "STATUS <code> <count>" lines when the run is done.
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    codes = {}
end

function response(status, headers, body)
    codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, t in ipairs(threads) do
        for k, v in pairs(t:get("codes")) do
            total[k] = (total[k] or 0) + v
        end
    end
    for k, v in pairs(total) do
        io.write(string.format("STATUS %d %d\n", k, v))
    end
end
