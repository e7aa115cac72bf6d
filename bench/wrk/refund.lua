-- A one-cent refund of one of the big purchases made for the bench: a new refund id each time.
package.path = package.path .. ";" .. os.getenv("BENCH_WRK_DIR") .. "/?.lua"
local common = require("common")
setup = common.setup
done = common.done
response = function(status) common.count(status) end

function init(args)
  rows = common.lines(os.getenv("BENCH_DATA") .. "/refundable.txt")
  run = os.getenv("BENCH_RUN") .. "-" .. os.time()
  counter = 0
  math.randomseed(id * 53)
end

function request()
  counter = counter + 1
  local txid = rows[math.random(#rows)][1]
  local body = string.format('{"refund_id": "F%s-%d-%d", "amount": "0.01"}', run, id, counter)
  return wrk.format("POST", "/api/v1/purchases/" .. txid .. "/refunds/", common.headers(), body)
end
