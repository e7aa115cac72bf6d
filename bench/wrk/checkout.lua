-- Checkout validation with two codes of the member (combinable fixed discounts).
package.path = package.path .. ";" .. os.getenv("BENCH_WRK_DIR") .. "/?.lua"
local common = require("common")
setup = common.setup
done = common.done
response = function(status) common.count(status) end

function init(args)
  rows = common.lines(os.getenv("BENCH_DATA") .. "/codes.txt")
  math.randomseed(id * 13)
end

function request()
  local row = rows[math.random(#rows)]
  local body = string.format(
    '{"card_number": "%s", "amount": "60.00", "codes": ["%s", "%s"], "currency": "EUR"}',
    row[1], row[2], row[3])
  return wrk.format("POST", "/api/v1/checkout/validate/", common.headers(), body)
end
