-- wrk script: the API requests the dashboard's pages make, in turn.
--   wrk -t2 -c16 -d30s --latency -s bench/load/dashboard.lua http://127.0.0.1:8080
-- ITEM and PLACE name a stock item (GTIN) and a region of the served data.
local item = os.getenv("ITEM") or "09520000000011"
local place = os.getenv("PLACE") or "R01"
local paths = {
  "/api/v1/availability?by=region&basket=true&limit=1000",
  "/api/v1/availability?by=region&limit=1000",
  "/api/v1/stock?level=region&limit=1000",
  "/api/v1/risk?level=region&limit=1000",
  "/api/v1/countries?limit=1000",
  "/api/v1/items?limit=1000",
  "/api/v1/locations?limit=1000",
  "/api/v1/stock?item=" .. item .. "&level=facility&limit=1000",
  "/api/v1/availability?item=" .. item .. "&by=country&months=12&limit=1000",
  "/api/v1/risk?item=" .. item .. "&level=country&limit=1000",
  "/api/v1/stock?within=" .. place .. "&level=region&limit=1000",
  "/api/v1/stock/problems?within=" .. place .. "&limit=1000",
  "/api/v1/epcis/summary",
  "/api/v1/epcis/captures?limit=1000",
}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept-Encoding"] = "gzip" })
end
